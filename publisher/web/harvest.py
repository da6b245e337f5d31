"""Routes for crawlers and harvesters: VoID/DCAT, sitemaps, robots.txt, dumps, the change
feed and search. Everything is read from the side database and the dumps folder, which
ingest and export keep current: no request scans the store.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from jinja2 import Environment
from pyoxigraph import NamedNode, Triple
from starlette.concurrency import run_in_threadpool

from publisher.config import Settings
from publisher.harvest import feed, sitemaps
from publisher.harvest.dumps import MANIFEST, SUMS, DumpFile, read_manifest
from publisher.harvest.search import search
from publisher.harvest.sidecar import Sidecar, SitemapChunk, sidecar_path
from publisher.harvest.void import DatasetInfo, description
from publisher.store.base import Store
from publisher.validation.summary import dataset_iri
from publisher.web.conneg import negotiate
from publisher.web.errors import ClientError

Represent = Callable[[Request, NamedNode, list[Triple]], Response]
XML = "application/xml"
HTML = "text/html"
JSON = "application/json"
SHORT_CACHE = "public, max-age=60"
LONG_CACHE = "public, max-age=86400"
CHECKSUM_FILES = {SUMS: "text/plain; charset=utf-8", MANIFEST: JSON}
GET_HEAD = ["GET", "HEAD"]


class Harvest:
    """What the routes share: the side database (read-only) and the dumps folder."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.base = settings.base_uri
        folder = getattr(store, "path", None)
        if settings.index is not None:
            path: Path | None = settings.index
        elif isinstance(folder, Path):
            path = sidecar_path(folder)
        else:
            path = None
        self.sidecar = Sidecar(path, read_only=True)
        self.dumps_folder = settings.dumps
        self.info = DatasetInfo(settings.title, settings.license, settings.publisher_name)
        self._chunks: tuple[tuple[float, int], list[SitemapChunk]] | None = None

    def gone(self, iri: str) -> bool:
        """Published once, removed since (answered 410 Gone, not 404)."""
        return self.sidecar.resource_state(iri) is False

    def dumps(self) -> list[DumpFile]:
        return read_manifest(self.dumps_folder)

    def dataset(self) -> list[Triple]:
        iri = dataset_iri(self.base)
        stored = self.store.describe(iri)
        modified = self.sidecar.last_change_time()
        return description(self.base, self.info, stored, self.dumps(), modified)

    def sitemap_chunks(self) -> list[SitemapChunk]:
        """Cached until the side database changes (its grouping reads every resource row)."""
        path = self.sidecar.path
        try:
            stat = path.stat() if path is not None else None
        except OSError:
            stat = None
        key = (stat.st_mtime, stat.st_size) if stat is not None else (0.0, 0)
        if self._chunks is None or self._chunks[0] != key:
            self._chunks = (key, self.sidecar.sitemap_chunks(self.settings.sitemap_size))
        return self._chunks[1]


