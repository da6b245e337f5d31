"""The SPARQL 1.1 Protocol endpoint /sparql over real HTTP.

SPARQLWrapper shows what a typical client sees; httpx pins the protocol details (the three
ways of sending a query, result formats by Accept and `format=`, errors, the dataset).
The store holds the example records: five pages, six articles (several_records_en.txt has
two records), each record in its own named graph.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from typing import Any
from xml.dom.minidom import Document

import httpx
import pytest
from conftest import BASE, SEED_DOI, SEED_IRI, LiveServer
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from SPARQLWrapper import JSON, JSONLD, POST, TURTLE, XML, SPARQLWrapper

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SCHEMA = Namespace("https://schema.org/")
PREFIXES = "PREFIX schema: <https://schema.org/>\nPREFIX bibo: <http://purl.org/ontology/bibo/>\n"
SEED_TITLE = (
    "Successful Treatment of Refractory and Relapsed CNS Acute Lymphoblastic Leukemia"
    " With CD-19 CAR-T Immunotherapy: A Case Report"
)
# Checked against the example pages: IRI -> title of each of the six articles.
ARTICLES = {
    SEED_IRI: SEED_TITLE,
    f"{BASE}article/doi/10.1371/journal.pone.0134826": "Changes in Data Sharing and Data Reuse"
    " Practices and Perceptions among Scientists Worldwide",
    f"{BASE}article/doi/10.1016/j.bpj.2015.04.023": "Modeling Macromolecular Motions by"
    " X-Ray-Scattering-Constrained Molecular Dynamics",
    f"{BASE}article/doi/10.1056/nejmoa1203421": "Improved survival with MEK inhibition in"
    " BRAF-mutated melanoma",
    f"{BASE}article/doi/10.1056/nejmoa1715274": "Inhaled Combined Budesonide-Formoterol as Needed"
    " in Mild Asthma",
    f"{BASE}article/doi/10.7554/elife.01567": "Automated quantitative histology reveals vascular"
    " morphodynamics during Arabidopsis hypocotyl secondary growth",
}
TRIAL = URIRef(f"{BASE}trial/nct/NCT02349698")

TITLES_QUERY = (
    PREFIXES + "SELECT ?article ?title WHERE {\n"
    "  ?article a schema:ScholarlyArticle ; schema:name ?title .\n} ORDER BY ?title"
)
COUNT_QUERY = PREFIXES + "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a schema:ScholarlyArticle }"
NAMES_CONSTRUCT = (
    PREFIXES + "CONSTRUCT { ?a schema:name ?t } WHERE { ?a a schema:ScholarlyArticle ;"
    " schema:name ?t }"
)
NAMES_GRAPH = {(URIRef(iri), SCHEMA.name, Literal(title)) for iri, title in ARTICLES.items()}

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"


def endpoint(server: LiveServer) -> str:
    return server.url + "/sparql"


def wrapper(server: LiveServer, query: str, return_format: str | None = None) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint(server))
    client.setQuery(query)
    if return_format is not None:
        client.setReturnFormat(return_format)
    return client


def get(server: LiveServer, accept: str | None = None, **params: Any) -> httpx.Response:
    headers = {"Accept": accept} if accept is not None else {}
    return httpx.get(endpoint(server), params=params, headers=headers, timeout=30)


def post(
    server: LiveServer, content: bytes | str, content_type: str | None, accept: str | None = None
) -> httpx.Response:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    body = content.encode() if isinstance(content, str) else content
    return httpx.post(endpoint(server), content=body, headers=headers, timeout=30)


def titles(results: dict[str, Any]) -> dict[str, str]:
    return {b["article"]["value"]: b["title"]["value"] for b in results["results"]["bindings"]}


def count(server: LiveServer, query: str = COUNT_QUERY, **params: Any) -> int:
    response = get(server, JSON_RESULTS, query=query, **params)
    assert response.status_code == 200, response.text
    (row,) = response.json()["results"]["bindings"]
    return int(row["n"]["value"])


@pytest.fixture(scope="module")
def seed_graph_iri(live_server: LiveServer) -> str:
    response = get(
        live_server,
        JSON_RESULTS,
        query=f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{SEED_IRI}> a ?t }} }}",
    )
    (row,) = response.json()["results"]["bindings"]
    assert row["g"]["type"] == "uri"
    return str(row["g"]["value"])


# --- Through SPARQLWrapper ----------------------------------------------------------------


def test_wrapper_select_json(live_server: LiveServer) -> None:
    results = wrapper(live_server, TITLES_QUERY, JSON).queryAndConvert()
    assert isinstance(results, dict)
    assert results["head"]["vars"] == ["article", "title"]
    assert titles(results) == ARTICLES
    ordered = [b["title"]["value"] for b in results["results"]["bindings"]]
    assert ordered == sorted(ARTICLES.values())
    assert all(b["article"]["type"] == "uri" for b in results["results"]["bindings"])


def test_wrapper_counts_six_articles(live_server: LiveServer) -> None:
    results = wrapper(live_server, COUNT_QUERY, JSON).queryAndConvert()
    assert isinstance(results, dict)
    (row,) = results["results"]["bindings"]
    assert row["n"] == {
        "type": "literal",
        "value": "6",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }


def test_wrapper_select_xml(live_server: LiveServer) -> None:
    for method in ("GET", POST):
        client = wrapper(live_server, TITLES_QUERY, XML)
        client.setMethod(method)
        result = client.query()
        assert result.response.headers["content-type"] == f"{XML_RESULTS}; charset=utf-8"
        document = result.convert()
        assert isinstance(document, Document)
        found = {}
        for binding_set in document.getElementsByTagName("result"):
            values = {
                b.getAttribute("name"): b.firstChild.firstChild.data  # type: ignore[union-attr]
                for b in binding_set.getElementsByTagName("binding")
            }
            found[values["article"]] = values["title"]
        assert found == ARTICLES


@pytest.mark.parametrize("return_format", [JSON, XML])
def test_wrapper_ask(live_server: LiveServer, return_format: str) -> None:
    def ask(query: str) -> bool:
        result = wrapper(live_server, PREFIXES + query, return_format).queryAndConvert()
        if isinstance(result, dict):
            return bool(result["boolean"])
        assert isinstance(result, Document)
        return result.getElementsByTagName("boolean")[0].firstChild.data == "true"  # type: ignore[union-attr]

    assert ask(f"ASK {{ <{SEED_IRI}> a schema:MedicalScholarlyArticle }}") is True
    assert ask(f"ASK {{ <{SEED_IRI}> schema:inLanguage 'en' }}") is True
    assert ask(f"ASK {{ <{SEED_IRI}> schema:inLanguage 'de' }}") is False
    assert ask(f"ASK {{ <{BASE}article/doi/10.9999/nope> ?p ?o }}") is False


def test_wrapper_construct_turtle(live_server: LiveServer) -> None:
    body = wrapper(live_server, NAMES_CONSTRUCT, TURTLE).queryAndConvert()
    assert isinstance(body, bytes)
    graph = Graph().parse(data=body.decode(), format="turtle")
    assert set(graph) == NAMES_GRAPH


def test_wrapper_construct_jsonld(live_server: LiveServer) -> None:
    result = wrapper(live_server, NAMES_CONSTRUCT, JSONLD).query()
    assert result.response.headers["content-type"] == "application/ld+json; charset=utf-8"
    graph = result.convert()
    assert isinstance(graph, Graph)
    assert set(graph) == NAMES_GRAPH


def test_wrapper_construct_with_its_default_format(live_server: LiveServer) -> None:
    """SPARQLWrapper's default is XML: it sends format=xml and gets RDF/XML back."""
    result = wrapper(live_server, NAMES_CONSTRUCT).query()
    assert result.response.headers["content-type"] == "application/rdf+xml; charset=utf-8"
    graph = result.convert()
    assert isinstance(graph, Graph)
    assert set(graph) == NAMES_GRAPH


