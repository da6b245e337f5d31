"""SPARQL Update and the Graph Store HTTP Protocol: off by default; when enabled, writes
need the bearer token, and queries and resource pages see what was written.

`writable` serves a copy of the example records with updates enabled (the store opened
read-write) and a 2 KiB update limit; `live_server` (conftest) is the default, read-only.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BASE, SEED, SEED_IRI, LiveServer, run_cli, start_server, stop_server
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import Unauthorized

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

TOKEN = "test-token-0f3c9a7e51d24b8e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SCHEMA = Namespace("https://schema.org/")
JSON_RESULTS = "application/sparql-results+json"
GSP = "/rdf-graphs/service"
GRAPH = "http://example.org/graphs/uploaded"
TURTLE = """@prefix schema: <https://schema.org/> .
<http://example.org/things/1> a schema:Thing ; schema:name "One"@en ;
    schema:identifier [ schema:value "1" ] ."""
NTRIPLES = '<http://example.org/things/2> <https://schema.org/name> "Two" .\n'
RDFXML = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:s="https://schema.org/">
  <rdf:Description rdf:about="http://example.org/things/3"><s:name>Three</s:name></rdf:Description>
</rdf:RDF>"""
JSONLD = json.dumps({"@id": "http://example.org/things/4", "https://schema.org/name": "Four"})


@pytest.fixture(scope="module")
def writable(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    copy = tmp_path_factory.mktemp("writable") / "store"
    shutil.copytree(example_store, copy)
    process, server = start_server(
        copy,
        extra_args=["--enable-updates", "--max-update-bytes", "2048"],
        env={"PUBLISHER_WRITE_TOKEN": TOKEN},
    )
    yield server
    stop_server(process)


def update(server: LiveServer, text: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        server.url + "/sparql",
        content=text.encode(),
        headers={"Content-Type": "application/sparql-update", **(headers or {})},
        timeout=30,
    )


def ask(server: LiveServer, text: str) -> bool:
    response = httpx.get(
        server.url + "/sparql", params={"query": text}, headers={"Accept": JSON_RESULTS}
    )
    assert response.status_code == 200, response.text
    value = response.json()["boolean"]
    assert isinstance(value, bool)
    return value


def count(server: LiveServer) -> int:
    response = httpx.get(
        server.url + "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": JSON_RESULTS},
    )
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def gsp(
    server: LiveServer,
    method: str,
    graph: str | None = GRAPH,
    body: str | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    **params: str,
) -> httpx.Response:
    query: dict[str, str] = dict(params)
    if graph is not None:
        query["graph"] = graph
    all_headers = dict(headers or {})
    if content_type:
        all_headers["Content-Type"] = content_type
    return httpx.request(
        method,
        server.url + GSP,
        params=query,
        content=None if body is None else body.encode(),
        headers=all_headers,
        timeout=30,
    )


# --- Off by default ---------------------------------------------------------------------------


def test_writes_are_off_by_default(live_server: LiveServer) -> None:
    before = count(live_server)
    for response in (
        update(live_server, "CLEAR ALL", AUTH),
        httpx.post(live_server.url + "/sparql", data={"update": "CLEAR ALL"}, headers=AUTH),
    ):
        assert response.status_code == 403
        assert "PUBLISHER_ENABLE_UPDATES=true" in response.text
    for method in ("GET", "HEAD", "PUT", "POST", "DELETE"):
        response = gsp(live_server, method, body=NTRIPLES, content_type="application/n-triples")
        assert response.status_code == 403, method
        if method != "HEAD":
            assert response.text.startswith("the Graph Store Protocol is not enabled")
            assert "PUBLISHER_ENABLE_UPDATES=true" in response.text
    assert count(live_server) == before


