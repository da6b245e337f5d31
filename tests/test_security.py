"""What no one may do to a publisher on the open internet, over real HTTP on loopback.

- Security headers: a Content-Security-Policy on every page that lets only our own
  scripts run, `nosniff` and a Referrer-Policy on every answer.
- No stack trace in any answer, even when the server really fails (a side database
  broken under a running server): the trace goes to the log only.
- No path traversal through static files, dump names or identifier routes (raw request
  lines, so no client tidies the `..` away first).
- The write token: compared in constant time, and never written to the server's log.
- SERVICE: a listed endpoint whose name resolves to loopback (or a private range) is
  refused unless the address is listed too; a listed endpoint's redirect is not followed.

The hostile-markup pages in Chromium are in test_hostile_pages.py; the basic token and
allow-list behaviour in test_sparql_update.py and test_sparql_limits.py.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from conftest import (
    BASE,
    SEED_DOI,
    SEED_IRI,
    LiveServer,
    run_cli,
    start_server,
    stop_server,
)

from publisher.store.oxigraph import OxigraphStore
from publisher.web.federation import is_internal, listed_networks

TOKEN = "security-token-7d1e0c94b2a84f61"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON_RESULTS = "application/sparql-results+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SECRET_TEXT = "this file is outside every served folder"


@dataclass(frozen=True)
class Served:
    server: LiveServer
    folder: Path  # holds the store, the dumps and a secret file beside them


@pytest.fixture(scope="module")
def served(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The example records with dumps exported, updates enabled with the token; a secret
    file beside the dumps folder that no route may reach."""
    folder = tmp_path_factory.mktemp("security")
    store = folder / "store"
    shutil.copytree(example_store, store)
    shutil.copy(Path(f"{example_store}.index.sqlite"), Path(f"{store}.index.sqlite"))
    dumps = folder / "dumps"
    result = run_cli("export", "--store", str(store), "--base-uri", BASE, str(dumps))
    assert result.returncode == 0, result.stderr
    (folder / "secret.txt").write_text(SECRET_TEXT, encoding="utf-8")
    process, server = start_server(
        store,
        extra_args=["--enable-updates"],
        env={"PUBLISHER_WRITE_TOKEN": TOKEN, "PUBLISHER_DUMPS": str(dumps)},
    )
    yield Served(server, folder)
    stop_server(process)


# --- Security headers --------------------------------------------------------------------------

PAGES = [
    "/",
    "/sparql",
    "/search?q=leukemia",
    "/articles",
    "/people",
    "/dumps/",
    SEED_IRI.removeprefix(BASE.rstrip("/")),
    f"/person/doi/{SEED_DOI}/1",
    "/no/such/thing",  # a 404 in plain text: no policy needed, nosniff still
]


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_the_security_headers(served: Served, path: str) -> None:
    response = httpx.get(served.server.url + path, headers={"Accept": BROWSER}, timeout=30)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    if path == "/no/such/thing":
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/plain")
        return
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert response.headers["x-frame-options"] == "DENY"


