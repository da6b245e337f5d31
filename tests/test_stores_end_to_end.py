"""One suite, three stores: the embedded Oxigraph store, an Oxigraph server and Virtuoso.

For each store the bundled examples are ingested once through the real CLI, dumps are
exported, and `publisher serve --workers 2` answers over real HTTP; then every assertion
runs against that. Where a store differs, the test says how. The reference for "the same
as the embedded store" is `example_store` (conftest), ingested from the same files: its
published view (its default graph) is what every store must show without GRAPH.

Then two sources of one article (its catalogue page and its PubMed record) on the two
remote stores: one consolidated description on its page and to SPARQL without GRAPH,
each source graph with GRAPH ?g, the provenance graph, and the description recomputed
when a source is removed (and again when it comes back), as on the embedded store.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from conftest import (
    BASE,
    EXAMPLES,
    SEED_IRI,
    LiveServer,
    run_cli,
    shared_path,
    start_server,
    stop_server,
)
from pyoxigraph import BlankNode, DefaultGraph, NamedNode, QuerySolutions, RdfFormat, Triple, parse
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF
from remote_stores import Endpoints, oxigraph_server, virtuoso_server

from publisher.mapping.vocab import PUB
from publisher.store.base import DCTERMS_MODIFIED
from publisher.store.layout import Layout
from publisher.store.migrate import VIEW, graph_sizes
from publisher.store.oxigraph import OxigraphStore

STORES = ["embedded", "oxigraph", "virtuoso"]
TOKEN = "end-to-end-write-token"
MAX_ROWS = 50
QUERY_TIMEOUT = 3
SCHEMA = "https://schema.org/"
BIBO_AUTHOR_LIST = URIRef("http://purl.org/ontology/bibo/authorList")
AUTHOR_NAMES = [  # the seed record's "Hauptverfasser", in order
    "Kyaw Thu Htun", "Qiang Gong", "Le Ma", "Ping Wang", "Ya Tan", "Guangsheng Wu",
    "Jieping Chen",
]  # fmt: skip
PROV_TIME = "http://www.w3.org/ns/prov#generatedAtTime"


@dataclass(frozen=True)
class Published:
    kind: str
    server: LiveServer
    store_args: list[str]  # CLI options selecting this store
    index: Path
    dumps: Path
    ingest: subprocess.CompletedProcess[str]
    endpoints: Endpoints | None  # None: the embedded store


def _store(kind: str, folder: Path, stack: ExitStack) -> tuple[list[str], Endpoints | None]:
    if kind == "embedded":
        return ["--store", str(folder / "store")], None
    starter = oxigraph_server if kind == "oxigraph" else virtuoso_server
    endpoints = stack.enter_context(starter(folder))
    return endpoints.cli_args(), endpoints


@pytest.fixture(scope="module", params=STORES)
def published(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[Published]:  # fmt: skip
    kind: str = request.param
    folder = tmp_path_factory.mktemp(f"e2e-{kind}")
    index, dumps = folder / "index.sqlite", folder / "dumps"
    with ExitStack() as stack:
        store_args, endpoints = _store(kind, folder, stack)
        common = [*store_args, "--index", str(index), "--base-uri", BASE]
        ingest = run_cli("ingest", *common, *map(str, sorted(EXAMPLES.glob("*.txt"))))
        assert ingest.returncode == 0, ingest.stdout + ingest.stderr
        exported = run_cli("export", str(dumps), *store_args, "--base-uri", BASE)
        assert exported.returncode == 0, exported.stdout + exported.stderr
        # Two web workers on every store. Updates through /sparql on the remote stores;
        # the embedded store has one writer, so it is served read-only with two workers.
        updates = ["--read-only"] if endpoints is None else ["--enable-updates"]
        process, server = start_server(
            folder / "store",
            extra_args=[
                *(store_args[2:] if endpoints is None else store_args),
                "--index", str(index), "--workers", "2", *updates,
                "--max-rows", str(MAX_ROWS), "--query-timeout", str(QUERY_TIMEOUT),
            ],
            env={"PUBLISHER_DUMPS": str(dumps), "PUBLISHER_WRITE_TOKEN": TOKEN},
        )  # fmt: skip
        try:
            yield Published(kind, server, store_args, index, dumps, ingest, endpoints)
        finally:
            stop_server(process)


@pytest.fixture(scope="module")
def reference(example_store: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore(example_store, read_only=True)
    yield store
    store.close()


def get(published: Published, path: str, accept: str = "text/turtle", **params: str
        ) -> httpx.Response:  # fmt: skip
    return httpx.get(
        published.server.url + path, headers={"Accept": accept}, params=params, timeout=30
    )


def sparql(published: Published, query: str, **headers: str) -> httpx.Response:
    return httpx.post(
        published.server.url + "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json", **headers},
        timeout=60,
    )


def path_of(iri: str) -> str:
    return iri.removeprefix(BASE.rstrip("/"))


def published_description(reference: OxigraphStore, iri: str) -> list[Triple]:
    """What a resource page serves, read from the reference store as the server reads it:
    the resource's description in the published view, or, for a source record's graph,
    the graph's own statements about itself."""
    description = reference.describe_view(NamedNode(iri), Layout(BASE).provenance).triples
    if not description and iri.startswith(Layout(BASE).graphs):
        description = reference.describe_sources(NamedNode(iri)).triples
    return description