@pytest.mark.parametrize("return_format", [TURTLE, JSONLD, XML])
def test_wrapper_describe(live_server: LiveServer, return_format: str) -> None:
    client = wrapper(live_server, f"DESCRIBE <{TRIAL}>", return_format)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "sending Accept */*" fallback
        result = client.queryAndConvert()
    graph = (
        Graph().parse(data=result.decode(), format="turtle")
        if isinstance(result, bytes)
        else result
    )
    assert isinstance(graph, Graph)
    identifier = graph.value(TRIAL, SCHEMA.identifier)
    # A node of the trial's own, named under its IRI (the published view has no blank nodes)
    assert isinstance(identifier, URIRef) and str(identifier).startswith(f"{TRIAL}#id-")
    assert set(graph.predicate_objects(TRIAL)) == {
        (RDF.type, SCHEMA.MedicalTrial),
        (SCHEMA.identifier, identifier),
        (SCHEMA.sameAs, URIRef("https://clinicaltrials.gov/study/NCT02349698")),
    }
    # DESCRIBE is Oxigraph's concise bounded description: it does not follow IRIs, so
    # the identifier node is a DESCRIBE (or the trial's page) of its own.
    assert len(graph) == 3


# --- The three ways of sending a query ----------------------------------------------------


def test_get_post_form_and_post_query_agree(live_server: LiveServer) -> None:
    by_get = get(live_server, JSON_RESULTS, query=TITLES_QUERY)
    by_form = httpx.post(
        endpoint(live_server),
        data={"query": TITLES_QUERY},
        headers={"Accept": JSON_RESULTS},
    )
    by_body = post(live_server, TITLES_QUERY, "application/sparql-query", JSON_RESULTS)
    assert by_form.request.headers["content-type"] == "application/x-www-form-urlencoded"
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == f"{JSON_RESULTS}; charset=utf-8"
        assert response.headers["vary"] == "Accept"
        assert titles(response.json()) == ARTICLES
    assert by_get.json() == by_form.json() == by_body.json()


