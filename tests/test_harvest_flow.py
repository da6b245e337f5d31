"""The change feed and sitemaps across runs: ingest, serve, ingest again, remove, with the
server restarted in between (the store is closed for writing while it serves).

A crawler that has read a page must find it unchanged later, new activities after the
ones it saw, and lastmod moving only when a resource's data changed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
from conftest import BASE, EXAMPLES, SEED, run_cli, start_server, stop_server

MINIMAL = EXAMPLES / "minimal_en.txt"
ARTICLE = BASE + "article/doi/10.1016/j.bpj.2015.04.023"
GRAPH = BASE + "graph/vufind-text/doi/10.1016/j.bpj.2015.04.023"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ENV = {"PUBLISHER_CHANGES_PAGE_SIZE": "2"}


def ingest(store: Path, *paths: Path) -> None:
    result = run_cli("ingest", "--store", str(store), "--base-uri", BASE, *map(str, paths))
    assert result.returncode == 0, result.stdout + result.stderr


def snapshot(store: Path, *pages: int) -> dict[str, Any]:
    """The feed (collection and pages), the sitemap's lastmods and an article's status."""
    process, server = start_server(store, env=ENV)
    try:
        seen: dict[str, Any] = {"collection": httpx.get(server.url + "/changes").json()}
        for number in pages:
            seen[f"page{number}"] = httpx.get(f"{server.url}/changes/{number}").json()
        lastmods = {}
        index = ET.fromstring(httpx.get(server.url + "/sitemap.xml").content)
        for loc in index.iter(f"{SITEMAP}loc"):
            child = ET.fromstring(httpx.get(server.url + loc.text.removeprefix(BASE[:-1])).content)
            for url in child.iter(f"{SITEMAP}url"):
                lastmods[url.findtext(f"{SITEMAP}loc")] = url.findtext(f"{SITEMAP}lastmod")
        seen["lastmod"] = lastmods
        seen["status"] = httpx.get(server.url + ARTICLE.removeprefix(BASE[:-1])).status_code
        seen["search"] = httpx.get(
            server.url + "/search", params={"q": "macromolecular", "format": "json"}
        ).json()["total"]
        return seen
    finally:
        stop_server(process)


def items(page: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i["type"], i["object"]["id"]) for i in page["orderedItems"]]


def test_feed_pages_stay_put_while_the_data_changes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    plos = EXAMPLES / "csl_plos_de.txt"
    ingest(store, SEED, plos)
    before = snapshot(store, 1)
    assert before["collection"]["totalItems"] == 2
    assert [t for t, _ in items(before["page1"])] == ["Create", "Create"]
    seed_lastmod = before["lastmod"][BASE + "article/doi/10.3389/fonc.2021.699946"]

    changed = tmp_path / "minimal_changed.txt"
    changed.write_text(
        MINIMAL.read_text(encoding="utf-8").rstrip("\n")
        + "\nSummary:Small-angle X-ray scattering constrains molecular dynamics.\n",
        encoding="utf-8",
    )
    # The seed unchanged (no activity), the article new, then changed (same record).
    ingest(store, SEED, MINIMAL, changed)
    after = snapshot(store, 1, 2)
    assert after["page1"] == before["page1"]  # a full page never changes
    assert after["collection"]["totalItems"] == 4
    assert after["collection"]["last"]["id"] == f"{BASE}changes/3"  # open, empty
    assert items(after["page2"]) == [("Create", ARTICLE), ("Update", ARTICLE)]
    assert after["page2"]["prev"]["id"] == f"{BASE}changes/1"
    update = after["page2"]["orderedItems"][1]
    assert after["lastmod"][ARTICLE] == update["endTime"]
    assert after["lastmod"][BASE + "article/doi/10.3389/fonc.2021.699946"] == seed_lastmod
    assert after["status"] == 200 and after["search"] == 1

    result = run_cli("remove", "--store", str(store), GRAPH)
    assert result.returncode == 0, result.stderr
    removed = snapshot(store, 2, 3)
    assert removed["page2"] == after["page2"]
    assert items(removed["page3"]) == [("Delete", ARTICLE)]
    assert ARTICLE not in removed["lastmod"]
    assert removed["status"] == 410 and removed["search"] == 0

    ingest(store, MINIMAL)
    back = snapshot(store, 3)
    assert items(back["page3"]) == [("Delete", ARTICLE), ("Create", ARTICLE)]
    assert back["status"] == 200 and ARTICLE in back["lastmod"]


def test_a_store_published_before_the_side_database_gets_one(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest(store, SEED, MINIMAL)
    index = tmp_path / "store.index.sqlite"
    assert index.is_file()
    index.unlink()
    # Serving without it works; the feed and search are empty until the next ingest.
    empty = snapshot(store, 1)
    assert empty["collection"]["totalItems"] == 0 and empty["search"] == 0
    assert empty["page1"]["orderedItems"] == []
    assert empty["status"] == 200
    ingest(store, SEED)  # unchanged: rebuilds the side database from the store, logs nothing new
    rebuilt = snapshot(store, 1)
    assert [t for t, _ in items(rebuilt["page1"])] == ["Create", "Create"]
    assert rebuilt["search"] == 1 and ARTICLE in rebuilt["lastmod"]
