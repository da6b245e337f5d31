"""Pages in plain words, and no dead ends for a new user (issue 16, items 3 and 6).

The words themselves (types, registry codes, languages, dates) are checked as functions;
the pages over real HTTP on a store with an article in a journal issue, trials with
ClinicalTrials.gov codes and a person with an ORCID iD (helpers/rich_store.py). Then the
new user's first steps: the vendored Swagger UI at /api, the warning when a store is
served where its IRIs do not lead, and the quarantine folder that only a rejected
record creates, at the path `ingest` prints. The same pages in Chromium:
tests/test_ui_pages.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import BASE, REPO, SEED_DOI, LiveServer, free_port, start_server, stop_server
from helpers.rich_store import NEJM, NEJM_TRIAL, ORCID, SINGLE_GROUP_TRIAL, ingest_rich
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from test_http_resources import BROWSER, Element, parse_html

from publisher.web import apidocs, words
from publisher.web.addresses import same_origin, warnings

SEED_ARTICLE = f"{BASE}article/doi/{SEED_DOI}"
SWAGGER = REPO / "publisher" / "web" / "static" / "swagger-ui"
BIBO_AUTHOR_LIST = URIRef("http://purl.org/ontology/bibo/authorList")
RAW_CODES = ("PHASE2", "SINGLE_GROUP", "COMPLETED", "INTERVENTIONAL", "DRUG")


# --- The words ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "words_for_it"),
    [
        ("PHASE2", "Phase 2"),
        ("EARLY_PHASE1", "Early phase 1"),
        ("SINGLE_GROUP", "Single group"),
        ("COMPLETED", "Completed"),
        ("ACTIVE_NOT_RECRUITING", "Active, not recruiting"),
        ("INTERVENTIONAL", "Interventional"),
        ("NA", "Not applicable"),
        ("Open label, not a code", "Open label, not a code"),
    ],
)
def test_registry_codes_in_words(code: str, words_for_it: str) -> None:
    assert words.code(code) == words_for_it


def test_types_languages_and_dates_in_words() -> None:
    schema = "https://schema.org/"
    kinds = [
        schema + "CreativeWork",
        schema + "MedicalScholarlyArticle",
        schema + "ScholarlyArticle",
    ]
    assert words.type_labels(kinds) == ["Medical article"]  # the general ones are implied
    assert words.type_label(schema + "MedicalTrial") == "Clinical trial"
    assert words.type_label(schema + "DoubleBlindedTrial") == "Double blinded trial"
    assert words.publication_type("Case Reports") == "Case report"
    assert words.publication_type("Journal Article") == "Journal article"
    assert words.publication_type("Something New") == "Something New"
    assert words.language("en") == "English"
    assert words.language("de-CH") == "German (CH)"
    assert words.language("x-unknown") == "x-unknown"
    assert words.date("2012-07-12") == "12 July 2012"
    assert words.date("2021-08") == "August 2021"
    assert words.date("2015") == "2015"
    assert words.date("not a date") == "not a date"
    assert words.property_label("https://w3id.org/scholarly-publisher/ontology#trialPhase") == (
        "Phase"
    )
    assert words.property_label("https://schema.org/someNewTerm") == "Some new term"


# --- The pages ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = ingest_rich(tmp_path_factory.mktemp("rich"))
    process, server = start_server(store)
    yield server
    stop_server(process)


def page(server: LiveServer, iri: str) -> Element:
    response = httpx.get(server.url + "/" + iri.removeprefix(BASE), headers={"Accept": BROWSER})
    assert response.status_code == 200, response.text
    return parse_html(response.text)


def turtle(server: LiveServer, iri: str) -> Graph:
    response = httpx.get(
        server.url + "/" + iri.removeprefix(BASE), headers={"Accept": "text/turtle"}
    )
    return Graph().parse(data=response.text, format="turtle")


def facts(html: Element) -> dict[str, list[str]]:
    """The page's leading facts: label -> the values' text (one per line of the <dd>)."""
    out: dict[str, list[str]] = {}
    label = ""
    for item in html.one("dl", class_="facts").children:
        if isinstance(item, Element) and item.tag == "dt":
            label = item.text()
        elif isinstance(item, Element) and item.tag == "dd":
            values = [""]
            for child in item.children:
                if isinstance(child, Element) and child.tag == "br":
                    values.append("")
                else:
                    values[-1] += child if isinstance(child, str) else child.text()
            out[label] = values
    return out


def statement_rows(html: Element) -> list[tuple[str, str]]:
    """The statements table: (label, the term it stands for)."""
    tables = html.find_all("table", class_="statements")
    return [(th.text(), th.attrs["title"]) for t in tables for th in t.find_all("th")]


def test_article_page_names_its_types_and_numbers_its_authors(rich: LiveServer) -> None:
    html = page(rich, NEJM)
    types = html.one("p", class_="types").text()
    assert types.startswith("Journal article · ")
    assert "Randomised controlled trial" in types and "Medical article" in types
    assert "schema:" not in types
    # Numbered (an ordered list) in the order of bibo:authorList, each linked.
    graph = turtle(rich, NEJM)
    head = graph.value(URIRef(NEJM), BIBO_AUTHOR_LIST)
    assert head is not None
    ordered = [f"/{str(item).removeprefix(BASE)}" for item in Collection(graph, head)]
    items = html.one("ol", class_="authors").find_all("li")
    assert [li.one("a").attrs["href"] for li in items] == ordered
    assert items[0].text() == "Keith T Flaherty" and items[-1].text() == "METRIC Study Group"


def test_article_page_links_journal_volume_issue_and_trial_by_name(rich: LiveServer) -> None:
    html = page(rich, NEJM)
    journal = html.one("span", class_="journal")
    assert journal.text() == "The New England journal of medicine, vol. 367, no. 2"
    assert [a.attrs["href"] for a in journal.find_all("a")] == [
        "/periodical/issn/0028-4793",
        "/periodical/issn/0028-4793/volume/367",
        "/periodical/issn/0028-4793/volume/367/issue/2",
    ]
    assert html.one("span", class_="pages").text() == "pp. 107\u2013114"
    assert html.one("time").text() == "12 July 2012"
    assert html.one("span", class_="language").text() == "English"
    identifiers = html.one("p", class_="identifiers").find_all("a")
    assert [a.text() for a in identifiers] == ["DOI 10.1056/NEJMoa1203421", "PMID 22663011"]
    (trial,) = html.one("ul", class_="trials").find_all("a")
    assert trial.attrs["href"] == "/trial/nct/NCT01245062"
    assert trial.text().startswith("Trametinib Versus Chemotherapy")


def test_statements_table_is_labelled_ordered_and_repeats_nothing(rich: LiveServer) -> None:
    for iri in (NEJM, SEED_ARTICLE):
        html = page(rich, iri)
        rows = statement_rows(html)
        terms = [term for _, term in rows]
        # Nothing the header shows again: not the authors (alphabetically, as it was),
        # not the abstract, the title, the journal, the identifiers, the subjects.
        for shown in ("schema:author", "bibo:authorList", "schema:abstract", "schema:name",
                      "schema:headline", "schema:isPartOf", "schema:identifier",
                      "schema:keywords", "schema:about", "rdf:type"):  # fmt: skip
            assert shown not in terms, (iri, shown)
        for label, term in rows:
            assert ":" not in label and label, (label, term)  # words, not a CURIE
        expected = sorted(terms, key=lambda t: words.property_rank(expand(t)))
        assert terms == expected
        abstract = html.one("p", class_="abstract").text()
        assert html.one("article").text().count(abstract[:80]) == 1  # the abstract once
        tables = html.find_all("table", class_="statements")
        assert all(abstract[:80] not in table.text() for table in tables)


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    namespaces = {
        "schema": "https://schema.org/",
        "pub": "https://w3id.org/scholarly-publisher/ontology#",
        "bibo": "http://purl.org/ontology/bibo/",
    }
    return namespaces.get(prefix, prefix + ":") + local


def test_trial_page_speaks_in_words(rich: LiveServer) -> None:
    html = page(rich, SINGLE_GROUP_TRIAL)
    assert html.one("h1").text().startswith("A Single-Arm Study")
    assert html.one("p", class_="types").text() == "Clinical trial"
    shown = facts(html)
    assert shown["Phase"] == ["Phase 2"]
    assert shown["Study type"] == ["Interventional"]
    assert "Single group" in " ".join(shown["Design"])
    assert shown["Status"] == ["Completed"]
    assert shown["Started"] == ["March 2019"]
    assert shown["Interventions"] == ["Exampletinib (Drug)"]
    main = html.one("main").text()
    for code in RAW_CODES:
        assert code not in main, code


def test_trial_page_links_its_publications_by_name(rich: LiveServer) -> None:
    html = page(rich, NEJM_TRIAL)
    shown = facts(html)
    assert shown["Phase"] == ["Phase 3"]
    (publication,) = html.one("dl", class_="facts").find_all(
        "a", href="/article/doi/10.1056/nejmoa1203421"
    )
    assert publication.text() == "Improved survival with MEK inhibition in BRAF-mutated melanoma"


def test_a_trial_without_a_name_is_titled_by_its_number(rich: LiveServer) -> None:
    html = page(rich, f"{BASE}trial/nct/NCT02349698")
    assert html.one("h1").text() == "Clinical trial NCT02349698"
    trials = page(rich, SEED_ARTICLE).one("ul", class_="trials").find_all("a")
    assert [a.text() for a in trials] == ["Clinical trial NCT02349698"]


def test_person_page_shows_affiliations_and_orcid(rich: LiveServer) -> None:
    html = page(rich, f"{BASE}person/orcid/{ORCID}")
    assert html.one("p", class_="types").text() == "Person"
    links = html.one("dl", class_="facts").find_all("a", href=f"https://orcid.org/{ORCID}")
    assert [a.text() for a in links] == [f"ORCID {ORCID}"]
    nejm_author = facts(page(rich, f"{BASE}person/doi/10.1056/nejmoa1203421/1"))
    assert nejm_author["Affiliations"] == [
        "Massachusetts General Hospital Cancer Center, Boston, USA. kflaherty@partners.org"
    ]


def test_journal_volume_and_issue_pages_are_titled_in_words(rich: LiveServer) -> None:
    journal = page(rich, f"{BASE}periodical/issn/0028-4793")
    assert journal.one("p", class_="types").text() == "Journal"
    assert facts(journal)["ISSN"] == ["0028-4793", "1533-4406"]
    issue = page(rich, f"{BASE}periodical/issn/0028-4793/volume/367/issue/2")
    assert issue.one("h1").text() == "The New England journal of medicine, vol. 367, no. 2"
    assert issue.one("p", class_="types").text() == "Issue"
    assert facts(issue)["Published in"] == ["Volume 367"]


def test_rdf_keeps_its_terms_and_codes(rich: LiveServer) -> None:
    """Labels live in the HTML: Turtle and JSON-LD still say PHASE2 and schema terms."""
    path = "/" + SINGLE_GROUP_TRIAL.removeprefix(BASE)
    for accept in ("text/turtle", "application/ld+json"):
        text = httpx.get(rich.url + path, headers={"Accept": accept}).text
        assert "PHASE2" in text and "SINGLE_GROUP" in text and "COMPLETED" in text
        assert "Phase 2" not in text and "Single group" not in text


# --- /api without the network -------------------------------------------------------------


def test_vendored_swagger_ui_is_the_released_one() -> None:
    readme = (SWAGGER / "README.md").read_text(encoding="utf-8")
    listed = {name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)}
    assert set(listed) == {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-ui-bundle.js.LICENSE.txt",
        "LICENSE",
        "NOTICE",
    }
    for name, digest in listed.items():
        assert hashlib.sha256((SWAGGER / name).read_bytes()).hexdigest() == digest, name
    assert f"**{apidocs.SWAGGER_UI_VERSION}**" in readme
    assert "Apache License" in (SWAGGER / "LICENSE").read_text(encoding="utf-8")


def test_api_page_loads_only_our_own_files(rich: LiveServer) -> None:
    response = httpx.get(rich.url + "/api", headers={"Accept": BROWSER})
    assert response.status_code == 200
    html = response.text
    sources = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', html)
    assert sorted(sources) == [
        "/static/api.js",
        "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/swagger-ui.css",
    ]
    assert "<script>" not in html  # no inline script: the page's policy allows none
    for path in sources:
        served = httpx.get(rich.url + path)
        assert served.status_code == 200, path
        assert served.content == (REPO / "publisher" / "web" / path.lstrip("/")).read_bytes()
    assert "validatorUrl: null" in (REPO / "publisher/web/static/api.js").read_text()


# --- A store served where its IRIs do not lead --------------------------------------------


def test_address_warnings_name_the_option_to_use() -> None:
    here = "http://127.0.0.1:8011/"
    (warning,) = warnings(BASE, BASE, here)
    assert "--base-uri http://127.0.0.1:8011/" in warning and "--port 8000" in warning
    assert warnings(here, here, here) == []
    assert warnings(BASE, BASE, "http://localhost:8000/") == []
    assert warnings(BASE, BASE, "http://0.0.0.0:8000/") == []
    first, _ = warnings(here, BASE, here)  # served with another --base-uri than ingested
    assert "Serve it with --base-uri http://127.0.0.1:8000/" in first
    assert same_origin("https://data.example.org/", "https://data.example.org/")
    assert not same_origin("https://data.example.org/", "http://data.example.org/")


def serve_and_read(store: Path, base: str, port: int) -> tuple[str, str]:
    """The landing page of `publisher serve` on `port`, and what it printed at start."""
    process, server = start_server(store, base, port=port)
    try:
        landing = httpx.get(server.url + "/", headers={"Accept": BROWSER}).text
    finally:
        stop_server(process)
    assert process.stderr is not None
    return landing, process.stderr.read().decode()


def test_serve_warns_when_the_iris_do_not_lead_here(example_store: Path) -> None:
    port = free_port()
    landing, printed = serve_and_read(example_store, BASE, port)
    here = f"http://127.0.0.1:{port}/"
    assert "warning:" in printed and f"--base-uri {here}" in printed and "--port 8000" in printed
    warning = parse_html(landing).one("p", class_="warning").text()
    assert f"--base-uri {here}" in warning and BASE in warning


def test_no_warning_where_the_iris_lead(tmp_path: Path) -> None:
    port = free_port()
    here = f"http://127.0.0.1:{port}/"
    store = ingest_rich(tmp_path, base=here)
    landing, printed = serve_and_read(store, here, port)
    assert "warning" not in printed.lower()
    assert parse_html(landing).find_all("p", class_="warning") == []


def test_serve_warns_when_the_base_uri_is_not_the_stores(example_store: Path) -> None:
    port = free_port()
    here = f"http://127.0.0.1:{port}/"
    landing, printed = serve_and_read(example_store, here, port)
    assert f"Serve it with --base-uri {BASE}" in " ".join(printed.split())
    assert f"Serve it with --base-uri {BASE}" in parse_html(landing).one("main").text()


# --- The quarantine folder ----------------------------------------------------------------


def ingest_in(folder: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    """`publisher ingest` run from `folder`, with the default quarantine (./publisher-
    quarantine: no --quarantine, no PUBLISHER_QUARANTINE)."""
    env = {k: v for k, v in os.environ.items() if k != "PUBLISHER_QUARANTINE"}
    return subprocess.run(
        [sys.executable, "-m", "publisher.cli", "ingest", "--store", "store", *paths],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_quarantine_is_made_only_for_a_rejected_record_where_ingest_says(tmp_path: Path) -> None:
    good = REPO / "publisher" / "examples" / "records" / "minimal_en.txt"
    result = ingest_in(tmp_path, str(good))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "publisher-quarantine").exists()
    assert "quarantine" not in result.stdout
    bad = tmp_path / "bad.ris"
    bad.write_text("TY  - JOUR\nER  - \n", encoding="utf-8")
    result = ingest_in(tmp_path, str(bad))
    assert result.returncode == 1
    folder = tmp_path / "publisher-quarantine"
    assert f"rejected records kept in {folder} " in " ".join(result.stdout.split())
    assert (folder / "rejected.csv").is_file()
