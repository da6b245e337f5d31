"""The reconciliation service (/reconcile) over real HTTP, checked against the W3C
Reconciliation Service API 0.2's own JSON schemas (vendored in
tests/data/reconciliation-api/, see its README for source and licence), with a scripted
session that does what OpenRefine 3.x does: fetch the manifest, post a batch of queries
as the form field `queries`, then ask for a preview and for suggestions.

The server is a real `publisher serve` process holding every example record
(conftest.live_server); the expected winners were read off those records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from conftest import BASE, EXAMPLES, LiveServer, run_cli, shared_path, start_server, stop_server
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from publisher.web.reconcile import (
    TYPES,
    Author,
    Entity,
    author_agreement,
    preview_html,
    similarity,
)

SCHEMAS = Path(__file__).parent / "data" / "reconciliation-api" / "0.2" / "schemas"
SEED = "article/doi/10.3389/fonc.2021.699946"
SEED_TITLE = (
    "Successful Treatment of Refractory and Relapsed CNS Acute Lymphoblastic Leukemia"
    " With CD-19 CAR-T Immunotherapy: A Case Report"
)
MELANOMA = "article/doi/10.1056/nejmoa1203421"
ASTHMA = "article/doi/10.1056/nejmoa1715274"
ELIFE = "article/doi/10.7554/elife.01567"
NEJM = "periodical/issn/0028-4793"
FRONTIERS = "periodical/issn/2234-943X"
MOHR = "person/doi/10.1056/nejmoa1203421/10"
TRIAL = "trial/nct/NCT02349698"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        resources.append((contents["$id"], resource))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validator(name: str) -> Draft7Validator:
    """The specification's schema `name` (its file), references resolved locally."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema, registry=REGISTRY)


def conforms(name: str, document: object) -> None:
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(document)
    ]
    assert not errors, f"not a valid {name}: {errors}"


def openrefine_post(url: str, queries: dict[str, Any]) -> httpx.Response:
    """What OpenRefine 3.x's StandardReconConfig.batchRecon sends: a form body
    `queries=` + the URL-encoded JSON of the batch, keys q0, q1, ..."""
    body = "queries=" + quote(json.dumps(queries), safe="")
    return httpx.post(url, content=body.encode(), headers=FORM, timeout=60)


def refine_query(text: str, type_id: str | None, **properties: str) -> dict[str, Any]:
    """One query as OpenRefine writes it: the cell text, the chosen type with
    `type_strict: should`, and a property per column the user mapped."""
    query: dict[str, Any] = {"query": text}
    if type_id:
        query.update(type=type_id, type_strict="should")
    if properties:
        query["properties"] = [{"pid": pid, "v": v} for pid, v in properties.items()]
    return query


def fill(template: str, entity_id: str) -> str:
    """OpenRefine's `encodeURI(template.replace("{{id}}", id))`."""
    return quote(template.replace("{{id}}", entity_id), safe=":/?#[]@!$&'()*+,;=%~")


def served(live_server: LiveServer, url: str) -> str:
    """The manifest's URLs are under the base URI; the test server listens elsewhere."""
    assert url.startswith(live_server.base_uri), url
    return live_server.url + "/" + url[len(live_server.base_uri) :]


@pytest.fixture(scope="module")
def service(live_server: LiveServer) -> str:
    return live_server.url + "/reconcile"


def test_the_schemas_are_in_force() -> None:
    """The vendored schemas reject what the specification calls invalid, so passing
    them below means something."""
    assert not validator("reconciliation-result-batch").is_valid({"q0": {"result": [{}]}})
    assert not validator("manifest").is_valid({"versions": ["0.1"], "name": "x"})
    assert not validator("reconciliation-query-batch").is_valid({"q0": {"limit": 3}})