def test_post_query_with_charset_parameter(live_server: LiveServer) -> None:
    response = post(
        live_server, COUNT_QUERY, "application/sparql-query; charset=UTF-8", JSON_RESULTS
    )
    assert response.status_code == 200
    (row,) = response.json()["results"]["bindings"]
    assert row["n"]["value"] == "6"


def test_post_query_with_non_ascii_text(live_server: LiveServer) -> None:
    query = PREFIXES + 'ASK { ?a schema:abstract ?x FILTER(CONTAINS(?x, "β2-agonist")) }'
    response = post(live_server, query, "application/sparql-query", JSON_RESULTS)
    assert response.status_code == 200
    assert response.json() == {"head": {}, "boolean": True}


# --- Result formats -----------------------------------------------------------------------


@pytest.mark.parametrize("accept", [JSON_RESULTS, XML_RESULTS, CSV, TSV])
def test_select_result_formats_by_accept(live_server: LiveServer, accept: str) -> None:
    response = get(live_server, accept, query=TITLES_QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert response.headers["vary"] == "Accept"


def test_json_results_are_the_default(live_server: LiveServer) -> None:
    for accept in ("*/*", "application/*", "application/json"):
        response = get(live_server, accept, query=COUNT_QUERY)
        assert response.headers["content-type"] == f"{JSON_RESULTS}; charset=utf-8", accept
    response = get(live_server, "application/sparql-results+xml;q=0.9, */*;q=0.1", query="ASK {}")
    assert response.headers["content-type"] == f"{XML_RESULTS}; charset=utf-8"


def test_csv_results(live_server: LiveServer) -> None:
    response = get(live_server, CSV, query=TITLES_QUERY)
    lines = response.text.split("\r\n")
    assert lines[0] == "article,title"
    assert f"{SEED_IRI},{SEED_TITLE}" in lines
    assert lines[-1] == ""  # every row, the last too, ends with CRLF
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["article", "title"]
    assert dict(rows[1:]) == ARTICLES
    assert [title for _, title in rows[1:]] == sorted(ARTICLES.values())


def test_tsv_results(live_server: LiveServer) -> None:
    response = get(live_server, TSV, query=TITLES_QUERY)
    lines = response.text.splitlines()
    assert lines[0] == "?article\t?title"
    assert f'<{SEED_IRI}>\t"{SEED_TITLE}"' in lines
    assert len(lines) == 7


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("csv", CSV),
        ("tsv", TSV),
        ("xml", XML_RESULTS),
        ("json", JSON_RESULTS),
        ("text/csv", CSV),
        ("application/sparql-results+xml", XML_RESULTS),
    ],
)
def test_format_parameter_overrides_accept(
    live_server: LiveServer, value: str, expected: str
) -> None:
    response = get(live_server, JSON_RESULTS, query=COUNT_QUERY, format=value)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{expected}; charset=utf-8"