def test_the_api_documentation_page_has_the_same_policy(served: Served) -> None:
    """/api is Swagger UI from our own files, started by a script file: the same policy
    as every other page (no inline script, nothing from another origin)."""
    response = httpx.get(served.server.url + "/api", headers={"Accept": BROWSER})
    assert response.status_code == 200
    policy = directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        (SEED_IRI.removeprefix(BASE.rstrip("/")), "text/turtle"),
        (SEED_IRI.removeprefix(BASE.rstrip("/")), "application/ld+json"),
        ("/sparql?query=ASK%7B%7D", JSON_RESULTS),
        ("/static/queryui.js", "*/*"),
        ("/changes", "*/*"),
    ],
)
def test_other_answers_are_not_sniffed(served: Served, path: str, accept: str) -> None:
    response = httpx.get(served.server.url + path, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "content-security-policy" not in response.headers
    if path.startswith("/static/"):
        assert response.headers["content-type"].startswith("text/javascript")


# --- No stack traces ---------------------------------------------------------------------------

ODD_REQUESTS = [
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B", {}),
    ("GET", "/sparql?query=%FF%FE", {}),
    ("GET", "/sparql?query=ASK%7B%7D&format=nonsense", {}),
    ("GET", "/article/doi/%00%01", {}),
    ("GET", "/article/doi/a%20b%3Cc%3E", {}),
    ("GET", "/changes/99999999999999999999", {}),
    ("GET", "/changes/-1", {}),
    ("GET", "/search?q=%22unbalanced&page=-3", {}),
    ("GET", "/search?q=a%20NEAR(b", {}),
    ("GET", "/sitemap-999999.xml", {}),
    ("GET", "/dumps/%00", {}),
    ("POST", "/sparql", {"Content-Type": "application/sparql-query; charset=latin-1"}),
    ("POST", "/sparql", {"Content-Type": "application/sparql-update", **AUTH}),
    ("PUT", "/rdf-graphs/service?graph=%3Cnot%20an%20iri", AUTH),
    ("DELETE", "/rdf-graphs/service?graph=http://example.org/none", AUTH),
    ("GET", "/" + "a" * 6000, {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), ODD_REQUESTS)
def test_odd_requests_get_a_message_not_a_trace(
    served: Served, method: str, path: str, headers: dict[str, str]
) -> None:
    response = httpx.request(
        method, served.server.url + path, headers=headers, content=b"{{{", timeout=30
    )
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.text.strip()  # a message
    for marker in ("Traceback", 'File "/'):
        assert marker not in response.text


def test_a_real_server_failure_is_a_500_without_a_trace(
    example_store: Path, tmp_path: Path
) -> None:
    """The side database is overwritten with garbage under a running server: search and
    the change feed fail for real. The answer says so in one line; the log has the trace."""
    store = tmp_path / "store"
    shutil.copytree(example_store, store)
    index = Path(f"{store}.index.sqlite")
    shutil.copy(Path(f"{example_store}.index.sqlite"), index)
    process, server = start_server(store)
    try:
        assert httpx.get(server.url + "/search", params={"q": "leukemia"}).status_code == 200
        index.write_bytes(b"not a database " * 4096)
        for path in ("/search?q=leukemia", "/changes", "/sitemap.xml"):
            response = httpx.get(server.url + path, timeout=30)
            assert response.status_code == 500, (path, response.text)
            assert response.text == "internal error; the server log has the details\n"
            assert response.headers["x-content-type-options"] == "nosniff"
        assert httpx.get(server.url + "/").status_code == 200  # the rest still serves
    finally:
        stop_server(process)
    log = process.stderr.read().decode() if process.stderr else ""
    assert "Traceback" in log and "DatabaseError" in log  # the details are in the log


# --- Path traversal ----------------------------------------------------------------------------


def raw_get(server: LiveServer, target: str) -> tuple[int, bytes]:
    """GET with the request target exactly as given (no client normalises `..`)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


TRAVERSALS = [
    "/static/../../../../../../etc/passwd",
    "/static/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/yasgui/../../../../../../../etc/passwd",
    "/static/..%5c..%5c..%5c..%5cetc%5cpasswd",
    "/static//etc/passwd",
    "/dumps/../secret.txt",
    "/dumps/..%2fsecret.txt",
    "/dumps/%2e%2e%2fsecret.txt",
    "/dumps/..%5csecret.txt",
    "/dumps/%2fetc%2fpasswd",
    "/dumps/manifest.json/../../secret.txt",
    "/article/doi/../../../../etc/passwd",
    "/article/doi/..%2f..%2f..%2fetc%2fpasswd",
    "/person/doi/%2e%2e/%2e%2e/secret.txt",
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/rdf-graphs/service?graph=file:///etc/passwd",
    "/rdf-graphs/service?graph=file:../secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_no_path_traversal(served: Served, target: str) -> None:
    status, body = raw_get(served.server, target)
    assert b"root:x:0:0" not in body
    assert SECRET_TEXT.encode() not in body
    assert status in (400, 404, 410), (status, body[:200])


def test_a_manifest_naming_a_file_outside_is_not_served(served: Served) -> None:
    """Even a tampered manifest.json cannot make /dumps/ serve a file outside its folder."""
    dumps = served.folder / "dumps"
    manifest = dumps / "manifest.json"
    original = manifest.read_text(encoding="utf-8")
    document = json.loads(original)
    entry = dict(document["files"][0])
    try:
        for name in ("../secret.txt", "/etc/passwd", "..\\secret.txt", ".hidden"):
            document["files"].append({**entry, "name": name})
        manifest.write_text(json.dumps(document), encoding="utf-8")
        listing = httpx.get(served.server.url + "/dumps/", headers={"Accept": "application/json"})
        names = {f["name"] for f in listing.json()["files"]}
        assert names == {f["name"] for f in json.loads(original)["files"]}
        for target in ("/dumps/..%2fsecret.txt", "/dumps/%2fetc%2fpasswd", "/dumps/.hidden"):
            status, body = raw_get(served.server, target)
            assert status == 404 and SECRET_TEXT.encode() not in body
    finally:
        manifest.write_text(original, encoding="utf-8")


# --- The write token ---------------------------------------------------------------------------


def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check goes through hmac.compare_digest, right token or wrong, whatever its
    length (a `==` would return sooner the earlier the first wrong character)."""
    import hmac

    from starlette.requests import Request

    from publisher.config import Settings
    from publisher.store.executor import InlineExecutor
    from publisher.web import sparql
    from publisher.web.errors import ClientError

    settings = Settings(enable_updates=True, write_token=TOKEN)  # type: ignore[arg-type]
    store = OxigraphStore()
    endpoint = sparql.Endpoint(settings, store, InlineExecutor(store, max_rows=10))
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # sparql looks it up on each call
    for given, accepted in ((TOKEN, True), ("x", False), (TOKEN[:-1] + "0", False)):
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/sparql",
            "headers": [(b"authorization", f"Bearer {given}".encode())],
            "query_string": b"",
        }
        try:
            endpoint.require_write_access(Request(scope), "off")
            outcome = True
        except ClientError as error:
            assert error.status == 401
            outcome = False
        assert outcome is accepted
        assert compared[-1] == (given.encode(), TOKEN.encode())
    assert len(compared) == 3


def test_the_token_never_reaches_the_log(example_store: Path, tmp_path: Path) -> None:
    """Writes with the right token, the wrong one, and failing writes (which are logged):
    the server's whole log (access lines and errors) never holds the token."""
    store = tmp_path / "store"
    shutil.copytree(example_store, store)
    access_log = tmp_path / "access.log"
    with access_log.open("wb") as stdout:
        process, server = start_server(
            store,
            extra_args=["--enable-updates"],
            env={"PUBLISHER_WRITE_TOKEN": TOKEN},
            stdout=stdout,
        )
    graph = "http://example.org/graphs/logged"
    try:
        for headers in (AUTH, {"Authorization": f"Bearer {TOKEN}-wrong"}, {}):
            httpx.post(
                server.url + "/sparql",
                content=f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> 1 }} }}".encode(),
                headers={"Content-Type": "application/sparql-update", **headers},
            )
            httpx.put(
                server.url + "/rdf-graphs/service",
                params={"graph": graph},
                content=b"<urn:a> <urn:b> 2 .",
                headers={"Content-Type": "application/n-triples", **headers},
            )
            httpx.post(  # fails: bad syntax, logged as a client error
                server.url + "/sparql",
                data={"update": "INSERT DATA { oops"},
                headers=headers,
            )
        count = httpx.get(
            server.url + "/sparql",
            params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
            headers={"Accept": JSON_RESULTS},
        ).json()["results"]["bindings"][0]["n"]["value"]
        assert count == "1"  # the PUT with the token replaced the inserted triple
    finally:
        stop_server(process)
    log = access_log.read_text() + (process.stderr.read().decode() if process.stderr else "")
    assert '"POST /sparql HTTP/1.1" 204' in log and '"PUT /rdf-graphs/service' in log
    assert '"POST /sparql HTTP/1.1" 401' in log and '"POST /sparql HTTP/1.1" 400' in log
    assert TOKEN not in log