def add_routes(
    app: FastAPI,
    settings: Settings,
    store: Store,
    represent: Represent,
    templates: Callable[[], Environment],
) -> Harvest:
    """Register the routes (before the catch-all resource route); returns what the
    resource route asks about tombstones."""
    harvest = Harvest(settings, store)
    base = settings.base_uri

    @app.api_route("/robots.txt", methods=GET_HEAD, include_in_schema=False)
    async def robots() -> Response:
        return PlainTextResponse(sitemaps.robots(base))

    @app.api_route(
        "/sitemap.xml",
        methods=GET_HEAD,
        summary="Sitemap index: one child sitemap per 50 000 resources",
    )
    async def sitemap_index() -> Response:
        chunks = await run_in_threadpool(harvest.sitemap_chunks)
        body = sitemaps.sitemap_index(base, chunks)
        return Response(body, media_type=XML, headers={"Cache-Control": SHORT_CACHE})

    @app.api_route(
        "/sitemaps/{number:int}.xml",
        methods=GET_HEAD,
        summary="A child sitemap: resources with lastmod",
    )
    async def sitemap(number: int) -> Response:
        urls = await run_in_threadpool(harvest.sidecar.sitemap_urls, number, settings.sitemap_size)
        if urls is None:
            raise ClientError(404, f"there is no sitemap {number}")
        body = sitemaps.urlset(urls)
        return Response(body, media_type=XML, headers={"Cache-Control": SHORT_CACHE})

    @app.api_route(
        "/.well-known/void", methods=GET_HEAD, summary="The dataset in VoID and DCAT (as /dataset)"
    )
    async def well_known_void(request: Request) -> Response:
        triples = await run_in_threadpool(harvest.dataset)
        response = await run_in_threadpool(represent, request, dataset_iri(base), triples)
        response.headers["Content-Location"] = "/dataset"
        return response

    @app.api_route(
        "/dataset",
        methods=GET_HEAD,
        summary="The dataset: VoID, DCAT, statistics, validation summary",
    )
    async def dataset(request: Request) -> Response:
        triples = await run_in_threadpool(harvest.dataset)
        return await run_in_threadpool(represent, request, dataset_iri(base), triples)

    @app.api_route("/dumps", methods=GET_HEAD, include_in_schema=False)
    async def dumps_folder() -> Response:
        return RedirectResponse("/dumps/", status_code=301)

    @app.api_route(
        "/dumps/", methods=GET_HEAD, summary="The data dumps, with sizes and SHA-256 checksums"
    )
    async def dumps_listing(request: Request) -> Response:
        files = await run_in_threadpool(harvest.dumps)
        wanted = request.query_params.get("format") or negotiate(
            request.headers.get("accept"), [HTML, JSON]
        )
        if wanted in ("json", JSON):
            listing = [_dump_json(base, f) for f in files]
            return Response(orjson.dumps({"files": listing}), media_type=JSON,
                            headers={"Vary": "Accept"})  # fmt: skip
        html = templates().get_template("dumps.html").render(files=files, base=base)
        return HTMLResponse(html, headers={"Vary": "Accept"})

    @app.api_route("/dumps/{name}", methods=GET_HEAD, summary="One dump (Range supported)")
    async def dump(name: str) -> Response:
        folder = harvest.dumps_folder
        if name in CHECKSUM_FILES and (folder / name).is_file():
            return FileResponse(folder / name, media_type=CHECKSUM_FILES[name])
        files = {f.name: f for f in await run_in_threadpool(harvest.dumps)}
        found = files.get(name)
        if found is None:
            raise ClientError(404, f"there is no dump {name!r}; see /dumps/")
        digest = base64.b64encode(bytes.fromhex(found.sha256)).decode()
        headers = {
            # RFC 9530 (the representation's digest, also on 206 answers), and its
            # predecessor RFC 3230 for older download tools.
            "Repr-Digest": f"sha-256=:{digest}:",
            "Digest": f"sha-256={digest}",
            "ETag": f'"{found.sha256}"',
            "Cache-Control": SHORT_CACHE,
        }
        return FileResponse(
            folder / found.name,
            media_type=found.served_type,
            headers=headers,
            filename=found.name,
        )

    @app.api_route(
        "/changes", methods=GET_HEAD, summary="Change feed: ActivityStreams 2.0 OrderedCollection"
    )
    async def changes(request: Request) -> Response:
        total = await run_in_threadpool(harvest.sidecar.change_count)
        document = feed.collection(base, total, settings.changes_page_size)
        return _activity_json(request, document, SHORT_CACHE)

    @app.api_route(
        "/changes/{number:int}",
        methods=GET_HEAD,
        summary="One page of the change feed, newest last",
    )
    async def changes_page(request: Request, number: int) -> Response:
        size = settings.changes_page_size
        total = await run_in_threadpool(harvest.sidecar.change_count)
        last = feed.page_count(total, size)
        if not 1 <= number <= last:
            raise ClientError(404, f"there is no page {number} (pages 1 to {last})")
        first_seq, last_seq = feed.page_range(number, size)
        items = await run_in_threadpool(harvest.sidecar.changes, first_seq, last_seq)
        document = feed.page(base, number, total, size, items)
        return _activity_json(request, document, LONG_CACHE if number < last else SHORT_CACHE)

    @app.api_route(
        "/search",
        methods=GET_HEAD,
        summary="Full-text search over titles, abstracts, authors, journals",
    )
    async def search_page(request: Request, q: str = "", page: int = 1) -> Response:
        page = max(1, page)
        results = await run_in_threadpool(search, harvest.sidecar, q, page, base)
        wanted = request.query_params.get("format") or negotiate(
            request.headers.get("accept"), [HTML, JSON]
        )
        if wanted in ("json", JSON):
            return Response(orjson.dumps(results.as_json()), media_type=JSON,
                            headers={"Vary": "Accept"})  # fmt: skip
        html = templates().get_template("search.html").render(results=results)
        return HTMLResponse(html, headers={"Vary": "Accept"})

    return harvest


def _dump_json(base: str, dump: DumpFile) -> dict[str, object]:
    return {
        "name": dump.name,
        "url": f"{base}dumps/{dump.name}",
        "title": dump.title,
        "mediaType": dump.media_type,
        "compression": dump.compression,
        "byteSize": dump.size,
        "sha256": dump.sha256,
        "modified": dump.modified,
        "statements": dump.statements,
    }


def _activity_json(request: Request, document: dict[str, object], cache: str) -> Response:
    accept = request.headers.get("accept") or ""
    media_type = feed.ACTIVITY_JSON if feed.ACTIVITY_JSON in accept else feed.MEDIA_TYPE
    return Response(
        orjson.dumps(document),
        media_type=media_type,
        headers={"Cache-Control": cache, "Vary": "Accept"},
    )
