"""The query page in a real browser: YASGUI from our own files, querying our own endpoint.

Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against a real
server on the example store. Every request the page makes is recorded, and anything
that is not our server fails the test (and is aborted, so nothing leaves the machine).
Chromium is never installed by the tests (.ci/run installs Debian's `chromium`): when it
is missing the tests skip naming the package, or fail under CI=true.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import CHROMIUM_ARGS, SEED_DOI, LiveServer, start_server, stop_server

from publisher.web import queryui

SEED_TITLE = (
    "Successful Treatment of Refractory and Relapsed CNS Acute Lymphoblastic Leukemia "
    "With CD-19 CAR-T Immunotherapy: A Case Report"
)
ACTIVE = ".tabPanel.active"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)


@dataclass
class Traffic:
    origin: str
    requests: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """Every request not to our server (data: URLs are not requests to anyone)."""
        mine = urlsplit(self.origin)
        bad = []
        for _, url in self.requests:
            parts = urlsplit(url)
            if parts.scheme == "data":
                continue
            if (parts.scheme, parts.hostname, parts.port) != (mine.scheme, "127.0.0.1", mine.port):
                bad.append(url)
        return bad


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    """Chromium (conftest's `chromium_path`: Debian's, skipped when missing)."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def open_query_page(browser: Any, server: LiveServer) -> Iterator[tuple[Any, Traffic]]:
    """/sparql in a fresh browser context, every request recorded, foreign ones aborted."""
    context = browser.new_context()
    traffic = Traffic(server.url)

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(server.url + "/") or url.startswith("data:"):
            route.fallback()
        else:
            route.abort()  # recorded by the request listener; never leaves the machine

    context.route("**/*", guard)
    page = context.new_page()
    page.on("request", lambda r: traffic.requests.append((r.method, r.url)))
    page.on("pageerror", lambda e: traffic.errors.append(str(e)))
    page.on(
        "console",
        lambda m: traffic.errors.append(m.text) if m.type == "error" else None,
    )
    try:
        page.goto(server.url + "/sparql")
        page.wait_for_function("window.queryUI !== undefined", timeout=60_000)
        yield page, traffic
    finally:
        context.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[tuple[Any, Traffic]]:
    with open_query_page(browser, live_server) as opened:
        yield opened


@pytest.fixture(scope="module")
def capped_server(example_store: Path) -> Iterator[LiveServer]:
    """The example store served with a row cap of 3 (`serve --max-rows 3`)."""
    process, server = start_server(example_store, extra_args=["--max-rows", "3"])
    yield server
    stop_server(process)


def run_active_query(page: Any) -> None:
    page.click(f"{ACTIVE} .yasqe_queryButton")
    page.wait_for_selector(f"{ACTIVE} .yasr_results table tbody tr", timeout=60_000)


def column(page: Any, name: str) -> list[str]:
    """The values of one result column of the active tab, from YASR's parsed results."""
    values = page.evaluate(
        """name => window.queryUI.yasgui.getTab().getYasr().results.getBindings()
                 .map(b => b[name] ? b[name].value : null)""",
        name,
    )
    assert isinstance(values, list)
    return [str(v) for v in values]


def test_page_is_yasgui_from_our_own_files(page: tuple[Any, Traffic]) -> None:
    browser_page, traffic = page
    assert browser_page.locator(".yasgui .yasqe .CodeMirror").count() == 1
    loaded = [urlsplit(url).path for _, url in traffic.requests]
    assert "/static/yasgui/yasgui.min.js" in loaded
    assert "/static/yasgui/yasgui.min.css" in loaded
    # The editor starts with our prefixes and the first example.
    query = browser_page.evaluate("window.queryUI.yasgui.getTab().getQuery()")
    assert "PREFIX pub: <https://w3id.org/scholarly-publisher/ontology#>" in query
    assert "PREFIX bibo: <http://purl.org/ontology/bibo/>" in query
    # The endpoint is ours, relative to wherever the page came from.
    assert browser_page.evaluate("window.queryUI.yasgui.getTab().getEndpoint()") == "/sparql"
    assert traffic.foreign() == []
    assert traffic.errors == []


def test_running_a_query_shows_the_results(page: tuple[Any, Traffic]) -> None:
    browser_page, traffic = page
    run_active_query(browser_page)
    table = browser_page.inner_text(f"{ACTIVE} .yasr_results table")
    assert SEED_TITLE in table
    assert SEED_TITLE in column(browser_page, "title")
    assert f"http://127.0.0.1:8000/article/doi/{SEED_DOI}" in column(browser_page, "article")
    assert ("POST", traffic.origin + "/sparql") in traffic.requests
    assert traffic.foreign() == []
    assert traffic.errors == []


def test_example_buttons_open_and_run_the_examples(page: tuple[Any, Traffic]) -> None:
    browser_page, traffic = page
    browser_page.click("#query-examples button:text-is('Articles mentioning a trial')")
    tab_name = browser_page.evaluate("window.queryUI.yasgui.getTab().getName()")
    assert tab_name == "Articles mentioning a trial"
    run_active_query(browser_page)
    assert column(browser_page, "registration") == ["NCT01245062", "NCT02149199", "NCT02349698"]

    browser_page.click("#query-examples button:text-is('Authors of one article, in order')")
    run_active_query(browser_page)
    names = column(browser_page, "name")
    assert names[0] == "Kyaw Thu Htun"
    assert names[-1] == "Jieping Chen"
    assert column(browser_page, "position") == [str(n) for n in range(1, 8)]

    browser_page.click("#query-examples button:text-is('Articles per journal')")
    run_active_query(browser_page)
    names, counts = column(browser_page, "name"), column(browser_page, "articles")
    journals = dict(zip(names, counts, strict=True))
    assert journals["The New England journal of medicine"] == "2"
    assert traffic.foreign() == []
    assert traffic.errors == []


def test_typing_a_prefixed_name_does_not_call_prefix_services(page: tuple[Any, Traffic]) -> None:
    """YASQE's stock autocompleters fetch prefix.cc and LOV while one types."""
    browser_page, traffic = page
    browser_page.click(f"{ACTIVE} .CodeMirror")
    browser_page.keyboard.press("Control+End")
    browser_page.keyboard.type("\n# dc:title owl:Class skos:\nSELECT * WHERE { ?s a foaf:")
    browser_page.keyboard.press("Control+Space")
    browser_page.wait_for_timeout(500)
    assert traffic.foreign() == []


def test_truncated_results_show_a_note(browser: Any, capped_server: LiveServer) -> None:
    """A server capped at 3 rows says so in X-SPARQL-Truncated / X-SPARQL-Max-Rows; the page
    shows it next to the results, and drops the note when the next answer is complete."""
    with open_query_page(browser, capped_server) as (page, traffic):
        run_active_query(page)  # the first example: six articles
        note = page.locator(f"{ACTIVE} .sparql-truncated")
        note.wait_for(state="visible", timeout=30_000)
        assert "Results truncated at 3 rows" in note.inner_text()
        assert len(column(page, "title")) == 3
        trials = dict(queryui.example_queries())["Articles mentioning a trial"]
        page.evaluate("query => { window.queryUI.yasgui.getTab().setQuery(query); }", trials)
        page.click(f"{ACTIVE} .yasqe_queryButton")
        note.wait_for(state="detached", timeout=30_000)
        page.wait_for_function(
            "window.queryUI.yasgui.getTab().getYasr().results.getBindings().length === 3"
        )
        assert column(page, "registration") == ["NCT01245062", "NCT02149199", "NCT02349698"]
        assert traffic.foreign() == []
        assert traffic.errors == []