def test_format_csv_gives_the_same_rows(live_server: LiveServer) -> None:
    response = get(live_server, "application/sparql-results+json", query=COUNT_QUERY, format="csv")
    assert response.text == "n\r\n6\r\n"


def test_ask_results(live_server: LiveServer) -> None:
    query = f"ASK {{ <{SEED_IRI}> ?p ?o }}"
    assert get(live_server, JSON_RESULTS, query=query).json() == {"head": {}, "boolean": True}
    xml = get(live_server, XML_RESULTS, query=query).text
    assert "<boolean>true</boolean>" in xml
    no = get(live_server, JSON_RESULTS, query="ASK { <urn:x:nothing> ?p ?o }").json()
    assert no == {"head": {}, "boolean": False}


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("application/n-triples", "nt"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_formats(live_server: LiveServer, accept: str, rdflib_format: str) -> None:
    response = get(live_server, accept, query=NAMES_CONSTRUCT)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    graph = Graph().parse(data=response.text, format=rdflib_format)
    assert set(graph) == NAMES_GRAPH


def test_construct_defaults_to_turtle(live_server: LiveServer) -> None:
    response = get(live_server, "*/*", query=NAMES_CONSTRUCT)
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    nt = get(live_server, "application/n-triples", query=NAMES_CONSTRUCT)
    assert isomorphic(
        Graph().parse(data=response.text, format="turtle"),
        Graph().parse(data=nt.text, format="nt"),
    )


def test_construct_of_the_author_list_keeps_its_order(live_server: LiveServer) -> None:
    query = PREFIXES + (
        f"CONSTRUCT {{ <{SEED_IRI}> bibo:authorList ?l . ?c ?p ?o }} WHERE {{"
        f" <{SEED_IRI}> bibo:authorList ?l . ?l rdf:rest* ?c . ?c ?p ?o }}"
    )
    query = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n" + query
    response = get(live_server, "application/n-triples", query=query)
    graph = Graph().parse(data=response.text, format="nt")
    head = graph.value(URIRef(SEED_IRI), URIRef("http://purl.org/ontology/bibo/authorList"))
    assert head == URIRef(f"{SEED_IRI}#authorList-1")  # list cells named under the article
    members = list(graph.items(head))
    assert members == [URIRef(f"{BASE}person/doi/{SEED_DOI}/{n}") for n in range(1, 8)]


# --- Errors: 4xx with a message, never a 500 ----------------------------------------------


def assert_client_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith(message), response.text


def test_syntax_error_is_400_with_the_parsers_message(live_server: LiveServer) -> None:
    response = get(live_server, JSON_RESULTS, query="SELECT * WHERE { ?s ?p }")
    assert_client_error(response, 400, "SPARQL syntax error: error at 1:25: expected")
    response = post(live_server, "SELEC ?x", "application/sparql-query")
    assert_client_error(response, 400, "SPARQL syntax error: error at 1:")


@pytest.mark.parametrize("accept", ["*/*", None, JSON_RESULTS, "text/*"])
def test_no_query_is_400(live_server: LiveServer, accept: str | None) -> None:
    if accept is None:
        with httpx.Client() as client:
            request = client.build_request("GET", endpoint(live_server))
            del request.headers["Accept"]
            response = client.send(request)
    else:
        response = get(live_server, accept)
    assert_client_error(response, 400, "missing the query parameter")


def test_no_query_from_a_browser_is_the_form(live_server: LiveServer) -> None:
    for accept in ("text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"):
        response = get(live_server, accept)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["vary"] == "Accept"
        assert '<form method="get" action="/sparql">' in response.text
        assert '<textarea name="query">' in response.text
        assert "SELECT ?article ?title WHERE {" in response.text


def test_the_forms_example_query_runs(live_server: LiveServer) -> None:
    page = get(live_server, "text/html").text
    start = page.index('<textarea name="query">') + len('<textarea name="query">')
    query = page[start : page.index("</textarea>")]
    assert "&lt;" in query  # PREFIX <...> is escaped in the page; a browser sends it decoded
    query = query.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    response = get(live_server, "text/html", query=query, format="json")
    assert response.status_code == 200
    assert titles(response.json()) == ARTICLES


def test_two_queries_are_400(live_server: LiveServer) -> None:
    response = httpx.get(endpoint(live_server), params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert_client_error(response, 400, "send exactly one query parameter")
    response = httpx.post(
        endpoint(live_server) + "?query=ASK%20%7B%7D",
        content=b"ASK {}",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert_client_error(response, 400, "a query sent as application/sparql-query must not")
    response = httpx.post(
        endpoint(live_server) + "?query=ASK%20%7B%7D",
        data={"query": "ASK {}"},
    )
    assert_client_error(response, 400, "send exactly one query parameter")


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_post_of_another_media_type_is_415(
    live_server: LiveServer, content_type: str | None
) -> None:
    response = post(live_server, "ASK {}", content_type)
    assert_client_error(response, 415, "POST a query as application/x-www-form-urlencoded")


def test_updates_are_403_and_change_nothing(live_server: LiveServer) -> None:
    update = f"DELETE WHERE {{ <{SEED_IRI}> ?p ?o }}"
    message = "this endpoint is read-only: SPARQL Update is not enabled"
    assert_client_error(get(live_server, update=update), 403, message)
    response = httpx.post(endpoint(live_server), data={"update": update})
    assert_client_error(response, 403, message)
    assert_client_error(post(live_server, update, "application/sparql-update"), 403, message)
    # An update sent as a query is not a query.
    assert_client_error(get(live_server, query=update), 400, "SPARQL syntax error")
    assert count(live_server) == 6
    assert count(live_server, f"SELECT (COUNT(*) AS ?n) WHERE {{ <{SEED_IRI}> ?p ?o }}") == 20


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
def test_invalid_graph_iri_is_400(live_server: LiveServer, parameter: str) -> None:
    for value in ("not an iri", "", "relative/path"):
        response = get(live_server, query="ASK {}", **{parameter: value})
        assert_client_error(response, 400, f"{parameter} is not an IRI")


def test_unavailable_result_format_is_406(live_server: LiveServer) -> None:
    response = get(live_server, "image/png", query="ASK {}")
    assert_client_error(response, 406, "cannot answer in 'image/png'; available: ")
    response = get(live_server, query="ASK {}", format="png")
    assert_client_error(response, 406, "format='png' is not one of: json, xml, csv, tsv")
    # Results formats are not graph formats, and the other way round.
    assert_client_error(get(live_server, "text/turtle", query="ASK {}"), 406, "cannot answer")
    response = get(live_server, query=NAMES_CONSTRUCT, format="csv")
    assert_client_error(response, 406, "format='csv' is not one of: turtle, jsonld")


def test_federated_query_is_refused(live_server: LiveServer) -> None:
    """SERVICE would make the server fetch any URL a client names; it is refused unrun."""
    for query in (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o . service<http://127.0.0.1:9/>{} }",
        "PREFIX : <http://127.0.0.1:9/> SELECT * { SERVICE:x {} }",
        "SELECT * WHERE { OPTIONAL { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    ):
        response = get(live_server, JSON_RESULTS, query=query)
        assert_client_error(response, 400, "SERVICE (federated query) is not supported")


def test_service_as_a_word_is_no_problem(live_server: LiveServer) -> None:
    query = (
        'SELECT ?service WHERE { BIND("SERVICE <http://x/> {}" AS ?service) '
        "# SERVICE\n FILTER(?service != <http://example.org/SERVICE>) }"
    )
    response = get(live_server, JSON_RESULTS, query=query)
    assert response.status_code == 200, response.text
    (row,) = response.json()["results"]["bindings"]
    assert row["service"]["value"] == "SERVICE <http://x/> {}"


@pytest.mark.parametrize(
    "request_args",
    [
        {"params": {"query": ""}},
        {"params": {"query": "   "}},
        {"params": {"query": "\x00"}},
        {"params": {"query": "SELECT (1/0 AS ?x) {}"}},
        {"params": {"query": "ASK {}", "format": ""}},
        {"params": {"query": "DESCRIBE <urn:x:nothing>"}},
        {"params": {"query": "CONSTRUCT WHERE { ?s <urn:x:none> ?o }"}},
        {"params": {"query": "LOAD <http://127.0.0.1:9/>"}},
        {"params": {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT -1"}},
        {"params": {"query": "ASK {}", "default-graph-uri": "urn:x:none"}},
        {"url_suffix": "?query=%ff%fe"},
        {"url_suffix": "?query"},
        {"url_suffix": "?%zz=1"},
        {"headers": {"Accept": "*/*;q=nan"}, "params": {"query": "ASK {}"}},
        {"headers": {"Accept": ";;;,,,"}, "params": {"query": "ASK {}"}},
        {"method": "POST", "content": b"ASK {\xff}", "content_type": "application/sparql-query"},
        {
            "method": "POST",
            "content": b"query=%ff",
            "content_type": "application/x-www-form-urlencoded",
        },
        {"method": "POST", "content": b"", "content_type": "application/sparql-query"},
        {"method": "POST", "content": b"", "content_type": "application/x-www-form-urlencoded"},
        {
            "method": "POST",
            "content": b"query=" + b"x" * 300_000,
            "content_type": "application/x-www-form-urlencoded",
        },
    ],
)
def test_never_a_server_error(live_server: LiveServer, request_args: dict[str, Any]) -> None:
    headers = dict(request_args.get("headers", {}))
    if "content_type" in request_args:
        headers["Content-Type"] = request_args["content_type"]
    response = httpx.request(
        request_args.get("method", "GET"),
        endpoint(live_server) + request_args.get("url_suffix", ""),
        params=request_args.get("params"),
        content=request_args.get("content"),
        headers=headers,
        timeout=30,
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text.strip()


def test_oversized_query_is_413(live_server: LiveServer) -> None:
    response = post(
        live_server, "ASK {} #" + "x" * 300_000, "application/sparql-query", JSON_RESULTS
    )
    assert_client_error(response, 413, "the request body is over 262144 bytes")


# --- The dataset --------------------------------------------------------------------------


def test_default_graph_is_the_published_view(live_server: LiveServer) -> None:
    assert count(live_server) == 6
    query = PREFIXES + f"ASK {{ <{SEED_IRI}> a schema:ScholarlyArticle }}"
    assert get(live_server, JSON_RESULTS, query=query).json()["boolean"] is True
    # Only the view: the records' PROV-O statements about themselves are in their graphs.
    query = "ASK { ?record a <http://www.w3.org/ns/prov#Entity> }"
    assert get(live_server, JSON_RESULTS, query=query).json()["boolean"] is False
    graphs = get(live_server, JSON_RESULTS, query="SELECT DISTINCT ?g { GRAPH ?g {} }")
    names = {row["g"]["value"] for row in graphs.json()["results"]["bindings"]}
    # One named graph per record (six records), plus the dataset's own: the conformance
    # figures and the VoID statistics, written at ingest, and the view's provenance (and
    # its pending marks, empty).
    base = live_server.base_uri
    own = {base + f"graph/{name}" for name in ("conformance", "statistics", "provenance")}
    assert own <= names
    record_graphs = names - own - {base + "graph/pending"}
    assert len(record_graphs) == 6
    assert all(name.startswith(base + "graph/") for name in record_graphs)


def test_default_graph_uri_restricts_to_that_record(
    live_server: LiveServer, seed_graph_iri: str
) -> None:
    assert count(live_server, **{"default-graph-uri": seed_graph_iri}) == 1
    response = get(
        live_server, JSON_RESULTS, query=TITLES_QUERY, **{"default-graph-uri": seed_graph_iri}
    )
    assert titles(response.json()) == {SEED_IRI: SEED_TITLE}
    # The same through a POSTed form.
    response = httpx.post(
        endpoint(live_server),
        data={"query": COUNT_QUERY, "default-graph-uri": seed_graph_iri},
        headers={"Accept": JSON_RESULTS},
    )
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "1"
    # ... and through the URL of a POSTed query.
    response = httpx.post(
        endpoint(live_server),
        params={"default-graph-uri": seed_graph_iri},
        content=COUNT_QUERY.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS},
    )
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "1"


def test_several_default_graph_uris_merge(live_server: LiveServer, seed_graph_iri: str) -> None:
    other = seed_graph_iri.replace(SEED_DOI, "10.1056/nejmoa1203421")
    params = [("query", COUNT_QUERY), ("default-graph-uri", seed_graph_iri)]
    response = httpx.get(
        endpoint(live_server),
        params=[*params, ("default-graph-uri", other)],
        headers={"Accept": JSON_RESULTS},
    )
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "2"
    assert count(live_server, **{"default-graph-uri": BASE + "graph/none"}) == 0


def test_named_graph_uri_with_graph_pattern(live_server: LiveServer, seed_graph_iri: str) -> None:
    query = PREFIXES + "SELECT ?g ?a WHERE { GRAPH ?g { ?a a schema:ScholarlyArticle } }"
    response = get(live_server, JSON_RESULTS, query=query, **{"named-graph-uri": seed_graph_iri})
    rows = [(b["g"]["value"], b["a"]["value"]) for b in response.json()["results"]["bindings"]]
    assert rows == [(seed_graph_iri, SEED_IRI)]
    # With only named graphs given, the default graph is empty (SPARQL 1.1 Protocol 2.1.4).
    assert count(live_server, **{"named-graph-uri": seed_graph_iri}) == 0
    # Without any, GRAPH ?g sees every record.
    everything = get(live_server, JSON_RESULTS, query=query).json()["results"]["bindings"]
    assert {b["a"]["value"] for b in everything} == set(ARTICLES)
    assert len({b["g"]["value"] for b in everything}) == 6


def test_default_graph_uri_overrides_from(live_server: LiveServer, seed_graph_iri: str) -> None:
    query = PREFIXES + (
        "SELECT (COUNT(DISTINCT ?a) AS ?n) FROM <urn:x:none> WHERE { ?a a schema:ScholarlyArticle }"
    )
    assert count(live_server, query, **{"default-graph-uri": seed_graph_iri}) == 1


def test_from_named_in_the_query(live_server: LiveServer, seed_graph_iri: str) -> None:
    query = PREFIXES + (
        f"SELECT (COUNT(DISTINCT ?a) AS ?n) FROM NAMED <{seed_graph_iri}>"
        " WHERE { GRAPH ?g { ?a a schema:ScholarlyArticle } }"
    )
    assert count(live_server, query) == 1


def test_from_in_the_query_sets_the_default_graph(
    live_server: LiveServer, seed_graph_iri: str
) -> None:
    query = PREFIXES + (
        f"SELECT (COUNT(DISTINCT ?a) AS ?n) FROM <{seed_graph_iri}>"
        " WHERE { ?a a schema:ScholarlyArticle }"
    )
    assert count(live_server, query) == 1


def test_vary_accept_on_every_result(live_server: LiveServer) -> None:
    for query, fmt in (
        (TITLES_QUERY, "csv"),
        ("ASK {}", "xml"),
        (NAMES_CONSTRUCT, "ntriples"),
        (f"DESCRIBE <{TRIAL}>", "jsonld"),
    ):
        for response in (
            get(live_server, query=query),
            httpx.post(endpoint(live_server), data={"query": query}),
            post(live_server, query, "application/sparql-query"),
            get(live_server, query=query, format=fmt),
        ):
            assert response.status_code == 200, (query, response.text)
            assert response.headers["vary"] == "Accept"


def test_results_json_is_valid_json_with_declared_variables(live_server: LiveServer) -> None:
    response = get(live_server, JSON_RESULTS, query=TITLES_QUERY)
    document = json.loads(response.content.decode("utf-8"))
    assert set(document) == {"head", "results"}
    for binding in document["results"]["bindings"]:
        assert set(binding) <= set(document["head"]["vars"])