# --- The token ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, None),
        ({"Authorization": "Bearer wrong-token"}, "invalid_token"),
        ({"Authorization": f"Bearer {TOKEN}x"}, "invalid_token"),
        ({"Authorization": f"Basic {TOKEN}"}, None),
        ({"Authorization": "Bearer"}, None),
    ],
)
def test_writes_need_the_token(
    writable: LiveServer, headers: dict[str, str], error: str | None
) -> None:
    before = count(writable)
    responses = [
        update(writable, f"DELETE WHERE {{ GRAPH ?g {{ <{SEED_IRI}> ?p ?o }} }}", headers),
        httpx.post(
            writable.url + "/sparql",
            data={"update": "DROP ALL"},
            headers=headers,
        ),
        gsp(writable, "PUT", body=NTRIPLES, content_type="application/n-triples", headers=headers),
        gsp(writable, "POST", body=NTRIPLES, content_type="application/n-triples", headers=headers),
        gsp(writable, "DELETE", graph=f"{BASE}graph/none", headers=headers),
    ]
    for response in responses:
        assert response.status_code == 401, response.text
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer ")
        assert (f'error="{error}"' in challenge) is (error is not None)
        assert TOKEN not in response.text
    assert count(writable) == before
    assert ask(writable, f"ASK {{ <{SEED_IRI}> ?p ?o }}")


# --- SPARQL Update -----------------------------------------------------------------------------


def test_an_update_is_seen_by_queries_and_resource_pages(writable: LiveServer) -> None:
    iri = f"{BASE}thing/added-by-update"
    # Written to the default graph, the published view (a named graph of one's own is
    # reached with GRAPH, as the source records are).
    text = (
        "PREFIX schema: <https://schema.org/>\n"
        f'INSERT DATA {{ <{iri}> a schema:Thing ; schema:name "Added" }}'
    )
    response = update(writable, text, AUTH)
    assert response.status_code == 204, response.text
    assert ask(writable, f'ASK {{ <{iri}> <https://schema.org/name> "Added" }}')
    page = httpx.get(writable.url + "/thing/added-by-update", headers={"Accept": "text/turtle"})
    assert page.status_code == 200
    graph = Graph().parse(data=page.text, format="turtle")
    assert graph.value(URIRef(iri), SCHEMA.name) == Literal("Added")
    # A form POST, deleting it again.
    response = httpx.post(
        writable.url + "/sparql",
        data={"update": f"DELETE WHERE {{ <{iri}> ?p ?o }}"},
        headers=AUTH,
    )
    assert response.status_code == 204
    assert not ask(writable, f"ASK {{ <{iri}> ?p ?o }}")
    assert httpx.get(writable.url + "/thing/added-by-update").status_code == 404


@pytest.mark.parametrize(
    ("text", "status", "message"),
    [
        ("CLEAR XYZ", 400, "SPARQL syntax error: "),
        (f"CREATE GRAPH <{BASE}graph/manual/exists> ; CREATE GRAPH <{BASE}graph/manual/exists>",
         400, "the update failed: "),
        ("LOAD <http://example.org/data.ttl>", 400, "LOAD is not supported"),
        ("INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
         400, "SERVICE (federated query) is not supported"),
        ("INSERT DATA { <urn:x:a> <urn:x:b> '" + "x" * 3000 + "' }", 413,
         "the update is over 2048 bytes (PUBLISHER_MAX_UPDATE_BYTES)"),
    ],
)  # fmt: skip
def test_bad_updates_are_4xx_and_change_nothing(
    writable: LiveServer, text: str, status: int, message: str
) -> None:
    before = count(writable)
    response = httpx.post(writable.url + "/sparql", data={"update": text}, headers=AUTH)
    assert response.status_code == status, response.text
    assert response.text.startswith(message), response.text
    assert count(writable) == before


def test_an_oversized_update_body_is_413(writable: LiveServer) -> None:
    response = update(writable, "INSERT DATA { <urn:x:a> <urn:x:b> '" + "x" * 3000 + "' }", AUTH)
    assert response.status_code == 413
    assert response.text.startswith("the request body is over 2048 bytes")


def test_updates_are_posted(writable: LiveServer) -> None:
    response = httpx.get(writable.url + "/sparql", params={"update": "CLEAR ALL"}, headers=AUTH)
    assert response.status_code == 405
    assert response.text.startswith("send SPARQL Update with POST")