def test_manifest(service: str, live_server: LiveServer) -> None:
    for answer in (httpx.get(service), httpx.post(service, headers=FORM, content=b"")):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        manifest = answer.json()
        conforms("manifest", manifest)
        assert "0.2" in manifest["versions"]
        assert manifest["view"]["url"] == live_server.base_uri + "{{id}}"
        assert [t["id"] for t in manifest["defaultTypes"]] == list(TYPES)
        assert set(manifest["suggest"]) == {"entity", "type", "property"}
    # Any web page may ask (OpenRefine's own page runs in the browser).
    cors = httpx.get(service, headers={"Origin": "http://localhost:3333"})
    assert cors.headers["access-control-allow-origin"] == "*"


def test_openrefine_session(service: str, live_server: LiveServer) -> None:
    manifest = httpx.get(service).json()
    batch = {
        # A title typed differently (case, punctuation): the article, an exact name.
        "q0": refine_query(SEED_TITLE.lower().replace(":", ""), "article"),
        # A DOI column mapped to the DOI property: an identifier hit, whatever the title.
        "q1": refine_query("Improved survival with MEK", "article", doi="10.1056/NEJMoa1203421"),
        "q2": refine_query("Mohr, Peter", "person"),
        # The journal's second (electronic) ISSN names it too.
        "q3": refine_query("N Engl J Med", "periodical", issn="1533-4406"),
        "q4": refine_query("NCT02349698", "trial"),
        # Part of a title, with author and year columns.
        "q5": refine_query(
            "budesonide formoterol asthma", "article", author="O'Byrne", year="2018"
        ),
        # A column of DOIs reconciled as they are, resolver prefix and all.
        "q6": refine_query("https://doi.org/10.7554/eLife.01567", "article"),
        # No type chosen: every type is a candidate.
        "q7": refine_query("Frontiers in Oncology", None),
    }
    conforms("reconciliation-query-batch", batch)
    answer = openrefine_post(
        served(live_server, manifest["suggest"]["entity"]["service_url"]), batch
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()
    conforms("reconciliation-result-batch", results)
    assert set(results) == set(batch)
    top = {key: value["result"][0] for key, value in results.items()}
    assert {key: hit["id"] for key, hit in top.items()} == {
        "q0": SEED,
        "q1": MELANOMA,
        "q2": MOHR,
        "q3": NEJM,
        "q4": TRIAL,
        "q5": ASTHMA,
        "q6": ELIFE,
        "q7": FRONTIERS,
    }
    for key in ("q1", "q3", "q4", "q6"):  # identifier hits
        assert top[key]["match"] is True and top[key]["score"] == 100, top[key]
    assert top["q0"]["match"] is True  # the same title, and no other has it
    assert top["q2"]["match"] is False and top["q2"]["score"] >= 90  # a name, not an iD
    # Namesakes are told apart by what they wrote.
    assert top["q2"]["description"] == (
        "author of: Improved survival with MEK inhibition in BRAF-mutated melanoma"
    )
    assert top["q3"]["description"] == "ISSN 0028-4793 · ISSN 1533-4406"
    assert top["q5"]["match"] is False and top["q5"]["score"] > 60
    assert top["q7"]["type"] == [{"id": "periodical", "name": "Periodical (journal)"}]
    for value in results.values():  # best first, at most the default five
        scores = [hit["score"] for hit in value["result"]]
        assert scores == sorted(scores, reverse=True) and len(scores) <= 5
    # OpenRefine links each candidate through the view template: it is our resource.
    view = served(live_server, fill(manifest["view"]["url"], top["q0"]["id"]))
    page = httpx.get(view, headers={"Accept": "text/html"})
    assert page.status_code == 200 and SEED_TITLE in page.text

    preview = httpx.get(served(live_server, fill(manifest["preview"]["url"], top["q1"]["id"])))
    assert preview.status_code == 200, preview.text
    assert preview.headers["content-type"].startswith("text/html")
    assert "frame-ancestors *" in preview.headers["content-security-policy"]
    assert "x-frame-options" not in preview.headers  # OpenRefine frames it
    assert preview.headers["x-content-type-options"] == "nosniff"
    assert "Improved survival with MEK inhibition in BRAF-mutated melanoma" in preview.text
    assert "The New England journal of medicine" in preview.text and "2012" in preview.text
    # The first authors in the author list's order (person /10 does not come before /2).
    assert "Keith T Flaherty; Caroline Robert; Peter Hersey; Paul Nathan" in preview.text

    entity = manifest["suggest"]["entity"]
    suggest = served(live_server, entity["service_url"] + entity["service_path"])
    suggested = httpx.get(suggest, params={"prefix": "Improved surv"})
    conforms("suggest-entities-response", suggested.json())
    assert [s["id"] for s in suggested.json()["result"]] == [MELANOMA]
    people = httpx.get(suggest, params={"prefix": "Peter M", "type": "person"}).json()
    conforms("suggest-entities-response", people)
    assert [s["name"] for s in people["result"]] == ["Peter Mohr"]
    types = httpx.get(service + "/suggest/type", params={"prefix": "peri"}).json()
    conforms("suggest-types-response", types)
    assert [t["id"] for t in types["result"]] == ["periodical"]
    properties = httpx.get(service + "/suggest/property", params={"prefix": "ORC"}).json()
    conforms("suggest-properties-response", properties)
    assert [p["id"] for p in properties["result"]] == ["orcid"]


def test_data_extension(service: str) -> None:
    """OpenRefine's "Add columns from reconciled values": the properties proposed for a
    type, then their values for reconciled ids (posted as the form field `extend`)."""
    proposed = httpx.get(service + "/extend/propose", params={"type": "article"}).json()
    conforms("data-extension-property-proposal", proposed)
    assert proposed["type"] == "article"
    assert [p["id"] for p in proposed["properties"]] == [
        "doi", "pmid", "issn", "author", "year", "journal"
    ]  # fmt: skip
    missing = "article/doi/10.1/nothing"
    query = {
        "ids": [MELANOMA, TRIAL, missing],
        "properties": [{"id": p} for p in ("doi", "year", "author", "journal", "issn", "nct")],
    }
    conforms("data-extension-query", query)
    body = "extend=" + quote(json.dumps(query), safe="")
    answer = httpx.post(service, content=body.encode(), headers=FORM)
    assert answer.status_code == 200, answer.text
    extended = answer.json()
    conforms("data-extension-response", extended)
    assert [m["id"] for m in extended["meta"]] == [
        "doi",
        "year",
        "author",
        "journal",
        "issn",
        "nct",
    ]
    assert extended["meta"][2]["type"] == {"id": "person", "name": "Person"}
    melanoma = extended["rows"][MELANOMA]
    assert melanoma["doi"] == [{"str": "10.1056/NEJMoa1203421"}]
    assert melanoma["year"] == [{"int": 2012}]
    assert melanoma["journal"] == [{"id": NEJM, "name": "The New England journal of medicine"}]
    assert sorted(c["str"] for c in melanoma["issn"]) == ["0028-4793", "1533-4406"]
    assert melanoma["nct"] == []  # an article has no registration number of its own
    authors = [cell["name"] for cell in melanoma["author"]]
    assert len(authors) == 26 and authors.index("Keith T Flaherty") < authors.index("Kiran Patel")
    assert {"id": MOHR, "name": "Peter Mohr"} in melanoma["author"]
    assert extended["rows"][TRIAL]["nct"] == [{"str": "NCT02349698"}]
    assert extended["rows"][missing] == {p["id"]: [] for p in query["properties"]}
    for bad, message in [
        ("{", "extend is not JSON"),
        ('{"ids": "x", "properties": []}', "ids must be a list"),
        ('{"ids": [], "properties": [{"id": "colour"}]}', "unknown properties"),
    ]:
        refused = httpx.post(service, data={"extend": bad})
        assert refused.status_code == 400 and message in refused.text, refused.text
    both = httpx.post(service, data={"extend": "{}", "queries": "{}"})
    assert both.status_code == 400 and "not both" in both.text


def test_queries_as_a_query_parameter(service: str) -> None:
    queries = json.dumps({"a": {"query": "10.3389/fonc.2021.699946", "limit": 1}})
    for answer in (
        httpx.get(service, params={"queries": queries}),
        httpx.post(service + "?" + urlencode({"queries": queries})),
    ):
        assert answer.status_code == 200, answer.text
        conforms("reconciliation-result-batch", answer.json())
        assert [hit["id"] for hit in answer.json()["a"]["result"]] == [SEED]


def test_properties_without_a_query(service: str) -> None:
    """0.2 allows a query of properties alone: an identifier still matches."""
    batch = {"q0": {"properties": [{"pid": "nct", "v": "NCT01245062"}], "type": "trial"}}
    conforms("reconciliation-query-batch", batch)
    results = openrefine_post(service, batch).json()
    conforms("reconciliation-result-batch", results)
    assert results["q0"]["result"][0]["id"] == "trial/nct/NCT01245062"
    assert results["q0"]["result"][0]["match"] is True


def test_types_limit_the_candidates(service: str) -> None:
    """An article's DOI asked of people names nobody; a journal name asked of articles
    names no journal."""
    batch = {
        "q0": refine_query("10.3389/fonc.2021.699946", "person"),
        "q1": refine_query("Frontiers in oncology", "article"),
        "q2": refine_query("Frontiers in oncology", "https://schema.org/Periodical"),
    }
    results = openrefine_post(service, batch).json()
    conforms("reconciliation-result-batch", results)
    assert results["q0"]["result"] == []
    assert all(hit["type"][0]["id"] == "article" for hit in results["q1"]["result"])
    assert results["q2"]["result"][0]["id"] == FRONTIERS


def test_a_cell_that_is_no_identifier_is_no_error(service: str) -> None:
    """A malformed DOI in one row must not fail the batch OpenRefine sent it in."""
    batch = {
        "q0": refine_query("Modeling macromolecular motions", "article", doi="not a DOI"),
        "q1": refine_query("x", "article", pmid="12x"),
    }
    answer = openrefine_post(service, batch)
    assert answer.status_code == 200, answer.text
    results = answer.json()
    conforms("reconciliation-result-batch", results)
    assert results["q0"]["result"][0]["id"] == "article/doi/10.1016/j.bpj.2015.04.023"
    assert results["q0"]["result"][0]["match"] is False


@pytest.mark.parametrize(
    ("queries", "message"),
    [
        ("{", "queries is not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"q0": "text"}', "query q0: must be an object"),
        ('{"q0": {"query": "x", "type": "book"}}', "unknown type 'book'"),
        ('{"q0": {"query": "x", "type": [1]}}', "type must be a string"),
        ('{"q0": {"query": "x", "properties": [{"pid": "isbn", "v": "1"}]}}', "unknown property"),
        ('{"q0": {"query": "x", "properties": [{"pid": "doi"}]}}', "needs pid and v"),
        ('{"q0": {"query": "x", "properties": [{"pid": "doi", "v": [null]}]}}', "text or a number"),
        ('{"q0": {"query": "x", "limit": "five"}}', "limit must be a number"),
        ('{"q0": {"query": 7}}', "query must be a string"),
        ('{"q0": {"query": " "}}', "needs a query string or properties"),
        (json.dumps({f"q{n}": {"query": "x"} for n in range(101)}), "at most 100 queries"),
    ],
)
def test_bad_batches(service: str, queries: str, message: str) -> None:
    for answer in (
        httpx.post(service, data={"queries": queries}),
        httpx.get(service, params={"queries": queries}),
    ):
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        assert message in answer.text


def test_bad_preview_and_suggest(service: str) -> None:
    assert httpx.get(service + "/preview").status_code == 400
    missing = httpx.get(service + "/preview", params={"id": "article/doi/10.1/nothing"})
    assert missing.status_code == 404 and "no article" in missing.text
    unknown = httpx.get(service + "/suggest/entity", params={"prefix": "x", "type": "book"})
    assert unknown.status_code == 400 and "unknown type" in unknown.text
    form = httpx.post(service, files={"queries": ("q.json", b"{}")})
    assert form.status_code == 400 and "not a file" in form.text


def test_scoring_rule() -> None:
    assert similarity("Htun, Kyaw Thu", "Kyaw Thu Htun") == 1.0
    assert similarity("Müller", "Muller") == 1.0
    assert similarity("asthma", "melanoma") < 0.6
    for given in ("O'Byrne", "Byrne P", "P M O'Byrne", "paul o byrne"):
        assert author_agreement(given, "Paul M O'Byrne") == 1.0
    assert author_agreement("Smith", "Paul M O'Byrne") < 0.5


def test_preview_escapes_record_text() -> None:
    entity = Entity("http://example.org/article/x", TYPES["article"], "<script>alert(1)</script>")
    entity.authors.append(Author("http://example.org/p/1", '"><img src=x onerror=alert(1)>', ""))
    html = preview_html(entity)
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_identifier_that_names_nobody_casts_doubt(service: str) -> None:
    """The exact name, but an ORCID iD we do not publish: a candidate, not a match."""
    batch = {"q0": refine_query("Peter Mohr", "person", orcid="0000-0002-1825-0097")}
    best = openrefine_post(service, batch).json()["q0"]["result"][0]
    assert best["id"] == MOHR and best["score"] == 100 and best["match"] is False


def test_a_misspelt_title_still_finds_its_article(service: str) -> None:
    """No record has every word (a typo): the longest words, any of them, find it."""
    batch = {
        "q0": refine_query("Automated quantitativ histology of Arabidopsis hypocotyls", "article")
    }
    results = openrefine_post(service, batch).json()
    conforms("reconciliation-result-batch", results)
    best = results["q0"]["result"][0]
    assert best["id"] == ELIFE and best["match"] is False and best["score"] > 50


@pytest.fixture(scope="module")
def trials_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server holding the examples and the shared PubMed and ClinicalTrials.gov
    samples: PMIDs, and trials with titles and start dates."""
    samples = [shared_path("samples", "pubmed"), shared_path("samples", "ctgov")]
    store = tmp_path_factory.mktemp("reconcile") / "store"
    paths = [*map(str, sorted(EXAMPLES.glob("*.txt"))), *map(str, samples)]
    result = run_cli("ingest", "--store", str(store), "--base-uri", BASE, *paths)
    assert result.returncode == 0, result.stdout + result.stderr
    process, server = start_server(store)
    yield server.url + "/reconcile"
    stop_server(process)


def test_trials_and_pmids(trials_service: str) -> None:
    batch = {
        # The PMID column; the title column says something else entirely.
        "q0": refine_query("a wrong title", "article", pmid="22663011"),
        # A column of PMIDs as the query text.
        "q1": refine_query("29768149", "article"),
        # A trial by (part of) its title, with the year it started.
        "q2": refine_query("Toca 511 retroviral replicating vector Toca FC", "trial", year="2016"),
        "q3": refine_query("BL-B01D1 versus docetaxel EGFR wild-type NSCLC", "trial"),
        # Its secondary number is no trial number we know: the title finds it.
        "q4": refine_query("Abexinostat Pembrolizumab", "trial", nct="NCT99999999"),
    }
    conforms("reconciliation-query-batch", batch)
    results = openrefine_post(trials_service, batch).json()
    conforms("reconciliation-result-batch", results)
    top = {key: value["result"][0] for key, value in results.items()}
    assert {key: hit["id"] for key, hit in top.items()} == {
        "q0": MELANOMA,
        "q1": ASTHMA,
        "q2": "trial/nct/NCT02576665",
        "q3": "trial/nct/NCT06382129",
        "q4": "trial/nct/NCT03590054",
    }
    assert [top[k]["match"] for k in ("q0", "q1", "q2", "q3", "q4")] == [
        True, True, False, False, False
    ]  # fmt: skip
    assert top["q2"]["score"] > top["q3"]["score"] > 0
    assert top["q2"]["description"].startswith("2016")
