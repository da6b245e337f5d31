"""The change feed and sitemaps across runs: ingest, serve, ingest again, remove, with the
server restarted in between (the store is closed for writing while it serves).

A crawler that has read a page must find it unchanged later, new activities after the
ones it saw, and lastmod moving only when a resource's published description changed.
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


def snapshot(store: Path) -> dict[str, Any]:
    """The feed (collection and every page), the sitemap's lastmods and an article's status."""
    process, server = start_server(store, env=ENV)
    try:
        seen: dict[str, Any] = {"collection": httpx.get(server.url + "/changes").json()}
        last = int(seen["collection"]["totalItems"]) // 2 + 1
        seen["pages"] = [httpx.get(f"{server.url}/changes/{n}").json() for n in range(1, last + 1)]
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


def activities(seen: dict[str, Any], since: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every activity of the feed, oldest first (those after `since`'s, when given)."""
    every = [item for page in seen["pages"] for item in page["orderedItems"]]
    return every[len(activities(since)) :] if since is not None else every


def about(seen: list[dict[str, Any]], iri: str) -> list[str]:
    return [a["type"] for a in seen if a["object"]["id"] == iri]


def test_feed_pages_stay_put_while_the_data_changes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    plos = EXAMPLES / "csl_plos_de.txt"
    ingest(store, SEED, plos)
    before = snapshot(store)
    created = activities(before)
    assert before["collection"]["totalItems"] == len(created) == len(before["lastmod"])
    assert {a["type"] for a in created} == {"Create"}  # every resource, once
    assert {a["object"]["id"] for a in created} == set(before["lastmod"])
    seed_lastmod = before["lastmod"][BASE + "article/doi/10.3389/fonc.2021.699946"]

    changed = tmp_path / "minimal_changed.txt"
    changed.write_text(
        MINIMAL.read_text(encoding="utf-8").rstrip("\n")
        + "\nSummary:Small-angle X-ray scattering constrains molecular dynamics.\n",
        encoding="utf-8",
    )
    # The seed unchanged (no activity), the article new, then changed (same record).
    ingest(store, SEED, MINIMAL, changed)
    after = snapshot(store)
    full = len(created) // 2  # the pages that were full: they never change
    assert after["pages"][:full] == before["pages"][:full]
    total = after["collection"]["totalItems"]
    assert after["collection"]["last"]["id"] == f"{BASE}changes/{total // 2 + 1}"
    new = activities(after, before)
    assert about(new, ARTICLE) == ["Create", "Update"]
    # The summary changed the article, not its authors or journal: one Update.
    assert [a for a in new if a["type"] == "Update"] == [
        a for a in new if a["object"]["id"] == ARTICLE and a["type"] == "Update"
    ]
    assert {a["object"]["id"] for a in new} == set(after["lastmod"]) - set(before["lastmod"])
    assert after["pages"][1]["prev"]["id"] == f"{BASE}changes/1"
    update = next(a for a in new if a["type"] == "Update")
    assert after["lastmod"][ARTICLE] == update["endTime"]
    assert after["lastmod"][BASE + "article/doi/10.3389/fonc.2021.699946"] == seed_lastmod
    assert after["status"] == 200 and after["search"] == 1

    result = run_cli("remove", "--store", str(store), GRAPH)
    assert result.returncode == 0, result.stderr
    removed = snapshot(store)
    full = total // 2
    assert removed["pages"][:full] == after["pages"][:full]
    gone = activities(removed, after)
    assert about(gone, ARTICLE) == ["Delete"]
    assert {a["type"] for a in gone} == {"Delete"}  # the record's resources, all withdrawn
    assert {a["object"]["id"] for a in gone} == set(after["lastmod"]) - set(removed["lastmod"])
    assert ARTICLE not in removed["lastmod"]
    assert removed["status"] == 410 and removed["search"] == 0

    ingest(store, MINIMAL)
    back = snapshot(store)
    assert about(activities(back, removed), ARTICLE) == ["Create"]
    assert back["status"] == 200 and ARTICLE in back["lastmod"]


def test_a_store_published_before_the_side_database_gets_one(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest(store, SEED, MINIMAL)
    index = tmp_path / "store.index.sqlite"
    assert index.is_file()
    index.unlink()
    # Serving without it works; the feed and search are empty until the next ingest.
    empty = snapshot(store)
    assert empty["collection"]["totalItems"] == 0 and empty["search"] == 0
    assert empty["pages"][0]["orderedItems"] == []
    assert empty["status"] == 200
    ingest(store, SEED)  # unchanged: rebuilds the side database from the store, logs nothing new
    rebuilt = snapshot(store)
    # A Create for every published resource, as of when its description last changed.
    created = activities(rebuilt)
    assert {a["type"] for a in created} == {"Create"}
    assert {a["object"]["id"]: a["endTime"] for a in created} == rebuilt["lastmod"]
    assert rebuilt["search"] == 1 and ARTICLE in rebuilt["lastmod"]