def test_the_description_lists_sparql_update(writable: LiveServer) -> None:
    response = httpx.get(writable.url + "/sparql", headers={"Accept": "text/turtle"})
    assert "sparql-service-description#SPARQL11Update>" in response.text


def test_rdflib_update_store_with_the_token(writable: LiveServer) -> None:
    store = SPARQLUpdateStore(
        query_endpoint=writable.url + "/sparql",
        update_endpoint=writable.url + "/sparql",
        headers=dict(AUTH),
    )
    graph = Graph(store, identifier=URIRef(f"{BASE}graph/manual/rdflib"))
    thing = URIRef(f"{BASE}thing/from-rdflib")
    graph.add((thing, SCHEMA.name, Literal("From rdflib")))
    assert ask(writable, f'ASK {{ GRAPH ?g {{ <{thing}> ?p "From rdflib" }} }}')
    graph.remove((thing, None, None))
    assert not ask(writable, f"ASK {{ <{thing}> ?p ?o }}")
    store.close()


def test_sparqlwrapper_update_with_the_token(writable: LiveServer) -> None:
    thing = f"{BASE}thing/from-sparqlwrapper"
    client = SPARQLWrapper(writable.url + "/sparql")
    client.setMethod(POST)
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    client.setQuery(
        f'INSERT DATA {{ GRAPH <{BASE}graph/manual/sw> {{ <{thing}> <urn:x:p> "x" }} }}'
    )
    assert client.query().response.status == 204
    assert ask(writable, f"ASK {{ GRAPH ?g {{ <{thing}> ?p ?o }} }}")
    assert not ask(writable, f"ASK {{ <{thing}> ?p ?o }}")  # not in the published view
    client.setQuery(f"DROP GRAPH <{BASE}graph/manual/sw>")
    client.query()
    assert not ask(writable, f"ASK {{ GRAPH ?g {{ <{thing}> ?p ?o }} }}")
    # Without the token, SPARQLWrapper reports the 401.
    anonymous = SPARQLWrapper(writable.url + "/sparql")
    anonymous.setMethod(POST)
    anonymous.setQuery("CLEAR ALL")
    with pytest.raises(Unauthorized):
        anonymous.query()


# --- Graph Store Protocol ------------------------------------------------------------------------

RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
}


