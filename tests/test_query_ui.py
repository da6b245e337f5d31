"""The query page over plain HTTP: vendored YASGUI files, the page's configuration, and
the example queries it offers (each must return rows on the bundled examples)."""

from __future__ import annotations

import hashlib
import json
import re

import httpx
import pytest
from conftest import REPO, LiveServer

from publisher.mapping.vocab import PUB
from publisher.web import queryui

STATIC = REPO / "publisher" / "web" / "static"
VENDORED = STATIC / "yasgui"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def page(server: LiveServer) -> str:
    response = httpx.get(server.url + "/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200
    return response.text


def test_vendored_files_are_the_released_ones() -> None:
    readme = (VENDORED / "README.md").read_text()
    listed = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)
    )
    assert set(listed) == {
        "yasgui.min.js",
        "yasgui.min.css",
        "yasgui.min.js.LICENSE.txt",
        "LICENSE.txt",
    }
    for name, digest in listed.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name
    assert f"**{queryui.YASGUI_VERSION}**" in readme
    assert "MIT" in (VENDORED / "LICENSE.txt").read_text()


def test_static_files_are_served(live_server: LiveServer) -> None:
    for path, media_type in [
        ("/static/yasgui/yasgui.min.js", "text/javascript"),
        ("/static/yasgui/yasgui.min.css", "text/css"),
        ("/static/queryui.js", "text/javascript"),
    ]:
        response = httpx.get(live_server.url + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].split(";")[0] == media_type
        local = STATIC / path.removeprefix("/static/")
        assert response.content == local.read_bytes()
    assert httpx.get(live_server.url + "/static/nothing.js").status_code == 404


def test_page_loads_only_our_own_files(live_server: LiveServer) -> None:
    html = page(live_server)
    sources = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', html)
    assert sorted(sources) == [
        "/static/queryui.js",
        "/static/yasgui/yasgui.min.css",
        "/static/yasgui/yasgui.min.js",
    ]
    assert "//" not in "".join(sources)


def test_page_configuration(live_server: LiveServer) -> None:
    html = page(live_server)
    match = re.search(
        r'<script type="application/json" id="query-ui-config">(.*?)</script>', html, re.S
    )
    assert match is not None
    config = json.loads(match.group(1))
    assert config["endpoint"] == "/sparql"
    assert config["prefixes"] == {
        "schema": "https://schema.org/",
        "bibo": "http://purl.org/ontology/bibo/",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "prov": "http://www.w3.org/ns/prov#",
        "dcterms": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "pub": PUB,
    }
    names = [e["name"] for e in config["examples"]]
    assert {"Articles by author", "Articles per journal", "Articles mentioning a trial"} <= set(
        names
    )
    for example in config["examples"]:
        assert example["query"].startswith("PREFIX schema: <https://schema.org/>\n")


def test_page_configuration_cannot_close_its_script_element() -> None:
    text = queryui.page_config()  # the examples' PREFIX lines hold < and >
    assert "<" not in text and ">" not in text and "&" not in text
    config = json.loads(text)
    assert config["examples"][0]["query"].startswith("PREFIX schema: <https://schema.org/>\n")
    assert config["prefixes"]["pub"] == PUB


@pytest.mark.parametrize("name", [e.name for e in queryui.EXAMPLES])
def test_every_example_returns_rows(live_server: LiveServer, name: str) -> None:
    query = dict(queryui.example_queries())[name]
    if "\nCONSTRUCT " in query:
        response = httpx.post(
            live_server.url + "/sparql",
            data={"query": query},
            headers={"Accept": "application/n-triples"},
        )
        assert response.status_code == 200, response.text
        assert len(response.text.strip().splitlines()) > 5
        return
    response = httpx.post(
        live_server.url + "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"], name


def test_example_results(live_server: LiveServer) -> None:
    def rows(name: str) -> list[dict[str, str]]:
        query = dict(queryui.example_queries())[name]
        response = httpx.post(
            live_server.url + "/sparql",
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
        return [
            {k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]
        ]

    by_author = rows("Articles by author")
    assert {(r["name"], r["position"]) for r in by_author} == {
        ("Jieping Chen", "7"),
        ("Jochen Utikal", "14"),
    }
    per_journal = {r["name"]: r["articles"] for r in rows("Articles per journal")}
    assert per_journal["The New England journal of medicine"] == "2"
    assert per_journal["Frontiers in oncology"] == "1"
    trials = [r["registration"] for r in rows("Articles mentioning a trial")]
    assert trials == ["NCT01245062", "NCT02149199", "NCT02349698"]
    in_order = rows("Authors of one article, in order")
    assert [r["position"] for r in in_order] == [str(n) for n in range(1, 8)]
    assert in_order[0]["name"] == "Kyaw Thu Htun"
