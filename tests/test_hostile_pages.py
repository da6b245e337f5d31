"""Record text that tries to break out of the page: `</script>`, `<!--`, `<b>`, an `<img
onerror>` and `<script>` in a title and in author names.

Ingested through the real command line from a catalogue page, served by a real server,
and checked twice: in the raw HTML (escaped everywhere, the JSON-LD block has no `<`),
and in headless Chromium (Debian's /usr/bin/chromium through Playwright), where the
record's scripts must not run (no dialog, no global flag, no request for its image) and
its text must show as text: the resource pages with their JSON-LD, the listings, the
search page (the record's hits, and a query that is itself markup), and the query
page's YASGUI results table. Chromium is never installed by the tests (.ci/run installs
Debian's `chromium`): without it the browser part skips naming the package (fails under
CI=true).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    BASE,
    CHROMIUM_ARGS,
    SEED,
    SEED_DOI,
    SEED_IRI,
    LiveServer,
    run_cli,
    start_server,
    stop_server,
)
from rdflib import Graph, Literal, Namespace, URIRef
from test_http_resources import BROWSER, jsonld_blocks, parse_html

SCHEMA = Namespace("https://schema.org/")
HOSTILE_TITLE = (
    "</script><script>alert('title')</script><!-- <b>Bold</b> & "
    "<img src=x onerror=\"alert('img')\"> Case Report"
)
# VuFind's "Family, Given, Family, Given" list: the first two authors get markup.
HOSTILE_AUTHORS = (
    "Hauptverfasser: <b>Htun</b>, </script><script>alert('author')</script> Kyaw, "
    "Gong <!-- x, Qiang --><script>window.__pwned=1</script>,"
)
PERSON = f"{BASE}person/doi/{SEED_DOI}/"
SNIPPET = re.compile(r'<script type="application/ld\+json">\n(\{.*\n\})\n</script>\n', re.S)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("hostile-pages")
    text = SEED.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    text = HOSTILE_TITLE + "\n" + "".join(lines[1:])
    authors = "Hauptverfasser: Htun, Kyaw Thu, Gong, Qiang,"
    assert authors in text
    page = folder / "hostile.txt"
    page.write_text(text.replace(authors, HOSTILE_AUTHORS, 1), encoding="utf-8")
    store = folder / "store"
    result = run_cli("ingest", "--store", str(store), "--base-uri", BASE, str(page))
    assert result.returncode == 0, result.stdout + result.stderr
    process, server = start_server(store)
    try:
        yield server
    finally:
        stop_server(process)


def fetch(server: LiveServer, path: str, accept: str = BROWSER) -> httpx.Response:
    response = httpx.get(server.url + path, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    return response


@pytest.fixture(scope="module")
def names(hostile: LiveServer) -> list[str]:
    """The first two authors' names as published (markup and all)."""
    out = []
    for n in (1, 2):
        turtle = fetch(hostile, f"/person/doi/{SEED_DOI}/{n}", "text/turtle").text
        name = (
            Graph().parse(data=turtle, format="turtle").value(URIRef(f"{PERSON}{n}"), SCHEMA.name)
        )
        assert isinstance(name, Literal)
        out.append(str(name))
    assert "</script><script>alert('author')</script>" in out[0] and "<b>Htun</b>" in out[0]
    assert "<script>window.__pwned=1</script>" in out[1] and "<!--" in out[1]
    return out


# Pages showing record text, and how many <script> elements each has of its own.
PAGES = {
    "article": (f"/article/doi/{SEED_DOI}", 1),
    "author 1": (f"/person/doi/{SEED_DOI}/1", 1),
    "author 2": (f"/person/doi/{SEED_DOI}/2", 1),
    "articles": ("/articles", 1),
    "people": ("/people", 1),
    "landing": ("/", 0),
    "search": ("/search?q=Case%20Report", 0),
    # The query itself is markup: reflected in the form and the title, escaped.
    "search for markup": ("/search?q=%3C%2Fscript%3E%3Cscript%3Ealert(%27q%27)%3C%2Fscript%3E", 0),
}
SHOWS_TITLE = ("article", "articles", "landing", "search")


@pytest.mark.parametrize("name", PAGES)
def test_record_text_is_escaped_in_the_html(
    hostile: LiveServer, names: list[str], name: str
) -> None:
    path, scripts = PAGES[name]
    raw = fetch(hostile, path).text
    for fragment in ("<script>alert", "<script>window", "<!-- ", "<b>", "<img"):
        assert fragment not in raw, (name, fragment)
    page = parse_html(raw)
    assert len(page.find_all("script")) == scripts
    assert page.find_all("b") == [] and page.find_all("img") == []
    shown = page.one("main").text()
    if name in SHOWS_TITLE:
        assert HOSTILE_TITLE in shown
    if name in ("article", "author 1", "people"):
        assert names[0] in shown
    for block in jsonld_blocks(page):
        assert "<" not in block and ">" not in block  # sent as \u003c, \u003e
        json.loads(block)


