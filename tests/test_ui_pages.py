"""The pages as a new user sees them, in headless Chromium (issue 16, items 3 and 6).

Debian's /usr/bin/chromium driven by Playwright against a real server on the rich store
(helpers/rich_store.py). Every request a page makes is recorded and anything not to our
server is aborted and fails the test. Checked: the article page shows its authors
numbered and its journal linked (and the link leads to the journal's page); the
article, person, journal and trial pages show no raw IRI where a name exists and no RDF
term where words exist; /api renders Swagger UI from our own files with no network.
Chromium is never installed by the tests: without it they skip naming the package
(fail under CI=true).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE, CHROMIUM_ARGS, SEED_DOI, LiveServer, start_server, stop_server
from helpers.rich_store import NEJM, NEJM_TRIAL, ORCID, SINGLE_GROUP_TRIAL, ingest_rich

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)

PAGES = {
    "article": NEJM,
    "seed article": f"{BASE}article/doi/{SEED_DOI}",
    "person": f"{BASE}person/doi/10.1056/nejmoa1203421/1",
    "person with ORCID": f"{BASE}person/orcid/{ORCID}",
    "journal": f"{BASE}periodical/issn/0028-4793",
    "issue": f"{BASE}periodical/issn/0028-4793/volume/367/issue/2",
    "trial": NEJM_TRIAL,
    "single-group trial": SINGLE_GROUP_TRIAL,
}
# RDF terms a reader should not have to read (the page's own IRI line aside).
TERMS = re.compile(r"\b(schema|pub|bibo|rdf|rdfs|xsd|prov|dcterms|foaf):[A-Za-z]")
CODES = re.compile(r"\b(PHASE\d|SINGLE_GROUP|COMPLETED|INTERVENTIONAL|RANDOMIZED|DRUG)\b")


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = ingest_rich(tmp_path_factory.mktemp("ui-pages"))
    process, server = start_server(store)
    yield server
    stop_server(process)


class Opened:
    """A fresh browser context on our server only: foreign requests aborted, recorded."""

    def __init__(self, browser: Any, server: LiveServer) -> None:
        self.context = browser.new_context()
        self.foreign: list[str] = []
        self.errors: list[str] = []
        origin = server.url + "/"

        def guard(route: Any) -> None:
            url = route.request.url
            if url.startswith(origin) or url.startswith("data:"):
                route.fallback()
            else:
                self.foreign.append(url)
                route.abort()

        self.context.route("**/*", guard)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def opened(browser: Any, rich: LiveServer) -> Iterator[Opened]:
    tab = Opened(browser, rich)
    yield tab
    tab.context.close()


def visit(opened: Opened, server: LiveServer, iri: str) -> Any:
    page = opened.page
    page.goto(server.url + "/" + iri.removeprefix(BASE))
    page.wait_for_load_state("load")
    return page


def test_article_shows_numbered_authors_and_a_linked_journal(
    opened: Opened, rich: LiveServer
) -> None:
    page = visit(opened, rich, NEJM)
    authors = page.locator("ol.authors > li")
    assert authors.count() == 26
    # Numbered by a CSS counter (generated content: not in the DOM's text, so the names
    # stay exactly the names): each item counts once, and its ::before shows the count.
    styles = page.evaluate(
        """() => Array.from(document.querySelectorAll('ol.authors > li')).map(li => [
             getComputedStyle(li).counterIncrement, getComputedStyle(li, '::before').content])"""
    )
    assert {tuple(s) for s in styles} == {("author 1", 'counter(author) ".\u00a0"')}
    assert (
        page.evaluate("getComputedStyle(document.querySelector('ol.authors')).counterReset")
        == "author 0"
    )
    assert authors.nth(0).inner_text() == "Keith T Flaherty"
    assert page.locator("span.journal").inner_text() == (
        "The New England journal of medicine, vol. 367, no. 2"
    )
    page.click("span.journal a >> nth=0")
    page.wait_for_load_state("load")
    assert page.url.endswith("/periodical/issn/0028-4793")
    assert page.inner_text("h1") == "The New England journal of medicine"
    assert opened.foreign == [] and opened.errors == []


@pytest.mark.parametrize("name", PAGES)
def test_no_raw_iri_where_a_name_exists(opened: Opened, rich: LiveServer, name: str) -> None:
    """Every link on the page that leads within the site reads as a name, never its
    IRI; the page's text names no RDF term and no registry code (the identifier line
    under "Other statements" and the source records excepted: they are identifiers)."""
    page = visit(opened, rich, PAGES[name])
    links = page.evaluate(
        """() => Array.from(document.querySelectorAll('main a'))
             .filter(a => !a.closest('.iri, .sources'))
             .map(a => [a.getAttribute('href'), a.innerText])"""
    )
    for href, text in links:
        assert text.strip(), (name, href)
        if text == href and not href.startswith("/"):
            continue  # a link out to a web page: it has no name to show
        assert not text.startswith(("http://", "https://", "/")), (name, href, text)
        assert not TERMS.search(text), (name, href, text)
    shown = page.evaluate(
        """() => { const main = document.querySelector('main').cloneNode(true);
                   main.querySelectorAll('.iri, .sources').forEach(e => e.remove());
                   return main.innerText; }"""
    )
    assert not TERMS.search(shown), (name, TERMS.search(shown))
    assert not CODES.search(shown), (name, CODES.search(shown))
    assert rich.base_uri not in shown, name
    assert opened.foreign == [] and opened.errors == []


def test_api_renders_offline(opened: Opened, rich: LiveServer) -> None:
    page = opened.page
    page.goto(rich.url + "/api")
    page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert "Scholarly Linked Data publisher" in page.inner_text(".swagger-ui .info")
    assert "/sparql" in page.inner_text(".swagger-ui")
    assert opened.foreign == [], opened.foreign  # nothing from a CDN, no validator badge
    assert opened.errors == []
