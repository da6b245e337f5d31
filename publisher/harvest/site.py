"""`publisher build-site`: the whole publication as static files, for any static host.

Every page is produced by the application itself (called in-process through ASGI, no
network), so each file is byte for byte what the server answers for that URL and Accept
header. One folder per resource, named by its path under the base URI:

    article/doi/10.3389/fonc.2021.699946/index.html   (the page, with embedded JSON-LD)
                                         index.ttl    index.jsonld    index.nt

plus the landing page, the dataset description (also at .well-known/void), the
ontology, robots.txt, the sitemaps, the change feed as JSON, the dumps with their
checksums and listing, and `nginx.conf`: a sample server block that does the content
negotiation (Accept or ?format= -> file) and answers 410 Gone for withdrawn resources
(listed in `gone.map`). Search and SPARQL need the server and are not part of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from publisher.config import Settings
from publisher.harvest.dumps import export
from publisher.harvest.feed import page_count
from publisher.harvest.sidecar import Sidecar, sidecar_path
from publisher.mapping.vocab import ONTOLOGY_PATH
from publisher.store.executor import InlineExecutor
from publisher.store.factory import open_store
from publisher.store.remote import RemoteStore

# The representations written for every resource: Accept header -> file name.
RESOURCE_FILES = {
    "text/html": "index.html",
    "text/turtle": "index.ttl",
    "application/ld+json": "index.jsonld",
    "application/n-triples": "index.nt",
}
FEED_FILE = "index.json"


@dataclass
class SiteSummary:
    resources: int = 0
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    gone: int = 0


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes


async def fetch(
    app: Any, target: str, accept: str = "*/*", origin: str = "http://localhost/"
) -> _Answer:
    """GET `target` (a path with its query, percent-encoded) from an ASGI app, as uvicorn
    would pass it: the decoded path for routing, the raw one beside it; asked of
    `origin` (the base URI, where the static site is hosted)."""
    path, _, query = target.partition("?")
    at = urlsplit(origin)
    port = at.port or (443 if at.scheme == "https" else 80)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": at.scheme,
        "path": unquote(path),
        "raw_path": path.encode("ascii", "strict"),
        "query_string": query.encode("ascii", "strict"),
        "root_path": "",
        "headers": [(b"host", at.netloc.encode("idna")), (b"accept", accept.encode())],
        "client": ("127.0.0.1", 0),
        "server": (at.hostname or "localhost", port),
    }
    answer = _Answer(0, {}, b"")
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = int(message["status"])
            answer.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    await app(scope, receive, send)
    answer.body = b"".join(chunks)
    return answer


def build(settings: Settings, out_dir: Path) -> SiteSummary:
    """Export the dumps into `out_dir/dumps`, then write every page and file."""
    from publisher.web.app import create_app  # the web layer imports harvest, not back

    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings, read_only=True)
    try:
        export(store if isinstance(store, RemoteStore) else settings.store,
               settings.base_uri, out_dir / "dumps")  # fmt: skip
        settings = settings.model_copy(update={"dumps": out_dir / "dumps"})
        app = create_app(settings, store, InlineExecutor(store, max_rows=settings.max_rows))
        index = Sidecar(settings.index or sidecar_path(settings.store), read_only=True)
        return asyncio.run(_Builder(app, settings, index, out_dir).run())
    finally:
        store.close()


class _Builder:
    def __init__(self, app: Any, settings: Settings, index: Sidecar, out_dir: Path) -> None:
        self.app = app
        self.settings = settings
        self.base = settings.base_uri
        self.index = index
        self.out = out_dir
        self.summary = SiteSummary()

    async def run(self) -> SiteSummary:
        await self.file("/", "index.html", "text/html")
        await self.file("/robots.txt", "robots.txt")
        await self.file("/dumps/", "dumps/index.html", "text/html")
        await self.file("/dumps/?format=json", "dumps/index.json")
        for path in ("dataset", ".well-known/void", ONTOLOGY_PATH):
            await self.resource(path)
        await self.sitemaps()
        await self.changes()
        for iri, _kind in self.index.resources(live=True):
            if iri.startswith(self.base):
                self.summary.resources += 1
                await self.resource(iri[len(self.base) :])
        self.write_nginx()
        return self.summary

    def target(self, relative: str) -> Path | None:
        """Where a URL path's file goes; None for a path that would leave the folder."""
        decoded = unquote(relative).lstrip("/")
        parts = [p for p in decoded.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return None
        path = self.out.joinpath(*parts)
        return path if path.resolve().is_relative_to(self.out) else None

    async def file(self, url: str, relative: str, accept: str = "*/*") -> bool:
        answer = await fetch(self.app, url, accept, self.base)
        where = self.target(relative)
        if answer.status != 200 or where is None:
            self.summary.skipped.append(f"{url} ({answer.status})")
            return False
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_bytes(answer.body)
        self.summary.files += 1
        return True

    async def resource(self, path: str) -> None:
        folder = self.target(path)
        if folder is None or not path:
            self.summary.skipped.append(f"/{path} (not a file path)")
            return
        for accept, name in RESOURCE_FILES.items():
            if not await self.file("/" + path, f"{path}/{name}", accept):
                return

    async def sitemaps(self) -> None:
        await self.file("/sitemap.xml", "sitemap.xml")
        for number in _numbers(self.out / "sitemap.xml", "/sitemaps/", ".xml"):
            await self.file(f"/sitemaps/{number}.xml", f"sitemaps/{number}.xml")

    async def changes(self) -> None:
        answer = await fetch(self.app, "/changes", "application/ld+json", self.base)
        if answer.status != 200:
            return
        self.write(f"changes/{FEED_FILE}", answer.body)
        total = self.index.change_count()
        pages = page_count(total, self.settings.changes_page_size) if total else 0
        for number in range(1, pages + 1):
            await self.file(f"/changes/{number}", f"changes/{number}/{FEED_FILE}")

    def write(self, relative: str, body: bytes) -> None:
        where = self.target(relative)
        if where is not None:
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_bytes(body)
            self.summary.files += 1

    def write_nginx(self) -> None:
        gone = []
        for iri, _kind in self.index.resources(live=False):
            if iri.startswith(self.base) and '"' not in iri and "\\" not in iri:
                gone.append(f'"/{unquote(iri[len(self.base) :])}" 1;\n')
        self.summary.gone = len(gone)
        self.write("gone.map", "".join(gone).encode())
        self.write("nginx.conf", nginx_conf(self.base, self.out).encode())


def _numbers(index: Path, prefix: str, suffix: str) -> Iterator[int]:
    """Child sitemap numbers named in the sitemap index just written."""
    text = index.read_text(encoding="utf-8") if index.is_file() else ""
    for piece in text.split(prefix)[1:]:
        number = piece.split(suffix, 1)[0]
        if number.isdigit():
            yield int(number)


def nginx_conf(base_uri: str, root: Path) -> str:
    host = urlsplit(base_uri).hostname or "_"
    return NGINX_TEMPLATE.replace("@HOST@", host).replace("@ROOT@", str(root))


NGINX_TEMPLATE = r"""# nginx for a site written by `publisher build-site` (a sample: adapt it).
# The maps belong in the http {} block, the server block beside them.
#
# Content negotiation as the live server does it: ?format= wins; otherwise RDF media
# types named in Accept, then HTML for browsers, and Turtle for */* or no Accept.
# (nginx cannot weigh q-values: an Accept naming both RDF and HTML gets the RDF.)

map $http_accept $publisher_accept_ext {
    default                     ttl;
    "~*text/turtle"             ttl;
    "~*application/ld\+json"    jsonld;
    "~*application/n-triples"   nt;
    "~*text/html"               html;
    "~*application/xhtml"       html;
}
map $arg_format $publisher_ext {
    default     $publisher_accept_ext;
    turtle      ttl;
    ttl         ttl;
    jsonld      jsonld;
    ntriples    nt;
    nt          nt;
    html        html;
}
# Resources that were published and withdrawn: 410 Gone, as the live server answers.
map $uri $publisher_gone {
    default 0;
    include @ROOT@/gone.map;
}

server {
    listen 80;
    server_name @HOST@;
    root @ROOT@;
    charset utf-8;
    charset_types text/turtle application/ld+json application/n-triples application/xml
                  text/plain application/json;
    types {
        text/html               html;
        text/turtle             ttl;
        application/ld+json     jsonld;
        application/n-triples   nt;
        application/xml         xml;
        application/json        json;
        text/plain              txt;
        application/gzip        gz;
    }
    default_type text/plain;

    if ($publisher_gone) {
        return 410;
    }

    location / {
        add_header Vary Accept always;
        add_header Access-Control-Allow-Origin * always;
        try_files $uri/index.$publisher_ext $uri/index.html $uri =404;
    }
    # The change feed: ActivityStreams 2.0 pages.
    location /changes {
        default_type "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
        add_header Access-Control-Allow-Origin * always;
        try_files $uri/index.json =404;
    }
    # Dumps: nginx answers range requests and sends Content-Length and ETag itself.
    location /dumps/ {
        try_files $uri $uri/index.html =404;
    }
    location = /dumps/SHA256SUMS {
        default_type text/plain;
    }
}
"""
