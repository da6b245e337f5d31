"""The remote store's own behaviour, against a real Oxigraph server: batched whole-record
writes, retries with backoff, a store that stays down, credentials, the default-graph
check, `publisher migrate`, the proxied answer's size limit.

A small forwarding proxy (a real HTTP server on loopback, in a thread) stands between
the store and the server where a test needs to see the requests or to break them.
"""

from __future__ import annotations

import base64
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import BASE, EXAMPLES, run_cli, start_server, stop_server
from pyoxigraph import BlankNode, Literal, NamedNode, Triple
from remote_stores import Endpoints, oxigraph_server

from publisher.store.base import StoreUnavailable
from publisher.store.migrate import VIEW, graph_sizes
from publisher.store.oxigraph import OxigraphStore
from publisher.store.remote import RemoteConfig, RemoteStore, RemoteStoreError

EX = "http://example.org/"


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as endpoints:
        yield endpoints


# --- A forwarding proxy that can fail on purpose and demand credentials -------------------


@dataclass
class Proxy:
    target: str  # http://127.0.0.1:PORT of the real server
    fail_before: int = 0  # answer this many requests 503 without forwarding them
    lose_after: int = 0  # forward this many, then answer 502 (the store did the work)
    require: str | None = None  # "basic" or "bearer": 401 without the right credentials
    seen: list[tuple[str, str, bytes, str]] = field(default_factory=list)
    url: str = ""

    def handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        auth = handler.headers.get("Authorization", "")
        self.seen.append((handler.command, handler.path, body, auth))
        if self.require and not self._authorised(auth):
            challenge = 'Basic realm="test"' if self.require == "basic" else "Bearer"
            self._answer(handler, 401, b"who are you?", {"WWW-Authenticate": challenge})
            return
        if self.fail_before > 0:
            self.fail_before -= 1
            self._answer(handler, 503, b"busy, try later")
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() in
                   ("content-type", "accept")}  # fmt: skip
        response = httpx.request(
            handler.command, self.target + handler.path, content=body, headers=headers
        )
        if self.lose_after > 0:
            self.lose_after -= 1
            self._answer(handler, 502, b"the answer was lost on the way")
            return
        extra = {"Content-Type": response.headers.get("content-type", "text/plain")}
        self._answer(handler, response.status_code, response.content, extra)

    def _authorised(self, auth: str) -> bool:
        if self.require == "basic":
            return auth == "Basic " + base64.b64encode(b"reader:s3cret").decode()
        return auth == "Bearer t0ken"

    @staticmethod
    def _answer(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes,
                headers: dict[str, str] | None = None) -> None:  # fmt: skip
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def updates(self) -> list[bytes]:
        return [body for method, path, body, _ in self.seen if path.startswith("/update")]