# --- SERVICE: where an allowed endpoint may really go -------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "::1", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
     "224.0.0.1", "255.255.255.255"],
)  # fmt: skip
def test_internal_addresses(address: str) -> None:
    assert is_internal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "193.0.6.139", "2001:4860:4860::8888"])
def test_public_addresses(address: str) -> None:
    assert not is_internal(ipaddress.ip_address(address))


def test_listed_networks() -> None:
    networks = listed_networks(
        ["http://127.0.0.1:3030/sparql", "https://[::1]/q", "10.0.0.0/8", "https://a.example/"]
    )
    assert [str(n) for n in networks] == ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]


class _Endpoint(http.server.BaseHTTPRequestHandler):
    """A SPARQL endpoint in a thread: answers one row; `/moved` redirects to `/sparql`."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        type(self).hits.append(self.path)
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "/sparql")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps(
            {"head": {"vars": ["x"]},
             "results": {"bindings": [{"x": {"type": "literal", "value": "remote"}}]}}
        ).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", JSON_RESULTS)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def remote() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def federated(server: LiveServer, endpoint: str) -> httpx.Response:
    return httpx.post(
        server.url + "/sparql",
        data={"query": f"SELECT ?x WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?x }} }}"},
        headers={"Accept": JSON_RESULTS},
        timeout=30,
    )


@pytest.fixture(scope="module")
def by_name(example_store: Path, remote: int) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers listing `localhost` endpoints: the first lists no address, the second
    also lists the loopback networks."""
    allow = ["--service-allow", f"http://localhost:{remote}/sparql",
             "--service-allow", f"http://localhost:{remote}/moved"]  # fmt: skip
    first, plain = start_server(example_store, extra_args=allow)
    try:
        second, opened = start_server(
            example_store,
            extra_args=[*allow, "--service-allow", "127.0.0.0/8", "--service-allow", "::1"],
        )
    except BaseException:
        stop_server(first)
        raise
    yield plain, opened
    stop_server(second)
    stop_server(first)


