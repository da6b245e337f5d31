"""`publisher build-site`: the static files, served by a plain static file server
(python -m http.server), give the same graphs and pages as the live server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx
import pytest
from conftest import BASE, SEED_IRI, free_port, run_cli, start_server, stop_server
from helpers.crawler_graph import crawler_problems, is_article
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SAMPLE = [
    SEED_IRI.removeprefix(BASE),
    "person/doi/10.3389/fonc.2021.699946/1",
    "periodical/issn/2234-943X",
    "periodical/issn/2234-943X/volume/11",
    "trial/nct/NCT02349698",
    "article/doi/10.1371/journal.pone.0134826",
    "dataset",
    ".well-known/void",
    "ontology",
]
FILES = [
    ("text/turtle", "index.ttl", "turtle"),
    ("application/ld+json", "index.jsonld", "json-ld"),
    ("application/n-triples", "index.nt", "nt"),
]


@dataclass(frozen=True)
class Sites:
    folder: Path
    static: str
    live: str


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, example_store: Path) -> Iterator[Sites]:
    folder = tmp_path_factory.mktemp("site") / "public"
    result = run_cli("build-site", "--store", str(example_store), "--base-uri", BASE, str(folder))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped" not in result.stderr
    live_process, live = start_server(example_store, env={"PUBLISHER_DUMPS": str(folder / "dumps")})
    port = free_port()
    static_process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    static = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(static + "/robots.txt", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield Sites(folder, static, live.url)
    finally:
        os.kill(static_process.pid, signal.SIGTERM)
        static_process.wait(timeout=10)
        stop_server(live_process)


def embedded_jsonld(html: str) -> Graph:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert match is not None
    return Graph().parse(data=match.group(1), format="json-ld")


@pytest.mark.parametrize("path", SAMPLE)
def test_static_files_give_the_live_servers_graphs(sites: Sites, path: str) -> None:
    for media_type, name, rdflib_format in FILES:
        static = httpx.get(f"{sites.static}/{path}/{name}")
        assert static.status_code == 200, f"{path}/{name}"
        live = httpx.get(f"{sites.live}/{path}", headers={"Accept": media_type})
        assert live.status_code == 200
        assert isomorphic(
            Graph().parse(data=static.content, format=rdflib_format),
            Graph().parse(data=live.content, format=rdflib_format),
        ), f"{path} as {media_type}"


# Record pages byte for byte (the ontology's JSON-LD lists nodes in rdflib's parse order,
# which differs between processes; its graphs are compared above).
@pytest.mark.parametrize("path", SAMPLE[:6])
def test_static_pages_are_the_pages_the_server_renders(sites: Sites, path: str) -> None:
    static = httpx.get(f"{sites.static}/{path}/", follow_redirects=True)
    assert static.status_code == 200
    assert static.headers["content-type"].startswith("text/html")
    live = httpx.get(f"{sites.live}/{path}", headers={"Accept": "text/html"})
    assert static.text == live.text
    turtle = Graph().parse(data=httpx.get(f"{sites.static}/{path}/index.ttl").text)
    embedded, iri = embedded_jsonld(static.text), URIRef(BASE + path)
    if is_article(turtle, iri):  # with what crawlers read (publisher.web.scholar)
        assert crawler_problems(embedded, turtle, iri) == []
    else:
        assert isomorphic(embedded, turtle)


def test_site_has_landing_page_sitemaps_feed_void_and_dumps(sites: Sites) -> None:
    for path in ("/", "/robots.txt", "/sitemap.xml", "/dumps/"):
        static = httpx.get(sites.static + path)
        live = httpx.get(sites.live + path, headers={"Accept": "text/html"})
        # The live server answers at a port its IRIs do not name: its landing page says
        # so (publisher.web.addresses); the static site is where they lead.
        shown = re.sub(rb'<p class="warning" role="alert">.*?</p>\n', b"", live.content)
        assert static.status_code == 200 and static.content == shown, path
    for loc in re.findall(r"<loc>([^<]+)</loc>", httpx.get(sites.static + "/sitemap.xml").text):
        child = loc.removeprefix(BASE[:-1])
        assert httpx.get(sites.static + child).content == httpx.get(sites.live + child).content
    feed = json.loads((sites.folder / "changes" / "index.json").read_text())
    assert feed == httpx.get(sites.live + "/changes").json()
    first = json.loads((sites.folder / "changes" / "1" / "index.json").read_text())
    assert first == httpx.get(sites.live + "/changes/1").json()
    listing = httpx.get(sites.live + "/dumps/", headers={"Accept": "application/json"}).json()
    for entry in listing["files"]:
        static = httpx.get(f"{sites.static}/dumps/{entry['name']}")
        assert len(static.content) == entry["byteSize"]
    sums = httpx.get(sites.static + "/dumps/SHA256SUMS").text
    assert all(entry["sha256"] in sums for entry in listing["files"])
    ontology = httpx.get(sites.static + "/ontology/index.ttl").text
    assert "SourceRecord" in ontology


def test_site_ships_an_nginx_configuration_doing_the_negotiation(sites: Sites) -> None:
    conf = (sites.folder / "nginx.conf").read_text()
    assert "map $http_accept $publisher_accept_ext" in conf
    assert "try_files $uri/index.$publisher_ext $uri/index.html $uri =404;" in conf
    assert f"root {sites.folder.resolve()};" in conf
    assert "add_header Vary Accept" in conf
    assert "return 410;" in conf and (sites.folder / "gone.map").is_file()
    page = (sites.folder / SEED_IRI.removeprefix(BASE) / "index.html").read_text()
    assert unescape("Successful Treatment") in page