@pytest.fixture
def proxy(oxigraph: Endpoints) -> Iterator[Proxy]:
    state = Proxy(oxigraph.query.removesuffix("/query"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.handle(self)

        def do_POST(self) -> None:
            state.handle(self)

        def do_PUT(self) -> None:
            state.handle(self)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def store_via(proxy: Proxy, **options: object) -> RemoteStore:
    config = RemoteConfig(
        proxy.url + "/query", proxy.url + "/update", proxy.url + "/store",
        backoff=0.01, graph_prefix=EX, **options,  # type: ignore[arg-type]
    )  # fmt: skip
    return RemoteStore(config)


def record(number: int) -> tuple[NamedNode, list[Triple]]:
    """A record's graph: a title and an identifier blank node."""
    thing, identifier = NamedNode(f"{EX}thing/{number}"), BlankNode()
    return NamedNode(f"{EX}graph/{number}"), [
        Triple(thing, NamedNode("https://schema.org/name"), Literal(f"Thing {number}")),
        Triple(thing, NamedNode("https://schema.org/identifier"), identifier),
        Triple(identifier, NamedNode("https://schema.org/value"), Literal(str(number))),
    ]


def stored(store: RemoteStore, number: int) -> set[str]:
    """The record's graph as read back, blank nodes written as _:b."""
    graph = NamedNode(f"{EX}graph/{number}")

    def term(node: object) -> str:
        return "_:b" if isinstance(node, BlankNode) else str(node)

    return {f"{term(t.subject)} {t.predicate} {term(t.object)}" for t in store.graph_triples(graph)}


EXPECTED = {
    f'<{EX}thing/7> <https://schema.org/name> "Thing 7"',
    f"<{EX}thing/7> <https://schema.org/identifier> _:b",
    '_:b <https://schema.org/value> "7"',
}


# --- Writes ---------------------------------------------------------------------------------


def test_a_batch_of_records_is_one_update_request(proxy: Proxy) -> None:
    store = store_via(proxy)
    store.replace_graphs([record(5), record(6), record(7)])
    assert len(proxy.updates()) == 1
    assert stored(store, 7) == EXPECTED
    assert {f"{EX}graph/{n}" for n in (5, 6, 7)} <= {g.value for g in store.graph_names()}


def test_replacing_a_record_leaves_only_the_new_one(proxy: Proxy) -> None:
    store = store_via(proxy)
    graph, triples = record(7)
    store.replace_graphs([(graph, [*triples, Triple(triples[0].subject, NamedNode(
        "https://schema.org/alternateName"), Literal("old"))])])  # fmt: skip
    store.replace_graphs([record(7)])
    assert stored(store, 7) == EXPECTED


def test_5xx_is_retried_with_backoff(proxy: Proxy) -> None:
    proxy.fail_before = 2
    store = store_via(proxy, retries=3)
    started = time.monotonic()
    store.replace_graphs([record(8)])
    assert len(proxy.updates()) == 3  # two refused, the third written
    assert time.monotonic() - started >= 0.01 + 0.02  # waited between tries
    assert stored(store, 8) == {line.replace("7", "8") for line in EXPECTED}


def test_an_answer_lost_after_the_write_is_sent_again_and_the_record_stays_whole(
    proxy: Proxy,
) -> None:
    """The store wrote the record, the answer was lost, the retry wrote it again: the
    record is there once (DROP + INSERT in one request), its blank node not doubled."""
    proxy.lose_after = 1
    store = store_via(proxy, retries=2)
    store.replace_graphs([record(7)])
    assert len(proxy.updates()) == 2
    assert stored(store, 7) == EXPECTED
    assert len(store.graph_triples(NamedNode(f"{EX}graph/7"))) == 3


def test_a_store_that_stays_down_raises_and_then_fails_fast(proxy: Proxy) -> None:
    proxy.fail_before = 100
    store = store_via(proxy, retries=2)
    with pytest.raises(StoreUnavailable, match=r"HTTP 503.*after 3 tries"):
        store.replace_graphs([record(9)])
    assert len(proxy.updates()) == 3
    with pytest.raises(StoreUnavailable):  # no new tries for a while: fails at once
        store.replace_graphs([record(9)])
    assert len(proxy.updates()) == 3


def test_ingest_into_a_store_that_is_down_exits_3(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    result = run_cli(
        "ingest", str(EXAMPLES / "minimal_en.txt"), "--sparql-query", url + "/query",
        "--sparql-update", url + "/update", "--index", str(tmp_path / "index.sqlite"),
        env={"PUBLISHER_SPARQL_RETRIES": "2"},
    )  # fmt: skip
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the store is unavailable" in result.stderr
    assert "ConnectError" in result.stderr and "after 3 tries" in result.stderr
    assert time.monotonic() - started < 60


# --- Credentials ----------------------------------------------------------------------------


def test_basic_credentials_are_sent_when_the_store_asks(proxy: Proxy) -> None:
    proxy.require = "basic"
    store = store_via(proxy, user="reader", password="s3cret")
    assert bool(store.query("ASK {}"))
    # The first request goes without them; the challenge says Basic; later ones carry it.
    assert proxy.seen[0][3] == ""
    assert all(auth.startswith("Basic ") for _, _, _, auth in proxy.seen[1:])


def test_bearer_token(proxy: Proxy) -> None:
    proxy.require = "bearer"
    store = store_via(proxy, token="t0ken")
    assert bool(store.query("ASK {}"))
    assert {auth for _, _, _, auth in proxy.seen} == {"Bearer t0ken"}


def test_wrong_credentials_are_a_clear_refusal_not_retried(proxy: Proxy) -> None:
    proxy.require = "bearer"
    store = store_via(proxy, token="wrong", retries=3)
    with pytest.raises(RemoteStoreError, match=r"refused access \(HTTP 401\).*--sparql-token"):
        store.query("ASK {}")
    assert len(proxy.seen) == 1


# --- Configuration, default-graph check, migrate, proxied answer size ----------------------


def test_query_url_without_update_url_is_a_usage_error() -> None:
    result = run_cli("export", "/tmp/nowhere", "--sparql-query", "http://127.0.0.1:9/query")
    assert result.returncode == 2
    assert "needs both a query URL and an update URL" in result.stderr


def test_embedded_store_with_updates_cannot_have_two_workers(example_store: Path) -> None:
    result = run_cli(
        "serve", "--store", str(example_store), "--workers", "2", "--enable-updates",
        env={"PUBLISHER_WRITE_TOKEN": "x" * 20},
    )  # fmt: skip
    assert result.returncode == 2
    assert "needs a remote store" in result.stderr


def test_a_store_whose_default_graph_is_the_union_is_refused(tmp_path: Path) -> None:
    """The default graph must be the published view. An Oxigraph server started with
    `--union-default-graph` says so in its service description: refused before anything
    is written, empty too (it used to take the records, then fail on the view's first
    write with a traceback). And the same database served again that way shows every
    record's statements in its default graph: refused by that sign too."""
    index = str(tmp_path / "index.sqlite")
    (tmp_path / "empty").mkdir()
    with oxigraph_server(tmp_path / "empty", union=True) as empty:
        ingest = run_cli("ingest", str(EXAMPLES / "minimal_en.txt"), *empty.cli_args(),
                         "--index", index, "--base-uri", BASE)  # fmt: skip
        assert ingest.returncode == 2, ingest.stdout + ingest.stderr
        assert "without `--union-default-graph`" in ingest.stderr
        assert "Traceback" not in ingest.stderr
        nothing = httpx.post(empty.query, data={"query": "ASK { GRAPH ?g { ?s ?p ?o } }"},
                             headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        assert nothing.json()["boolean"] is False
    with oxigraph_server(tmp_path) as plain:
        ingest = run_cli("ingest", str(EXAMPLES / "minimal_en.txt"), *plain.cli_args(),
                         "--index", index, "--base-uri", BASE)  # fmt: skip
        assert ingest.returncode == 0, ingest.stderr
    with oxigraph_server(tmp_path, union=True) as union:
        served = run_cli("serve", *union.cli_args(), "--index", index, "--port", "9",
                         "--base-uri", BASE)  # fmt: skip
        assert served.returncode == 2
        assert "without `--union-default-graph`" in served.stderr
        store = RemoteStore(RemoteConfig(union.query, union.update, graph_prefix=BASE))
        try:
            assert store._describes_union_default_graph()
            store._describes_union_default_graph = lambda: False  # type: ignore[method-assign]
            with pytest.raises(RemoteStoreError, match="union-default-graph"):
                store.check_default_graph()  # the record graphs show through
        finally:
            store.close()


def test_migrate_embedded_to_oxigraph_and_back(example_store: Path, tmp_path: Path) -> None:
    with oxigraph_server(tmp_path) as target:
        result = run_cli(
            "migrate", "--from", f"embedded:{example_store}", "--to", f"sparql:{target.query}",
            "--sparql-update", target.update, "--base-uri", BASE,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert "verified: every graph holds as many triples as in the source" in result.stdout
        source = OxigraphStore(example_store, read_only=True)
        expected = graph_sizes(source)
        view = {str(t) for t in source.graph_triples(None)}
        source.close()
        assert expected[VIEW] == len(view) > 0  # the published view is copied too
        remote = RemoteStore(RemoteConfig(target.query, target.update))
        assert graph_sizes(remote) == expected
        back = tmp_path / "back"
        result = run_cli(
            "migrate", "--from", f"sparql:{target.query}", "--to", f"embedded:{back}",
            "--sparql-update", target.update, "--base-uri", BASE,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        copied = OxigraphStore(back, read_only=True)
        assert graph_sizes(copied) == expected
        assert {str(t) for t in copied.graph_triples(None)} == view
        copied.close()


def test_migrate_refuses_a_location_it_cannot_read() -> None:
    result = run_cli("migrate", "--from", "ftp://x", "--to", "sparql:http://127.0.0.1:9/q")
    assert result.returncode == 2
    assert "neither embedded:DIR nor sparql:" in result.stderr


def test_proxied_answer_over_the_byte_limit_is_a_400(oxigraph: Endpoints, tmp_path: Path
                                                     ) -> None:  # fmt: skip
    index = str(tmp_path / "index.sqlite")
    ingest = run_cli("ingest", str(EXAMPLES / "several_records_en.txt"), *oxigraph.cli_args(),
                     "--index", index, "--base-uri", BASE)  # fmt: skip
    assert ingest.returncode == 0, ingest.stderr
    process, server = start_server(
        tmp_path / "unused", extra_args=[*oxigraph.cli_args(), "--index", index],
        env={"PUBLISHER_MAX_ANSWER_BYTES": "2048"},
    )  # fmt: skip
    try:
        big = httpx.post(
            server.url + "/sparql",
            data={"query": "SELECT * { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert big.status_code == 400
        assert "PUBLISHER_MAX_ANSWER_BYTES" in big.text
        small = httpx.post(
            server.url + "/sparql",
            data={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert small.status_code == 200 and small.json()["boolean"] is True
    finally:
        stop_server(process)


def test_settings_travel_to_web_workers_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`serve --workers N` hands the command line's settings over as PUBLISHER_*: every
    setting must come back the same from them."""
    from publisher.config import Settings

    given = Settings(
        sparql_query="http://127.0.0.1:9/query", sparql_update="http://127.0.0.1:9/update",
        sparql_user="reader", sparql_password="s3cret", index=Path("/srv/index.sqlite"),
        service_allowlist=["http://127.0.0.1:9/sparql", "https://query.wikidata.org/sparql"],
        enable_updates=True, write_token="t" * 20, max_rows=7, workers=3,
    )  # type: ignore[call-arg]  # fmt: skip
    for name in list(os.environ):
        if name.startswith("PUBLISHER_"):
            monkeypatch.delenv(name)
    for name, value in given.environment().items():
        monkeypatch.setenv(name, value)
    assert Settings() == given


def test_virtuoso_results_are_mended() -> None:
    """What Virtuoso 7.2 answered here (captured by hand), read as standard results:
    `typed-literal`, `nodeID://` blank nodes, an empty xml:lang, ASK as a one-row SELECT,
    booleans as 1 and 0."""
    from publisher.store.remote import _results

    select = (
        b'{ "head": { "link": [], "vars": ["s", "o", "n"] }, "results": { "distinct": false,'
        b' "ordered": true, "bindings": [ { "s": { "type": "bnode", "value": "nodeID://b10000" },'
        b' "o": { "type": "literal", "xml:lang": "", "value": "plain" },'
        b' "n": { "type": "typed-literal", "datatype":'
        b' "http://www.w3.org/2001/XMLSchema#integer", "value": "1" }} ] } }'
    )
    (row,) = list(_results(select))  # type: ignore[arg-type]
    assert isinstance(row["s"], BlankNode) and row["s"].value == "b10000"
    assert row["o"] == Literal("plain")
    assert row["n"] == Literal("1", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    ask = (
        b'{ "head": { "link": [], "vars": ["__ASK_RETVAL"] }, "results": { "distinct": false,'
        b' "ordered": true, "bindings": [ { "__ASK_RETVAL": { "type": "typed-literal",'
        b' "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "1" }} ] } }'
    )
    assert bool(_results(ask)) is True
    assert bool(_results(ask.replace(b'"value": "1"', b'"value": "0"'))) is False
    flags = select.replace(b"XMLSchema#integer", b"XMLSchema#boolean")
    (row,) = list(_results(flags))  # type: ignore[arg-type]
    assert row["n"] == Literal(True)  # Virtuoso's 1: "true", as in its N-Triples
    (row,) = list(_results(flags.replace(b'"1" }', b'"0" }')))  # type: ignore[arg-type]
    assert row["n"] == Literal(False)


def test_a_query_with_both_kinds_of_graph_is_rewritten_for_virtuoso() -> None:
    """On Virtuoso a `named-graph-uri` limits `GRAPH ?g` to the graphs given, and without
    one `GRAPH <iri>` finds nothing: a query with both is sent with each GRAPH <iri>
    as a variable bound to the IRI inside its group, and that variable left out."""
    from publisher.store.remote import _graph_iris_as_variables, _graph_names, _results

    query = (
        "PREFIX g: <http://x/graph/> BASE <http://x/>\n"
        "SELECT * WHERE { ?s ?p ?o GRAPH g:provenance { ?s <p> ?g } GRAPH ?g { ?s ?p ?o }\n"
        ' GRAPH <graph/other> { SELECT ?s WHERE { ?s ?q "GRAPH <http://not/this> {" } } }'
    )
    found = _graph_names(query)
    assert found is not None and found.variables
    assert [iri for _, _, iri in found.named] == [
        "http://x/graph/provenance",
        "http://x/graph/other",
    ]
    rewritten = _graph_iris_as_variables(found)
    assert rewritten is not None
    text, hidden = rewritten
    assert hidden == {"publisher_graph0", "publisher_graph1"}
    assert (
        "GRAPH ?publisher_graph0 { VALUES ?publisher_graph0 { <http://x/graph/provenance> }"
        "  ?s <p> ?g }" in text
    )
    # A subquery is a group of its own: VALUES cannot come before its SELECT.
    assert (
        "GRAPH ?publisher_graph1 { VALUES ?publisher_graph1 { <http://x/graph/other> } {"
        '  SELECT ?s WHERE { ?s ?q "GRAPH <http://not/this> {" }  } }' in text
    )
    # The query's own variables are never taken.
    mine = _graph_names("SELECT ?publisher_graph0 WHERE { GRAPH <http://a> { } GRAPH ?g { } }")
    assert mine is not None
    assert _graph_iris_as_variables(mine)[1] == {"_publisher_graph0"}  # type: ignore[index]
    answer = (
        b'{ "head": { "vars": ["s", "publisher_graph0"] }, "results": { "bindings": [ {'
        b' "s": { "type": "uri", "value": "http://x/s" },'
        b' "publisher_graph0": { "type": "uri", "value": "http://x/graph/provenance" } } ] } }'
    )
    solutions = _results(answer, hidden)
    assert [str(v) for v in solutions.variables] == ["?s"]  # type: ignore[union-attr]
    assert [row["s"] for row in solutions] == [NamedNode("http://x/s")]  # type: ignore[union-attr]
