"""What keeps /sparql dependable: the hard query timeout, the row cap, request size limits,
the SERVICE allow-list, CORS and the service description, over real HTTP.

`limited` is a server on the example records with small limits (2 s per query, 5 rows,
4 KiB queries) and an allow-list naming `remote`, a second server with one triple of its
own; `live_server` (conftest) has the default configuration.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import BASE, SEED_IRI, LiveServer, free_port, run_cli, start_server, stop_server
from rdflib import RDF, Graph, Namespace, URIRef

from publisher.store.oxigraph import OxigraphStore

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = "http://www.w3.org/ns/formats/"
JSON_RESULTS = "application/sparql-results+json"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
REMOTE_TRIPLE = "<urn:x:remote> <urn:x:says> 'hello from the remote endpoint'"
DEAD_PORT = free_port()  # nothing listens there


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("remote") / "store"
    store = OxigraphStore(path)
    store.update(f"INSERT DATA {{ {REMOTE_TRIPLE} }}")  # its default graph: what queries see
    store.flush()
    store.close()
    process, server = start_server(path, extra_args=["--query-workers", "1"])
    yield server
    stop_server(process)


@pytest.fixture(scope="module")
def limited(example_store: Path, remote: LiveServer) -> Iterator[LiveServer]:
    process, server = start_server(
        example_store,
        extra_args=[
            "--query-timeout",
            "2",
            "--max-rows",
            "5",
            "--max-query-bytes",
            "4096",
            "--service-allow",
            remote.url + "/sparql",
            "--service-allow",
            f"http://127.0.0.1:{DEAD_PORT}/sparql",
        ],
    )
    yield server
    stop_server(process)


def query(
    server: LiveServer, text: str, accept: str = JSON_RESULTS, **params: str
) -> httpx.Response:
    return httpx.post(
        server.url + "/sparql",
        data={"query": text, **params},
        headers={"Accept": accept},
        timeout=30,
    )


def worker_pids(server: LiveServer) -> set[int]:
    """The server's child processes: its query workers."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return {int(pid) for pid in children if running(int(pid))}


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.split(") ")[1][0] != "Z"