def without_times(triples: list[Triple]) -> list[Triple]:
    """Each ingest stamps its own prov:generatedAtTime; everything else must agree."""
    return [t for t in triples if t.predicate.value != PROV_TIME]


def as_rdflib(triples: list[Triple]) -> Graph:
    graph = Graph()
    nt = "".join(f"{t} .\n" for t in triples)
    graph.parse(data=nt, format="nt")
    return graph


# --- Ingest ----------------------------------------------------------------------------------


def test_ingest_publishes_every_example(published: Published) -> None:
    assert (
        "published: 6, skipped: 0 (not articles), rejected: 0 (invalid)" in published.ingest.stdout
    )


def test_record_graphs_are_the_same_as_the_embedded_store(
    published: Published, reference: OxigraphStore
) -> None:
    """Every record's named graph holds as many triples as in the reference store."""
    query = (
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o }"
        f' FILTER(STRSTARTS(STR(?g), "{BASE}graph/vufind-text/")) }} GROUP BY ?g'
    )
    expected = reference.query(query)
    assert isinstance(expected, QuerySolutions)
    counts = {row["g"].value: int(row["n"].value) for row in expected}  # type: ignore[union-attr]
    assert len(counts) == 6
    answer = sparql(published, query).json()["results"]["bindings"]
    assert {row["g"]["value"]: int(row["n"]["value"]) for row in answer} == counts


# --- Resource pages and content negotiation ---------------------------------------------


def test_seed_description_is_the_embedded_stores(
    published: Published, reference: OxigraphStore
) -> None:
    response = get(published, path_of(SEED_IRI), "application/n-triples")
    assert response.status_code == 200
    served = [q.triple for q in parse(response.content, format=RdfFormat.N_TRIPLES)]
    # 20 about the article, 3 for the DOI, 2 per author-list cell, 7 authors x 3 labels,
    # the volume's type, the trial's type and registry page (test_http_resources).
    assert len(served) == 61
    expected = published_description(reference, SEED_IRI)
    assert isomorphic(as_rdflib(served), as_rdflib(expected))


def test_seed_authors_in_order(published: Published) -> None:
    graph = Graph().parse(data=get(published, path_of(SEED_IRI)).text, format="turtle")
    (head,) = graph.objects(URIRef(SEED_IRI), BIBO_AUTHOR_LIST)
    names = [str(graph.value(a, URIRef(SCHEMA + "name"))) for a in Collection(graph, head)]
    assert names == AUTHOR_NAMES


def test_every_sitemap_resource_is_described_as_on_the_embedded_store(
    published: Published, reference: OxigraphStore
) -> None:
    urls = re.findall(r"<loc>([^<]+)</loc>", get(published, "/sitemaps/1.xml", "*/*").text)
    assert SEED_IRI in urls and len(urls) > 50
    for url in urls:
        response = get(published, path_of(url), "application/n-triples")
        assert response.status_code == 200, url
        served = [q.triple for q in parse(response.content, format=RdfFormat.N_TRIPLES)]
        expected = without_times(published_description(reference, url))
        assert isomorphic(as_rdflib(without_times(served)), as_rdflib(expected)), url


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "text/html"),
        ("*/*", "text/turtle"),
    ],
)
def test_content_negotiation(published: Published, accept: str, media_type: str) -> None:
    response = get(published, path_of(SEED_IRI), accept)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["vary"] == "Accept"
    assert "Successful Treatment of Refractory" in response.text


