"""rdflib's SPARQLStore (rdflib using our endpoint as a remote graph) against a running
server with the example records. SPARQLWrapper's reading is tested in test_http_sparql.py;
writing with the token (rdflib's SPARQLUpdateStore, SPARQLWrapper) in test_sparql_update.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import BASE, SEED_IRI, LiveServer
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import ResultRow
from test_http_sparql import ARTICLES, NAMES_CONSTRUCT, NAMES_GRAPH, PREFIXES, TITLES_QUERY

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SCHEMA = Namespace("https://schema.org/")


@pytest.fixture
def store(live_server: LiveServer) -> Iterator[SPARQLStore]:
    opened = SPARQLStore(query_endpoint=live_server.url + "/sparql")
    yield opened
    opened.close()


def test_sparqlstore_select(store: SPARQLStore) -> None:
    result = Graph(store).query(TITLES_QUERY)
    rows = [row for row in result if isinstance(row, ResultRow)]
    assert {str(row.article): str(row.title) for row in rows} == ARTICLES
    assert [str(v) for v in result.vars or []] == ["article", "title"]


def test_sparqlstore_with_its_own_prefixes_and_bindings(store: SPARQLStore) -> None:
    result = Graph(store).query(
        "SELECT ?title WHERE { ?article schema:name ?title }",
        initNs={"schema": SCHEMA},
        initBindings={"article": URIRef(SEED_IRI)},
    )
    assert [str(row[0]) for row in result if isinstance(row, ResultRow)] == [ARTICLES[SEED_IRI]]


def test_sparqlstore_ask_and_construct(store: SPARQLStore) -> None:
    graph = Graph(store)
    assert graph.query(PREFIXES + f"ASK {{ <{SEED_IRI}> a schema:ScholarlyArticle }}").askAnswer
    assert not graph.query("ASK { <urn:x:nothing> ?p ?o }").askAnswer
    constructed = graph.query(NAMES_CONSTRUCT).graph
    assert constructed is not None
    assert set(constructed) == NAMES_GRAPH


def test_sparqlstore_as_a_read_only_graph(store: SPARQLStore) -> None:
    graph = Graph(store)
    article = URIRef(SEED_IRI)
    assert graph.value(article, SCHEMA.name) == Literal(ARTICLES[SEED_IRI])
    assert (article, RDF.type, SCHEMA.ScholarlyArticle) in graph
    articles = set(graph.subjects(RDF.type, SCHEMA.ScholarlyArticle))
    assert {str(a) for a in articles} == set(ARTICLES)
    assert len(graph) > 100  # the union of every record's triples
    # The records' named graphs, as rdflib lists them.
    names = {str(name) for name in store.contexts()}
    assert sum(name.startswith(f"{BASE}graph/") for name in names) >= 6