def cpu_ticks(pid: int) -> int:
    """User and system CPU time a process has used, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


# --- The hard timeout ----------------------------------------------------------------------


def test_a_runaway_query_is_stopped_while_others_are_answered(limited: LiveServer) -> None:
    """RUNAWAY counts every 4-tuple of the store's triples: hours of work. It is answered
    503 at the 2 s limit, its worker killed and replaced; meanwhile the other worker and
    the server go on answering queries and pages."""
    workers = worker_pids(limited)
    assert len(workers) == 2
    idle = {pid: cpu_ticks(pid) for pid in workers}
    outcome: dict[str, object] = {}

    def run_away() -> None:
        started = time.monotonic()
        outcome["response"] = query(limited, RUNAWAY)
        outcome["seconds"] = time.monotonic() - started

    runaway = threading.Thread(target=run_away)
    runaway.start()
    # It is running once a worker computes (idle workers use no CPU).
    deadline = time.monotonic() + 30
    while runaway.is_alive() and time.monotonic() < deadline:
        if any(cpu_ticks(pid) > ticks + 1 for pid, ticks in idle.items()):
            break
        time.sleep(0.01)
    rounds = 0  # every request of a round answered while the runaway was still running
    with httpx.Client(timeout=30) as client:
        while runaway.is_alive():
            for method, url, params, accept in (
                ("GET", limited.url + "/sparql", {"query": "ASK { ?s ?p ?o }"}, JSON_RESULTS),
                ("GET", limited.url + SEED_IRI.removeprefix(BASE.rstrip("/")), {}, "text/turtle"),
                ("GET", limited.url + "/", {}, "text/html"),
            ):
                response = client.request(method, url, params=params, headers={"Accept": accept})
                assert response.status_code == 200, response.text
            rounds += runaway.is_alive()
            time.sleep(0.05)
    runaway.join()
    assert rounds >= 1  # the others were answered during the runaway, not after it
    response = outcome["response"]
    assert isinstance(response, httpx.Response)
    assert response.status_code == 503
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("the query ran longer than 2 s, the limit for one query,")
    assert "PUBLISHER_QUERY_TIMEOUT" in response.text and "--query-timeout" in response.text
    # Stopped at the limit, not before; and long before it would have finished.
    assert 2 <= float(str(outcome["seconds"])) < 20
    # The worker that ran it was killed (the work really stopped) and replaced.
    deadline = time.monotonic() + 30
    after = worker_pids(limited)
    while (len(workers - after), len(after)) != (1, 2) and time.monotonic() < deadline:
        time.sleep(0.05)
        after = worker_pids(limited)
    (killed,) = workers - after
    assert not running(killed)  # gone, or a zombie until reaped: it computes nothing
    assert len(after) == 2
    assert query(limited, "ASK { ?s ?p ?o }").json()["boolean"] is True


# --- The row cap ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [JSON_RESULTS, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
)
def test_select_answers_are_cut_at_max_rows(limited: LiveServer, accept: str) -> None:
    response = query(limited, "SELECT * WHERE { ?s ?p ?o }", accept)
    assert response.status_code == 200
    assert response.headers["x-sparql-truncated"] == "true"
    assert response.headers["x-sparql-max-rows"] == "5"
    if accept == JSON_RESULTS:
        assert len(response.json()["results"]["bindings"]) == 5
    elif accept == "text/csv":
        assert len(list(csv.reader(io.StringIO(response.text)))) == 1 + 5
    elif accept == "text/tab-separated-values":
        assert len(response.text.splitlines()) == 1 + 5
    else:
        assert response.text.count("<result>") == 5


def test_answers_within_the_cap_say_nothing(limited: LiveServer) -> None:
    for text in ("SELECT * WHERE { ?s ?p ?o } LIMIT 5", "ASK { ?s ?p ?o }"):
        response = query(limited, text)
        assert response.status_code == 200
        assert "x-sparql-truncated" not in response.headers
        assert "x-sparql-max-rows" not in response.headers


def test_graph_answers_are_cut_at_max_rows(limited: LiveServer) -> None:
    for text in ("CONSTRUCT WHERE { ?s ?p ?o }", f"DESCRIBE <{SEED_IRI}>"):
        response = query(limited, text, "application/n-triples")
        assert response.status_code == 200, response.text
        assert response.headers["x-sparql-truncated"] == "true"
        assert response.headers["x-sparql-max-rows"] == "5"
        assert len(Graph().parse(data=response.text, format="nt")) == 5
    response = query(limited, "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 4", "text/turtle")
    assert "x-sparql-truncated" not in response.headers
    assert len(Graph().parse(data=response.text, format="turtle")) == 4


def test_the_truncation_headers_are_readable_by_web_pages(limited: LiveServer) -> None:
    response = query(limited, "SELECT * WHERE { ?s ?p ?o }")
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"x-sparql-truncated", "x-sparql-max-rows"} <= exposed


# --- Request sizes ---------------------------------------------------------------------------


def test_queries_over_the_size_limit_are_413(limited: LiveServer) -> None:
    big = "ASK {} #" + "x" * 5000
    response = httpx.get(limited.url + "/sparql", params={"query": big}, timeout=30)
    assert response.status_code == 413
    assert response.text.startswith("the query is over 4096 bytes (PUBLISHER_MAX_QUERY_BYTES)")
    for content_type, body in (
        ("application/sparql-query", big.encode()),
        ("application/x-www-form-urlencoded", httpx.QueryParams({"query": big}).__str__().encode()),
    ):
        response = httpx.post(
            limited.url + "/sparql", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 413, response.text
        assert response.text.startswith("the request body is over 4096 bytes")
    # Just under the limit is fine.
    response = httpx.get(limited.url + "/sparql", params={"query": "ASK {} #" + "x" * 3000})
    assert response.status_code == 200


# --- SERVICE --------------------------------------------------------------------------------


def test_service_to_an_allowed_endpoint_is_called(limited: LiveServer, remote: LiveServer) -> None:
    text = f"SELECT ?said WHERE {{ SERVICE <{remote.url}/sparql> {{ ?x <urn:x:says> ?said }} }}"
    response = query(limited, text)
    assert response.status_code == 200, response.text
    (row,) = response.json()["results"]["bindings"]
    assert row["said"]["value"] == "hello from the remote endpoint"
    # The same through a prefixed name, and SILENT.
    text = (
        f"PREFIX r: <{remote.url}/> SELECT ?said WHERE {{ SERVICE SILENT r:sparql"
        " { ?x <urn:x:says> ?said } }"
    )
    assert len(query(limited, text).json()["results"]["bindings"]) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            "SERVICE <http://127.0.0.1:9/sparql> is not allowed",
        ),
        (
            "SELECT * WHERE { BIND(<{remote}/sparql> AS ?e) SERVICE ?e { ?s ?p ?o } }",
            "SERVICE needs an absolute IRI from this endpoint's allow-list",
        ),
        (
            "SELECT * WHERE { SERVICE <{remote}/sparql> { ?s ?p ?o }"
            " SERVICE <{remote}/other> { ?s ?p ?o } }",
            "SERVICE <{remote}/other> is not allowed",
        ),
        (
            "SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
            "SERVICE needs an absolute IRI from this endpoint's allow-list",
        ),
        (
            "SELECT * WHERE { SERVICE undeclared:sparql { ?s ?p ?o } }",
            "SERVICE needs an absolute IRI from this endpoint's allow-list",
        ),
    ],
)
def test_service_elsewhere_is_refused(
    limited: LiveServer, remote: LiveServer, text: str, message: str
) -> None:
    response = query(limited, text.replace("{remote}", remote.url))
    assert response.status_code == 400
    assert response.text.startswith(message.replace("{remote}", remote.url)), response.text


def test_a_failing_allowed_service_is_502(limited: LiveServer) -> None:
    text = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{DEAD_PORT}/sparql> {{ ?s ?p ?o }} }}"
    response = query(limited, text)
    assert response.status_code == 502
    assert response.text.startswith("a SERVICE call failed")


def test_service_is_refused_by_default(live_server: LiveServer, remote: LiveServer) -> None:
    text = f"SELECT * WHERE {{ SERVICE <{remote.url}/sparql> {{ ?s ?p ?o }} }}"
    response = query(live_server, text)
    assert response.status_code == 400
    assert response.text.startswith("SERVICE (federated query) is not supported")


# --- CORS -------------------------------------------------------------------------------------


def test_any_origin_may_query(live_server: LiveServer) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    preflight = httpx.options(
        live_server.url + "/sparql",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "content-type, accept"
    for response in (
        httpx.get(live_server.url + "/sparql", params={"query": "ASK {}"}, headers=origin),
        httpx.post(live_server.url + "/sparql", data={"query": "ASK {}"}, headers=origin),
        httpx.get(live_server.url + SEED_IRI.removeprefix(BASE.rstrip("/")), headers=origin),
        httpx.get(live_server.url + "/sparql", params={"query": "ASK {"}, headers=origin),
    ):
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers.get("vary", "Accept") == "Accept"  # not by origin
    # Without an Origin the answer is the same (caches may share it).
    plain = httpx.get(live_server.url + "/sparql", params={"query": "ASK {}"})
    assert plain.headers["access-control-allow-origin"] == "*"


# --- The service description -------------------------------------------------------------------


def service_description(server: LiveServer, accept: str, **params: str) -> Graph:
    response = httpx.get(server.url + "/sparql", headers={"Accept": accept}, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["vary"] == "Accept"
    kind = response.headers["content-type"].split(";")[0]
    formats = {"text/turtle": "turtle", "application/ld+json": "json-ld"}
    return Graph().parse(data=response.text, format=formats.get(kind, "xml"))


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("accept", "params"),
    [
        ("text/turtle", {}),
        ("application/ld+json", {}),
        ("application/rdf+xml", {}),
        ("text/html", {"format": "turtle"}),
    ],
)
def test_get_without_a_query_describes_the_service(
    live_server: LiveServer, accept: str, params: dict[str, str]
) -> None:
    graph = service_description(live_server, accept, **params)
    (service,) = graph.subjects(RDF.type, SD.Service)
    assert set(graph.objects(service, SD.endpoint)) == {URIRef(BASE + "sparql")}
    assert set(graph.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query}
    # The default graph is the published view, not the union of the named graphs.
    assert SD.UnionDefaultGraph not in set(graph.objects(service, SD.feature))
    assert {str(f).removeprefix(FORMATS) for f in graph.objects(service, SD.resultFormat)} == {
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "JSON-LD",
        "N-Triples",
        "RDF_XML",
    }
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    assert (graph.value(dataset, SD.defaultGraph), RDF.type, SD.Graph) in graph


def test_the_description_names_federation_when_allowed(limited: LiveServer) -> None:
    graph = service_description(limited, "text/turtle")
    (service,) = graph.subjects(RDF.type, SD.Service)
    assert SD.BasicFederatedQuery in set(graph.objects(service, SD.feature))


def test_browsers_still_get_the_page_and_others_the_400(live_server: LiveServer) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = httpx.get(live_server.url + "/sparql", headers={"Accept": browser})
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    for accept in ("*/*", JSON_RESULTS):
        response = httpx.get(live_server.url + "/sparql", headers={"Accept": accept})
        assert response.status_code == 400


# --- Configuration ------------------------------------------------------------------------------


def test_updates_without_a_token_are_a_configuration_error(example_store: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "PUBLISHER_WRITE_TOKEN"}
    for args, env in (
        (["--enable-updates"], {}),
        ([], {"PUBLISHER_ENABLE_UPDATES": "true", "PUBLISHER_WRITE_TOKEN": "   "}),
    ):
        result = run_cli_env(
            "serve", "--store", str(example_store), *args, env={**environment, **env}
        )
        assert result.returncode == 2
        assert "no write token is set: set PUBLISHER_WRITE_TOKEN" in result.stderr


def test_configuration_errors_never_show_the_token(example_store: Path) -> None:
    secret = "do-not-print-" + os.urandom(8).hex()
    result = run_cli(
        "serve",
        "--store",
        str(example_store),
        "--enable-updates",
        "--query-timeout",
        "0",
        "--service-allow",
        "ftp://example.org/",
        env={"PUBLISHER_WRITE_TOKEN": secret},
    )
    assert result.returncode == 2
    assert "query_timeout: Input should be greater than 0" in result.stderr
    assert "service_allowlist" in result.stderr
    assert secret not in result.stdout + result.stderr


def run_cli_env(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command line with exactly this environment (run_cli adds to ours)."""
    return subprocess.run(
        [sys.executable, "-m", "publisher.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.config import Settings

    monkeypatch.setenv(
        "PUBLISHER_SERVICE_ALLOWLIST", "https://a.example/sparql, https://b.example/q"
    )
    monkeypatch.setenv("PUBLISHER_QUERY_TIMEOUT", "2.5")
    monkeypatch.setenv("PUBLISHER_MAX_ROWS", "7")
    monkeypatch.setenv("PUBLISHER_ENABLE_UPDATES", "true")
    monkeypatch.setenv("PUBLISHER_WRITE_TOKEN", " s3cret ")
    settings = Settings()
    assert settings.service_allowlist == ["https://a.example/sparql", "https://b.example/q"]
    assert (settings.query_timeout, settings.max_rows, settings.query_workers) == (2.5, 7, 2)
    assert settings.token() == "s3cret"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    monkeypatch.setenv("PUBLISHER_ENABLE_UPDATES", "false")
    assert Settings().token() is None  # a token alone enables nothing