def test_etag_is_the_same_from_every_worker_and_304s(published: Published) -> None:
    """Two stateless workers: twenty requests, one ETag, and each of them honours it."""
    tags = {get(published, path_of(SEED_IRI)).headers["etag"] for _ in range(20)}
    assert len(tags) == 1
    (tag,) = tags
    for _ in range(6):
        response = httpx.get(
            published.server.url + path_of(SEED_IRI),
            headers={"Accept": "text/turtle", "If-None-Match": tag},
            timeout=30,
        )
        assert response.status_code == 304


def test_last_modified_is_when_the_published_description_last_changed(
    published: Published,
) -> None:
    """The time the store keeps with each description (`dcterms:modified`, in the
    provenance graph) is every page's Last-Modified, its sitemap lastmod and the time of
    its Create in the change feed (made in one run: no description changed since)."""
    sitemap = get(published, "/sitemaps/1.xml", "*/*").text
    lastmods = dict(re.findall(r"<loc>([^<]+)</loc><lastmod>([^<]+)</lastmod>", sitemap))
    watched = [SEED_IRI, *sorted(lastmods)[:10]]
    values = " ".join(f"<{iri}>" for iri in watched)
    answer = sparql(
        published,
        f"SELECT ?r ?t WHERE {{ VALUES ?r {{ {values} }}"
        f" GRAPH {Layout(BASE).provenance} {{ ?r <{DCTERMS_MODIFIED}> ?t }} }}",
    )
    assert answer.status_code == 200, answer.text
    stamps = {
        row["r"]["value"]: _instant(row["t"]["value"])
        for row in answer.json()["results"]["bindings"]
    }
    assert set(stamps) == set(watched)
    feed = get(published, "/changes/1", "application/ld+json").json()["orderedItems"]
    created = {a["object"]["id"]: a["endTime"] for a in feed if a["type"] == "Create"}
    for iri in watched:
        response = get(published, path_of(iri))
        modified = parsedate_to_datetime(response.headers["last-modified"])
        assert modified == stamps[iri] == _instant(lastmods[iri]) == _instant(created[iri]), iri


def _instant(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).replace(microsecond=0)


def test_unknown_resource_is_404(published: Published) -> None:
    assert get(published, "/article/doi/10.9999/nothing-here").status_code == 404


# --- /sparql -------------------------------------------------------------------------------


def test_sparql_counts_the_articles(published: Published) -> None:
    """Six records, six articles (one of them a trial's publication); same on every store."""
    query = f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a a <{SCHEMA}ScholarlyArticle> }}"
    response = sparql(published, query)
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "6"


PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
DATASET_QUERIES = {
    "the view's size": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "records about the seed": f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{"
    f' <{SEED_IRI}> ?p ?o }} FILTER(STRSTARTS(STR(?g), "{BASE}graph/vufind-text/")) }}',
    "view and GRAPH ?g": f"SELECT (COUNT(*) AS ?n) WHERE {{ <{SEED_IRI}> ?p ?o"
    f" GRAPH ?g {{ <{SEED_IRI}> ?p ?o }} FILTER(?g != <{BASE}graph/published>) }}",
    "view and GRAPH <iri>": f"SELECT (COUNT(*) AS ?n) WHERE {{ <{SEED_IRI}> ?p ?o"
    f" GRAPH <{BASE}graph/provenance> {{ <{SEED_IRI}> <{PROV_DERIVED}> ?g }} }}",
    "GRAPH <iri>, prefixed": f"PREFIX g: <{BASE}graph/> SELECT (COUNT(*) AS ?n) WHERE {{"
    f" GRAPH g:provenance {{ ?s <{PROV_DERIVED}> ?g }} }}",
    "a record graph outside the view": "SELECT (COUNT(*) AS ?n) WHERE"
    f" {{ ?g a <{PUB}SourceRecord> }}",
    # Virtuoso: a named-graph-uri for GRAPH <iri> would hide the graphs GRAPH ?g reaches.
    "view, GRAPH <iri> and GRAPH ?g": f"SELECT (COUNT(*) AS ?n) WHERE {{ <{SEED_IRI}> ?p ?o"
    f" GRAPH <{BASE}graph/provenance> {{ <{SEED_IRI}> <{PROV_DERIVED}> ?g }}"
    f" GRAPH ?g {{ <{SEED_IRI}> ?p ?o }} }}",
}


@pytest.mark.parametrize("name", DATASET_QUERIES)
def test_sparql_default_graph_is_the_published_view(
    published: Published, reference: OxigraphStore, name: str
) -> None:
    """Without GRAPH a query sees the published view, as on the embedded store, and
    GRAPH still reaches every named graph, beside it too."""
    query = DATASET_QUERIES[name]
    (row,) = reference.query(query)  # type: ignore[misc]
    expected = row["n"].value
    assert expected != "0" or name.startswith("a record graph")
    answer = sparql(published, query)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"][0]["n"]["value"] == expected


def test_both_kinds_of_graph_answer_as_on_the_embedded_store(
    published: Published, reference: OxigraphStore
) -> None:
    """SELECT * over the view, GRAPH <iri> and GRAPH ?g: the same variables and rows as
    on the embedded store (on Virtuoso the query is sent rewritten: none of that shows)."""
    query = (
        f"SELECT * WHERE {{ <{SEED_IRI}> a ?type"
        f" GRAPH <{BASE}graph/provenance> {{ <{SEED_IRI}> <{PROV_DERIVED}> ?g }}"
        f" GRAPH ?g {{ <{SEED_IRI}> a ?type }} }}"
    )
    expected = reference.query(query)
    assert isinstance(expected, QuerySolutions)
    variables = [v.value for v in expected.variables]
    rows = sorted(tuple(row[v].value for v in variables) for row in expected)  # type: ignore[union-attr]
    assert rows
    answer = sparql(published, query)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert sorted(body["head"]["vars"]) == sorted(variables)  # in any order (SELECT *)
    bindings = body["results"]["bindings"]
    assert sorted(tuple(b[v]["value"] for v in variables) for b in bindings) == rows


def test_where_the_view_is_kept(published: Published, reference: OxigraphStore) -> None:
    """Virtuoso's default graph is the union of all its graphs: it keeps the view in the
    named graph {base}graph/published (given to queries as their default graph), which
    `GRAPH ?g` reaches too. The other stores keep it in their own default graph."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/published> {{ ?s ?p ?o }} }}"
    found = sparql(published, query).json()["results"]["bindings"][0]["n"]["value"]
    view = len(reference.graph_triples(None))
    assert int(found) == (view if published.kind == "virtuoso" else 0)


def test_sparql_row_cap(published: Published) -> None:
    """Our row cap, not the store's: 50 rows and the truncation header."""
    response = sparql(published, "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert response.status_code == 200
    assert len(response.json()["results"]["bindings"]) == MAX_ROWS
    assert response.headers["x-sparql-truncated"] == "true"
    small = sparql(published, "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 3")
    assert len(small.json()["results"]["bindings"]) == 3
    assert "x-sparql-truncated" not in small.headers


def test_sparql_construct_as_turtle(published: Published) -> None:
    pattern = f"<{SEED_IRI}> <{SCHEMA}name> ?n"
    query = f"CONSTRUCT {{ {pattern} }} WHERE {{ {pattern} }}"
    response = sparql(published, query, Accept="text/turtle")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    (name,) = graph.objects(URIRef(SEED_IRI), URIRef(SCHEMA + "name"))
    assert str(name).startswith("Successful Treatment of Refractory and Relapsed CNS")


def test_sparql_ask(published: Published) -> None:
    yes = sparql(published, f"ASK {{ <{SEED_IRI}> ?p ?o }}").json()
    no = sparql(published, "ASK { <http://example.org/nothing> ?p ?o }").json()
    assert (yes["boolean"], no["boolean"]) == (True, False)


def test_sparql_syntax_error_is_400(published: Published) -> None:
    response = sparql(published, "SELEC ?x WHERE { ?x ?y ?z }")
    assert response.status_code == 400


def test_sparql_service_is_refused_before_the_store_sees_it(published: Published) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = sparql(published, query)
    assert response.status_code == 400
    assert "SERVICE" in response.text


def test_sparql_timeout_is_ours(published: Published) -> None:
    """A cross product of the whole store three times over outlasts the 3 s limit (it
    would take hours); we answer our timeout's 503 when the limit is reached, whatever
    the store does with the query afterwards (Virtuoso's own limit is 120 s)."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    response = sparql(published, query)
    seconds = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.text.startswith(f"the query ran longer than {QUERY_TIMEOUT} s"), response.text
    # Not before the limit; and long before the store would finish or give up.
    assert QUERY_TIMEOUT <= seconds < QUERY_TIMEOUT + 30


def test_sparql_update_needs_the_token(published: Published) -> None:
    triple = f'<{BASE}e2e> <{SCHEMA}name> "e2e"'
    update = f"INSERT {{ GRAPH <{BASE}graph/e2e> {{ {triple} }} }} WHERE {{}}"
    url = published.server.url + "/sparql"
    anonymous = httpx.post(url, data={"update": update}, timeout=30)
    if published.endpoints is None:
        # The embedded store is served read-only here (two workers, one writer).
        assert anonymous.status_code == 403
        return
    assert anonymous.status_code == 401
    with_token = httpx.post(
        url, data={"update": update}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )
    assert with_token.status_code == 204, with_token.text
    # In its named graph, not in the default graph: that is the published view.
    assert sparql(published, f"ASK {{ GRAPH <{BASE}graph/e2e> {{ {triple} }} }}").json()["boolean"]
    assert not sparql(published, f"ASK {{ {triple} }}").json()["boolean"]

    def drop(silent: str) -> httpx.Response:
        return httpx.post(
            url,
            data={"update": f"DROP {silent} GRAPH <{BASE}graph/e2e>"},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )

    if published.kind == "virtuoso":
        # Virtuoso refuses DROP GRAPH of a graph an INSERT made ("has not been explicitly
        # created"): the store's message comes back as a 400, and DROP SILENT does it.
        refused = drop("")
        assert refused.status_code == 400
        assert "explicitly created" in refused.text
        assert drop("SILENT").status_code == 204
    else:
        assert drop("").status_code == 204
    assert not sparql(published, f"ASK {{ GRAPH ?g {{ <{BASE}e2e> ?p ?o }} }}").json()["boolean"]


# --- Search, sitemaps, dumps --------------------------------------------------------------


def test_search_finds_the_seed(published: Published) -> None:
    found = get(published, "/search", "application/json", q="leukemia", format="json").json()
    assert found["total"] == 1
    assert found["results"][0]["id"] == SEED_IRI


def test_sitemap_index_and_robots(published: Published) -> None:
    index = get(published, "/sitemap.xml", "*/*")
    assert index.status_code == 200
    assert f"<loc>{BASE}sitemaps/1.xml</loc>" in index.text
    assert "Sitemap:" in get(published, "/robots.txt", "*/*").text


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [line for line in handle if line.strip()]


def test_dumps_hold_the_same_statements(published: Published, reference: OxigraphStore) -> None:
    """N-Quads: every quad of our graphs, the published view in the default graph;
    N-Triples: the published view. The same numbers as the embedded store, and the same
    triples apart from blank node labels."""
    quads = list(parse(b"".join(x.encode() for x in _lines(published.dumps / "dataset.nq.gz")),
                       format=RdfFormat.N_QUADS))  # fmt: skip
    expected_quads = len(list(reference._store.quads_for_pattern(None, None, None, None)))
    assert len(quads) == expected_quads
    triples = [q.triple for q in parse(b"".join(x.encode() for x in _lines(
        published.dumps / "dataset.nt.gz")), format=RdfFormat.N_TRIPLES)]  # fmt: skip
    view = reference.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    expected = list(view)  # type: ignore[arg-type]
    assert expected and len(expected) == len(reference.graph_triples(None))
    assert len(triples) == len(expected)
    # The view is the default graph of the N-Quads dump too, wherever the store keeps it.
    assert sum(isinstance(q.graph_name, DefaultGraph) for q in quads) == len(expected)

    def ground(ts: list[Triple]) -> set[str]:
        return {
            str(t) for t in without_times(ts)
            if not isinstance(t.subject, BlankNode) and not isinstance(t.object, BlankNode)
        }  # fmt: skip

    assert ground(triples) == ground(expected)  # type: ignore[arg-type]


def test_dumps_are_served(published: Published) -> None:
    listing = get(published, "/dumps/", "application/json", format="json")
    assert listing.status_code == 200
    response = get(published, "/dumps/dataset.nq.gz", "*/*")
    assert response.status_code == 200
    assert response.content == (published.dumps / "dataset.nq.gz").read_bytes()


def test_void_describes_the_dataset(published: Published) -> None:
    response = get(published, "/.well-known/void", "text/turtle")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    assert (URIRef(BASE + "dataset"), RDF.type, None) in graph


def test_report_reads_the_validation_summary_from_the_store(published: Published) -> None:
    """`report` on any store: the six example pages, all accepted, nothing rejected."""
    result = run_cli("report", *published.store_args, "--base-uri", BASE, env={"COLUMNS": "150"})
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [re.split(r"\s*│\s*", line.strip(" │")) for line in result.stdout.splitlines()]
    assert ["vufind-text", "6", "0", "0", "0"] in rows  # published, skipped, rejected (2)
    assert "Rejections per constraint" in result.stdout


def test_embed_command_prints_what_the_server_embeds(published: Published) -> None:
    """`embed` reads the same store as the server: the very block `GET ?embed` answers."""
    result = run_cli("embed", SEED_IRI, *published.store_args, "--base-uri", BASE)
    assert result.returncode == 0, result.stderr
    served = get(published, path_of(SEED_IRI), "text/html", embed="")
    assert served.status_code == 200
    assert result.stdout == served.text
    assert result.stdout.startswith('<script type="application/ld+json">')
    assert "10.3389/fonc.2021.699946" in result.stdout
    missing = run_cli("embed", BASE + "article/doi/10.9999/nope", *published.store_args)
    assert missing.returncode == 1 and "nothing is published" in missing.stderr


def test_build_site_from_the_store(published: Published, tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = run_cli("build-site", str(site), *published.store_args, "--index",
                    str(published.index), "--base-uri", BASE)  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    page = site / path_of(SEED_IRI).lstrip("/") / "index.nt"
    served = [q.triple for q in parse(page.read_bytes(), format=RdfFormat.N_TRIPLES)]
    assert len(served) == 61
    assert (site / "sitemap.xml").is_file() and (site / "dumps" / "SHA256SUMS").is_file()


def test_graph_store_protocol_through_the_server(published: Published) -> None:
    """PUT, GET and DELETE of a whole named graph with the write token: on a remote
    store they go to its Graph Store endpoint."""
    url = published.server.url + "/rdf-graphs/service"
    graph = {"graph": f"{BASE}graph/gsp-e2e"}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = f'<{BASE}gsp> <{SCHEMA}name> "über" .\n<{BASE}gsp> <{SCHEMA}sameAs> _:x .\n'
    put = httpx.put(url, params=graph, content=body.encode(), timeout=30,
                    headers={**auth, "Content-Type": "application/n-triples"})  # fmt: skip
    if published.endpoints is None:
        assert put.status_code == 403  # served read-only here (two workers, one writer)
        return
    assert put.status_code == 201, put.text
    got = httpx.get(url, params=graph, headers={"Accept": "application/n-triples"}, timeout=30)
    assert got.status_code == 200
    triples = [q.triple for q in parse(got.content, format=RdfFormat.N_TRIPLES)]
    assert {(t.predicate.value, str(t.object)) for t in triples if t.predicate.value.endswith(
        "name")} == {(SCHEMA + "name", '"über"')}  # fmt: skip
    assert len(triples) == 2
    deleted = httpx.delete(url, params=graph, headers=auth, timeout=30)
    assert deleted.status_code == 204
    gone = httpx.get(url, params=graph, headers={"Accept": "application/n-triples"}, timeout=30)
    assert gone.status_code == 404


def test_migrate_carries_the_published_view(
    published: Published, reference: OxigraphStore, tmp_path: Path
) -> None:
    """`publisher migrate` from the store into a new embedded one: every named graph as
    in the reference, and the published view from wherever the store keeps it (a named
    graph on Virtuoso) into the default graph."""
    if published.endpoints is None:
        origin = [f"embedded:{published.store_args[1]}"]
    else:
        origin = [f"sparql:{published.endpoints.query}", *published.endpoints.cli_args()[2:]]
    copy = tmp_path / "copy"
    result = run_cli("migrate", "--from", *origin, "--to", f"embedded:{copy}", "--base-uri",
                     BASE)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    copied = OxigraphStore(copy, read_only=True)
    try:
        sizes = graph_sizes(copied)
        assert sizes == graph_sizes(reference)
        assert sizes[VIEW] > 0
        view = without_times(copied.graph_triples(None))
        assert {str(t) for t in view} == {str(t) for t in without_times(
            reference.graph_triples(None))}  # fmt: skip
    finally:
        copied.close()


# --- Two sources of one article ----------------------------------------------------------

NEJM = f"{BASE}article/doi/10.1056/nejmoa1203421"
PUBMED_GRAPH = f"{BASE}graph/pubmed-xml/id/22663011"
PROVENANCE = f"{BASE}graph/provenance"
SINGLE = {"name": SCHEMA + "name", "datePublished": SCHEMA + "datePublished",
          "authorList": str(BIBO_AUTHOR_LIST)}  # fmt: skip
PUBLISHED_FLAG = f"{PUB}published"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def two_source_files() -> list[Path]:
    """The NEJM article's catalogue page (bundled) and its PubMed record (from NCBI)."""
    pubmed = shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml")
    return [EXAMPLES / "nejm_22663011_en.txt", pubmed]


@dataclass(frozen=True)
class TwoSources:
    kind: str
    server: LiveServer
    store_args: list[str]
    endpoints: Endpoints
    index: Path


def _embedded_from(folder: Path, files: list[Path]) -> OxigraphStore:
    for path in files:
        done = run_cli("ingest", "--store", str(folder), "--base-uri", BASE, str(path))
        assert done.returncode == 0, done.stdout + done.stderr
    return OxigraphStore(folder, read_only=True)


@pytest.fixture(scope="module")
def both_reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphStore]:
    """Both sources in an embedded store: what each remote store must publish."""
    store = _embedded_from(tmp_path_factory.mktemp("both") / "store", two_source_files())
    yield store
    store.close()


@pytest.fixture(scope="module")
def catalogue_reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphStore]:
    """The catalogue page alone: what is left once the PubMed record is removed."""
    files = two_source_files()[:1]
    store = _embedded_from(tmp_path_factory.mktemp("catalogue") / "store", files)
    yield store
    store.close()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def two_sources(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[TwoSources]:  # fmt: skip
    """The two sources ingested one after the other (the second one consolidated with
    the first, already published), served by `publisher serve`."""
    kind: str = request.param
    files = two_source_files()
    folder = tmp_path_factory.mktemp(f"two-{kind}")
    index = folder / "index.sqlite"
    with ExitStack() as stack:
        store_args, endpoints = _store(kind, folder, stack)
        assert endpoints is not None
        for path in files:
            done = run_cli("ingest", *store_args, "--index", str(index), "--base-uri", BASE,
                           str(path))  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            assert (
                "published: 1, skipped: 0 (not articles), rejected: 0 (invalid)" in done.stdout
            ), done.stdout
        process, server = start_server(
            folder / "store", extra_args=[*store_args, "--index", str(index)]
        )
        try:
            yield TwoSources(kind, server, store_args, endpoints, index)
        finally:
            stop_server(process)


def _answer(two: TwoSources, query: str) -> list[dict[str, str]]:
    response = httpx.post(two.server.url + "/sparql", data={"query": query}, timeout=60,
                          headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    assert response.status_code == 200, response.text
    return [
        {k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]
    ]


def _expected(reference: OxigraphStore, query: str) -> list[dict[str, str]]:
    result = reference.query(query)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]  # type: ignore[union-attr]


def _sorted(rows: list[dict[str, str]]) -> list[tuple[tuple[str, str], ...]]:
    return sorted(tuple(sorted(row.items())) for row in rows)


def _page(two: TwoSources) -> list[Triple]:
    response = httpx.get(two.server.url + path_of(NEJM), timeout=30,
                         headers={"Accept": "application/n-triples"})  # fmt: skip
    assert response.status_code == 200, response.text
    return [q.triple for q in parse(response.content, format=RdfFormat.N_TRIPLES)]


def _assert_the_description_is(two: TwoSources, reference: OxigraphStore) -> None:
    """The page and SPARQL without GRAPH: one title, one date, one author list, and
    exactly the reference's description."""
    served = _page(two)
    about = [t for t in served if t.subject.value == NEJM]
    for name, predicate in SINGLE.items():
        assert len([t for t in about if t.predicate.value == predicate]) == 1, name
    expected = without_times(published_description(reference, NEJM))
    assert isomorphic(as_rdflib(without_times(served)), as_rdflib(expected))
    values = ", ".join(f"<{p}>" for p in SINGLE.values())
    query = f"SELECT ?p ?o WHERE {{ <{NEJM}> ?p ?o FILTER(?p IN ({values}, <{SCHEMA}author>)) }}"
    rows = _answer(two, query)
    for predicate in SINGLE.values():
        assert len([r for r in rows if r["p"] == predicate]) == 1, predicate
    assert _sorted(rows) == _sorted(_expected(reference, query))


def _record_graphs(reference: OxigraphStore) -> list[str]:
    rows = _expected(
        reference,
        f"SELECT ?source WHERE {{ GRAPH <{PROVENANCE}> {{ <{NEJM}> <{PROV_DERIVED}> ?source }} }}",
    )
    return sorted(row["source"] for row in rows)


def _assert_the_sources_are(two: TwoSources, reference: OxigraphStore) -> None:
    """GRAPH ?g reaches each source's own title; the provenance graph names the same
    sources, and (with GRAPH <provenance> and GRAPH ?g in one query) their titles."""
    sources = _record_graphs(reference)
    graphs = (
        f"SELECT ?g ?title WHERE {{ GRAPH ?g {{ <{NEJM}> <{SCHEMA}name> ?title }}"
        f' FILTER(STRSTARTS(STR(?g), "{BASE}graph/") && ?g != <{BASE}graph/published>) }}'
    )
    rows = _answer(two, graphs)
    assert sorted(row["g"] for row in rows) == sources
    assert _sorted(rows) == _sorted(_expected(reference, graphs))
    provenance = (
        f"SELECT ?source WHERE {{ GRAPH <{PROVENANCE}> {{ <{NEJM}> <{PROV_DERIVED}> ?source }} }}"
    )
    assert sorted(row["source"] for row in _answer(two, provenance)) == sources
    both = (
        f"SELECT ?source ?title WHERE {{ GRAPH <{PROVENANCE}> {{ <{NEJM}> <{PROV_DERIVED}>"
        f" ?source }} GRAPH ?source {{ <{NEJM}> <{SCHEMA}name> ?title }} }}"
    )
    assert _sorted(_answer(two, both)) == _sorted(rows_as(rows, "g", "source"))


def rows_as(rows: list[dict[str, str]], old: str, new: str) -> list[dict[str, str]]:
    return [{(new if k == old else k): v for k, v in row.items()} for row in rows]


def test_two_sources_are_one_description(
    two_sources: TwoSources, both_reference: OxigraphStore
) -> None:
    _assert_the_description_is(two_sources, both_reference)
    assert len(_record_graphs(both_reference)) == 2


def test_two_sources_each_in_its_graph_and_in_the_provenance(
    two_sources: TwoSources, both_reference: OxigraphStore
) -> None:
    """Each value's claim in the provenance graph, with its sources and whether it is
    the published one (Virtuoso answers `1` for true: mended), the long abstract too."""
    _assert_the_sources_are(two_sources, both_reference)
    claims = (
        f"SELECT ?property ?value ?published ?source WHERE {{ GRAPH <{PROVENANCE}> {{"
        f" ?claim <{RDF_NS}subject> <{NEJM}> ; <{RDF_NS}predicate> ?property ;"
        f" <{RDF_NS}object> ?value ; <{PUBLISHED_FLAG}> ?published ;"
        f" <{PROV_DERIVED}> ?source }} }}"
    )
    rows = _answer(two_sources, claims)
    assert {row["source"] for row in rows} == set(_record_graphs(both_reference))
    titles = {
        r["value"] for r in rows if r["property"] == SINGLE["name"] and r["published"] == "true"
    }
    assert len(titles) == 1
    assert _sorted(rows) == _sorted(_expected(both_reference, claims))


def test_two_sources_listed_on_the_html_page(two_sources: TwoSources) -> None:
    page = httpx.get(two_sources.server.url + path_of(NEJM), headers={"Accept": "text/html"},
                     timeout=30)  # fmt: skip
    assert page.status_code == 200
    sources = page.text[page.text.index("<h2>Sources</h2>") : page.text.index("Other statements")]
    assert sources.count('<li><a href="/graph/') == 2
    assert "(vufind-text, read " in sources and "(pubmed-xml, read " in sources


def test_removing_a_source_recomputes_the_description(
    two_sources: TwoSources, both_reference: OxigraphStore, catalogue_reference: OxigraphStore
) -> None:
    """`publisher remove` of the PubMed record: the description is the catalogue page's
    alone, on the page, to SPARQL, in the provenance. Ingested again: both again."""
    env = {**two_sources.endpoints.environment(), "PUBLISHER_INDEX": str(two_sources.index)}
    removed = run_cli("remove", PUBMED_GRAPH, "--base-uri", BASE, env=env)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    try:
        assert _record_graphs(catalogue_reference) != _record_graphs(both_reference)
        _assert_the_description_is(two_sources, catalogue_reference)
        _assert_the_sources_are(two_sources, catalogue_reference)
        gone = f"ASK {{ GRAPH <{PUBMED_GRAPH}> {{ ?s ?p ?o }} }}"
        response = httpx.post(two_sources.server.url + "/sparql", data={"query": gone},
                              headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        assert response.json()["boolean"] is False
    finally:
        again = run_cli("ingest", "--base-uri", BASE, str(two_source_files()[1]), env=env)
        assert again.returncode == 0, again.stdout + again.stderr
    _assert_the_description_is(two_sources, both_reference)
    _assert_the_sources_are(two_sources, both_reference)