def graph_at(server: LiveServer, graph: str | None = GRAPH, accept: str = "text/turtle") -> Graph:
    params: dict[str, Any] = {"default": ""} if graph is None else {}
    response = gsp(server, "GET", graph, headers={"Accept": accept}, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    return Graph().parse(data=response.text, format=RDF_FORMATS[accept])


def test_graph_store_protocol_round_trip(writable: LiveServer) -> None:
    gsp(writable, "DELETE", headers=AUTH)
    assert gsp(writable, "GET").status_code == 404
    assert gsp(writable, "HEAD").status_code == 404
    response = gsp(writable, "PUT", body=TURTLE, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 201, response.text
    expected = Graph().parse(data=TURTLE, format="turtle")
    for accept in RDF_FORMATS:  # read without the token, in every format
        assert isomorphic(graph_at(writable, accept=accept), expected), accept
    head = gsp(writable, "HEAD", headers={"Accept": "application/n-triples"})
    assert head.status_code == 200
    assert head.headers["content-type"] == "application/n-triples; charset=utf-8"
    # Queries see it.
    assert ask(writable, f'ASK {{ GRAPH <{GRAPH}> {{ ?s <https://schema.org/name> "One"@en }} }}')
    # PUT replaces, POST adds: N-Triples, RDF/XML, JSON-LD bodies.
    response = gsp(
        writable, "PUT", body=NTRIPLES, content_type="application/n-triples", headers=AUTH
    )
    assert response.status_code == 204
    for body, kind in ((RDFXML, "application/rdf+xml"), (JSONLD, "application/ld+json")):
        assert gsp(writable, "POST", body=body, content_type=kind, headers=AUTH).status_code == 204
    names = {str(o) for o in graph_at(writable).objects(None, SCHEMA.name)}
    assert names == {"Two", "Three", "Four"}
    assert not ask(writable, f'ASK {{ GRAPH <{GRAPH}> {{ ?s ?p "One"@en }} }}')
    # DELETE, then it is gone.
    assert gsp(writable, "DELETE", headers=AUTH).status_code == 204
    assert gsp(writable, "GET").status_code == 404
    assert gsp(writable, "DELETE", headers=AUTH).status_code == 404
    assert not ask(writable, f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")


def test_graph_store_default_graph_and_new_graphs(writable: LiveServer) -> None:
    response = gsp(
        writable, "PUT", None, NTRIPLES, "application/n-triples", headers=AUTH, default=""
    )
    assert response.status_code == 204
    assert len(graph_at(writable, None)) == 1
    # The default graph is the store's own, the published view: what queries see.
    assert ask(writable, 'ASK { <http://example.org/things/2> ?p "Two" }')
    assert gsp(writable, "DELETE", None, headers=AUTH, default="").status_code == 204
    assert len(graph_at(writable, None)) == 0
    # POST to the graph store itself: a new graph, named by the server.
    response = gsp(writable, "POST", None, TURTLE, "text/turtle", headers=AUTH)
    assert response.status_code == 201
    location = response.headers["location"]
    assert location.startswith(f"{BASE}graph/gsp/")
    assert isomorphic(graph_at(writable, location), Graph().parse(data=TURTLE, format="turtle"))
    assert gsp(writable, "DELETE", location, headers=AUTH).status_code == 204


def test_graph_store_multipart_post(writable: LiveServer) -> None:
    files = {
        "a": ("a.ttl", TURTLE.encode(), "text/turtle"),
        "b": ("b.nt", NTRIPLES.encode(), "application/n-triples"),
    }
    response = httpx.post(
        writable.url + GSP, params={"graph": GRAPH + "/multi"}, files=files, headers=AUTH
    )
    assert response.status_code == 201, response.text
    names = {str(o) for o in graph_at(writable, GRAPH + "/multi").objects(None, SCHEMA.name)}
    assert names == {"One", "Two"}
    gsp(writable, "DELETE", GRAPH + "/multi", headers=AUTH)


@pytest.mark.parametrize(
    ("method", "params", "body", "content_type", "status", "message"),
    [
        ("PUT", {"graph": GRAPH}, "a,b\n1,2", "text/csv", 415, "send the graph as one of"),
        ("PUT", {"graph": GRAPH}, NTRIPLES, None, 415, "send the graph as one of"),
        ("PUT", {"graph": GRAPH}, "<a> <b> .", "text/turtle", 400, "the text/turtle body"),
        ("PUT", {"graph": GRAPH}, "<x:s> <x:p> <x:o> <x:g> .", "application/n-quads", 415, ""),
        ("PUT", {"graph": GRAPH},
         json.dumps({"@id": "urn:x:g", "@graph": [{"@id": "urn:x:s", "urn:x:p": "o"}]}),
         "application/ld+json", 400, "the body names graphs"),
        ("PUT", {"graph": "relative/iri"}, NTRIPLES, "application/n-triples", 400,
         "graph is not an absolute IRI"),
        ("PUT", {"graph": GRAPH, "default": ""}, NTRIPLES, "application/n-triples", 400,
         "name one graph"),
        ("PUT", {}, NTRIPLES, "application/n-triples", 400, "name the graph"),
        ("GET", {}, None, None, 400, "name the graph"),
        ("PUT", {"graph": GRAPH}, "<urn:x:a> <urn:x:b> '" + "x" * 3000 + "' .",
         "application/n-triples", 413, "the request body is over 2048 bytes"),
    ],
)  # fmt: skip
def test_graph_store_client_errors(
    writable: LiveServer,
    method: str,
    params: dict[str, str],
    body: str | None,
    content_type: str | None,
    status: int,
    message: str,
) -> None:
    before = count(writable)
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    response = httpx.request(
        method,
        writable.url + GSP,
        params=params,
        content=None if body is None else body.encode(),
        headers=headers,
    )
    assert response.status_code == status, response.text
    assert response.text.startswith(message), response.text
    assert count(writable) == before


def test_graph_store_get_is_negotiated(writable: LiveServer) -> None:
    gsp(writable, "PUT", body=NTRIPLES, content_type="application/n-triples", headers=AUTH)
    response = gsp(writable, "GET", headers={"Accept": "image/png"})
    assert response.status_code == 406
    response = gsp(writable, "GET", headers={"Accept": "*/*"})
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    gsp(writable, "DELETE", headers=AUTH)


# --- The store is the server's while it writes ---------------------------------------------------


def test_ingest_cannot_open_the_store_while_it_is_served_read_write(writable: LiveServer) -> None:
    result = run_cli("ingest", "--store", str(writable.store), str(SEED))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "cannot open the store" in result.stderr
    assert ask(writable, f"ASK {{ GRAPH ?record {{ <{SEED_IRI}> ?p ?o }} }}")


# --- Never a server error ----------------------------------------------------------------------

MULTIPART = "multipart/form-data; boundary=zz"


@pytest.mark.parametrize(
    ("method", "path", "content_type", "body"),
    [
        ("POST", "/sparql", "application/x-www-form-urlencoded", b"update=CLEAR+ALL&query=ASK{}"),
        ("POST", "/sparql?using-graph-uri=not-an-iri", "application/sparql-update", b"CLEAR ALL"),
        ("POST", "/sparql?update=CLEAR+ALL", "application/sparql-update", b"CLEAR ALL"),
        ("POST", "/sparql", "application/sparql-update", b"\xff\xfe"),
        ("POST", "/sparql", "application/sparql-update; charset=latin-1", b"CLEAR ALL"),
        ("POST", "/sparql", "application/x-www-form-urlencoded", b"update=%ff"),
        (
            "POST",
            "/sparql",
            "application/x-www-form-urlencoded",
            b"update=CLEAR+ALL&update=CLEAR+ALL",
        ),
        ("POST", f"{GSP}?graph={GRAPH}", "multipart/form-data", b"garbage"),
        ("POST", f"{GSP}?graph={GRAPH}", MULTIPART, b"garbage"),
        ("POST", f"{GSP}?graph={GRAPH}", MULTIPART, b"--zz\r\n\r\n<a> <b> <c> .\r\n--zz--\r\n"),
        (
            "PUT",
            f"{GSP}?graph={GRAPH}",
            "text/turtle; charset=utf-16",
            b"<urn:a> <urn:b> <urn:c> .",
        ),
        ("PUT", f"{GSP}?graph={GRAPH}", "application/ld+json", b'{"@context": "http://x/c"}'),
        ("PUT", f"{GSP}?graph={GRAPH}", "application/ld+json", b"[[[["),
        ("PUT", f"{GSP}?graph={GRAPH}", "application/rdf+xml", b"<?xml version='1.0'?><x"),
        (
            "PUT",
            f"{GSP}?graph={GRAPH}",
            "application/rdf+xml",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description rdf:about="http://a"><rdf:value>&e;</rdf:value>'
            b"</rdf:Description></rdf:RDF>",
        ),
        ("PUT", f"{GSP}?graph=%ff", "text/turtle", b""),
        ("GET", f"{GSP}?graph=", None, None),
        ("PATCH", GSP, None, None),
        ("PUT", "/sparql", "application/sparql-update", b"CLEAR ALL"),
    ],
)
def test_never_a_server_error(
    writable: LiveServer, method: str, path: str, content_type: str | None, body: bytes | None
) -> None:
    before = count(writable)
    headers = dict(AUTH)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = httpx.request(method, writable.url + path, content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.text.strip()
    assert "/etc/passwd" not in response.text or "ENTITY" in response.text
    assert count(writable) == before