def test_a_listed_name_resolving_to_loopback_is_refused(
    by_name: tuple[LiveServer, LiveServer], remote: int
) -> None:
    plain, _ = by_name
    _Endpoint.hits.clear()
    response = federated(plain, f"http://localhost:{remote}/sparql")
    assert response.status_code == 400
    assert response.text.startswith(
        f"SERVICE <http://localhost:{remote}/sparql>: its host localhost resolves to "
    )
    assert "a loopback or private address; list the address" in response.text
    assert _Endpoint.hits == []  # never called


def test_a_listed_name_in_a_listed_network_is_called(
    by_name: tuple[LiveServer, LiveServer], remote: int
) -> None:
    _, opened = by_name
    response = federated(opened, f"http://localhost:{remote}/sparql")
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [{"x": {"type": "literal", "value": "remote"}}]


def test_a_redirect_from_a_listed_endpoint_is_not_followed(
    by_name: tuple[LiveServer, LiveServer], remote: int
) -> None:
    _, opened = by_name
    _Endpoint.hits.clear()
    response = federated(opened, f"http://localhost:{remote}/moved")
    assert response.status_code == 502
    assert response.text.startswith("a SERVICE call failed")
    assert [hit.split("?")[0] for hit in _Endpoint.hits] == ["/moved"]  # not /sparql


def test_address_entries_are_checked_in_the_configuration() -> None:
    from publisher.config import Settings

    allowing = Settings(service_allowlist="10.0.0.0/8 ::1")  # type: ignore[arg-type]
    assert allowing.service_allowlist == ["10.0.0.0/8", "::1"]
    with pytest.raises(ValueError, match=r"addresses or networks such as 10\.0\.0\.0/8"):
        Settings(service_allowlist="10.0.0.0/33")  # type: ignore[arg-type]


def test_every_route_that_writes_needs_the_token(served: Served) -> None:
    """Every route of the application that takes a method other than GET, HEAD or
    OPTIONS is called with each such method and no token: refused (401), store unchanged.
    A new write or admin route fails this test until it is known to need the token."""
    from starlette.routing import Route

    from publisher.config import Settings
    from publisher.web.app import create_app

    app = create_app(Settings(), OxigraphStore())
    # POST /reconcile carries a batch of reconciliation queries (OpenRefine's form), no write.
    reading = {"/reconcile"}
    writing = {
        route.path: sorted(set(route.methods or ()) - {"GET", "HEAD", "OPTIONS"})
        for route in app.routes
        if isinstance(route, Route)
        and set(route.methods or ()) - {"GET", "HEAD", "OPTIONS"}
        and route.path not in reading
    }
    assert writing == {
        "/sparql": ["POST"],
        "/rdf-graphs/service": ["DELETE", "POST", "PUT"],
    }
    before = httpx.get(
        served.server.url + "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": JSON_RESULTS},
    ).json()
    for path, methods in writing.items():
        for method in methods:
            for params, content_type, body in (
                ({"graph": SEED_IRI}, "application/n-triples", b"<urn:a> <urn:b> <urn:c> ."),
                ({}, "application/sparql-update", b"DROP ALL"),
                ({}, "application/x-www-form-urlencoded", b"update=DROP%20ALL"),
            ):
                response = httpx.request(
                    method,
                    served.server.url + path,
                    params=params,
                    content=body,
                    headers={"Content-Type": content_type},
                )
                if path == "/sparql" and content_type == "application/n-triples":
                    assert response.status_code == 415  # not a write at all
                    continue
                assert response.status_code == 401, (method, path, response.text)
    after = httpx.get(
        served.server.url + "/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": JSON_RESULTS},
    ).json()
    assert after == before