def test_the_article_page_shows_title_and_authors_exactly(
    hostile: LiveServer, names: list[str]
) -> None:
    page = parse_html(fetch(hostile, f"/article/doi/{SEED_DOI}").text)
    assert page.one("h1").text() == HOSTILE_TITLE
    assert page.one("title").text() == HOSTILE_TITLE
    authors = [li.text() for li in page.one("ol", class_="authors").find_all("li")]
    assert authors[:2] == names
    # Google Scholar's tags carry the same text, as attribute values (escaped, inert).
    meta = [
        (m.attrs["name"], m.attrs["content"]) for m in page.find_all("meta") if "name" in m.attrs
    ]
    assert ("citation_title", HOSTILE_TITLE) in meta
    assert [c for n, c in meta if n == "citation_author"][:2] == names
    (block,) = jsonld_blocks(page)
    document = json.loads(block)
    assert document["name"] == document["headline"] == HOSTILE_TITLE
    by_id = {a["@id"]: a["name"] for a in document["author"]}
    assert [by_id[f"{PERSON}1"], by_id[f"{PERSON}2"]] == names


def test_the_embed_snippet_escapes_too(hostile: LiveServer) -> None:
    snippet = fetch(hostile, f"/article/doi/{SEED_DOI}?embed").text
    match = SNIPPET.fullmatch(snippet)
    assert match
    assert "<" not in match.group(1) and ">" not in match.group(1) and "&" not in match.group(1)
    assert json.loads(match.group(1))["name"] == HOSTILE_TITLE


# --- In a real browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Watched:
    """A page in a fresh context: dialogs dismissed and recorded, every request recorded,
    anything not to our server aborted."""

    def __init__(self, browser: Any, origin: str) -> None:
        self.context = browser.new_context()
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.errors: list[str] = []

        def guard(route: Any) -> None:
            if route.request.url.startswith(origin + "/"):
                route.fallback()
            else:
                route.abort()

        self.context.route("**/*", guard)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("name", PAGES)
def test_no_record_script_runs_in_chromium(
    browser: Any, hostile: LiveServer, names: list[str], name: str
) -> None:
    path, scripts = PAGES[name]
    watched = Watched(browser, hostile.url)
    try:
        page = watched.page
        page.goto(hostile.url + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)  # an onerror handler would have fired by now
        assert watched.dialogs == []
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert watched.requests == [hostile.url + path]  # no <img src=x>, nothing else
        assert watched.errors == []
        found = page.evaluate(
            """() => Array.from(document.scripts).map(s => [s.type, s.textContent])"""
        )
        assert len(found) == scripts
        for kind, text in found:
            assert kind == "application/ld+json"
            json.loads(text)
        assert page.locator("main b, main img, main script").count() == 0
        shown = page.inner_text("main")
        if name in SHOWS_TITLE:
            assert HOSTILE_TITLE in shown
        if name in ("article", "author 1", "people"):
            assert names[0] in shown
        if name == "article":
            assert page.inner_text("h1") == HOSTILE_TITLE
            assert page.title() == HOSTILE_TITLE
            document = page.evaluate(
                """() => JSON.parse(
                     document.querySelector('script[type="application/ld+json"]').textContent)"""
            )
            assert document["name"] == HOSTILE_TITLE
    finally:
        watched.close()


def test_the_embed_snippet_runs_nothing_in_a_host_page(browser: Any, hostile: LiveServer) -> None:
    """A library pastes the snippet into its own page: still one inert data block."""
    snippet = fetch(hostile, f"/article/doi/{SEED_DOI}?embed").text
    watched = Watched(browser, hostile.url)
    try:
        page = watched.page
        page.set_content(
            f"<!doctype html><html><head><title>Library</title>{snippet}</head>"
            "<body><h1>Our catalogue</h1></body></html>"
        )
        page.wait_for_timeout(200)
        assert watched.dialogs == []
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.scripts.length") == 1
        document = page.evaluate("JSON.parse(document.scripts[0].textContent)")
        assert document["@id"] == SEED_IRI
        assert document["name"] == HOSTILE_TITLE
        assert page.inner_text("body") == "Our catalogue"
    finally:
        watched.close()


def test_yasgui_results_show_record_markup_as_text(
    browser: Any, hostile: LiveServer, names: list[str]
) -> None:
    """The query page runs a query over the hostile record; YASGUI's results table shows
    the title and author names as text, and runs none of their scripts."""
    watched = Watched(browser, hostile.url)
    query = (
        "PREFIX schema: <https://schema.org/>\n"
        "SELECT ?title ?name WHERE { ?a a schema:ScholarlyArticle ; schema:name ?title ;"
        " schema:author ?p . ?p schema:name ?name } ORDER BY ?name"
    )
    try:
        page = watched.page
        page.goto(hostile.url + "/sparql")
        page.wait_for_function("window.queryUI !== undefined", timeout=60_000)
        page.evaluate("query => { window.queryUI.yasgui.getTab().setQuery(query); }", query)
        page.click(".tabPanel.active .yasqe_queryButton")
        page.wait_for_selector(".tabPanel.active .yasr_results table tbody tr", timeout=60_000)
        page.wait_for_timeout(300)  # an onerror handler would have fired by now
        assert watched.dialogs == []
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert not [url for url in watched.requests if url.rstrip("/").endswith("/x")]
        table = page.locator(".tabPanel.active .yasr_results table tbody")
        assert table.locator("b, img, script, iframe").count() == 0
        shown = table.inner_text()
        assert HOSTILE_TITLE in shown
        assert names[0] in shown and names[1] in shown
    finally:
        watched.close()
