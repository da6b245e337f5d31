"""A store on any SPARQL 1.1 server, over HTTP: Query, Update and the Graph Store Protocol.

The same layout as the embedded store: one named graph per source record, and the
published view (`publisher.store.published`) as what a query sees without GRAPH or FROM,
every named graph still reachable with GRAPH. Where the view is kept depends on the
server (checked against Oxigraph server and Virtuoso, see `RemoteStore.view_graph`):

* a server with a default graph of its own (Oxigraph server started *without*
  `--union-default-graph`, Fuseki without `unionDefaultGraph`): there, as in the
  embedded store. Queries go as they are. `check_default_graph` refuses a server whose
  default graph turns out to be the union of its graphs.
* Virtuoso, whose default graph is always the union of every graph it holds: in the
  named graph `{base}graph/published`, given to each query without a dataset of its own
  as `default-graph-uri`. Virtuoso then still reaches every named graph with `GRAPH ?g`,
  but finds nothing in `GRAPH <iri>` unless that IRI is also a `named-graph-uri`: those
  are given too. A `named-graph-uri` limits `GRAPH ?g` to the graphs given, so a query
  with both kinds of GRAPH is sent with `GRAPH <iri> {` written as
  `GRAPH ?v { VALUES ?v { <iri> }` (the same in SPARQL's algebra), `?v` a variable of our
  own, left out of the answer.

Writing a record is one SPARQL Update request (`DROP SILENT GRAPH g ; INSERT { GRAPH g
{...} } WHERE {}`), and a batch of records is one request too: a server runs a request as
one transaction, so a record is never left half-written. `INSERT ... WHERE {}` rather than
`INSERT DATA`, because Virtuoso refuses blank nodes in INSERT DATA. Replacing a graph is
idempotent, so a request that failed on a dropped connection or a 5xx is simply sent
again, with exponential backoff; once the tries are used up the store raises
`StoreUnavailable` and, for a short while, fails fast (a command stops with a clear error
rather than waiting again for every record).

Answers are read into pyoxigraph's own result types, so callers cannot tell the stores
apart. What servers get wrong is mended on the way in: Virtuoso writes blank nodes as
`nodeID://b123`, literals as `typed-literal` and booleans as `1` / `0` in JSON results,
and answers ASK as a one-row SELECT of `__ASK_RETVAL`.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal, cast
from urllib.parse import urljoin

import httpx
import orjson
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
    serialize,
)
from pyoxigraph import Literal as RdfLiteral
from pyoxigraph import Store as OxStore

from publisher.mapping.vocab import RDF_FIRST, RDF_REST, RDF_TYPE
from publisher.sparql_text import (
    _PNAME,
    _PREFIX_DECL,
    _closing_brace,
    _decoded,
    _keyword,
    _masked,
    _skip_space,
    has_keyword,
    query_form,
)
from publisher.store.base import (
    LABEL_PREDICATES,
    PROV_GENERATED_AT,
    Description,
    QueryResult,
    Store,
    StoreUnavailable,
    latest_time,
)
from publisher.store.layout import Layout

log = logging.getLogger(__name__)

AuthScheme = Literal["auto", "basic", "digest"]
RESULTS_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"
FORM = "application/x-www-form-urlencoded"
# `(!<this>)+` is any path. Not `*`: Virtuoso leaves out the zero-length path, so the
# first step is a branch of its own.
_NO_PREDICATE = "urn:publisher:no-predicate"
# One update request holds whole records up to about this much text. Small on purpose:
# Virtuoso's cost per request grows faster than its size (60 records in one request took
# 4x as long as in twelve requests of five), and Oxigraph gains nothing past a few records.
BATCH_BYTES = 64 * 1024
_SAFE_LABEL = re.compile(r"[^A-Za-z0-9_]")
_XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_SD = "http://www.w3.org/ns/sparql-service-description#"
_SD_FEATURE = NamedNode(_SD + "feature")
_SD_UNION_DEFAULT_GRAPH = NamedNode(_SD + "UnionDefaultGraph")


class RemoteStoreError(RuntimeError):
    """The store answered, and refused (wrong credentials, an update it cannot run, ...)."""


@dataclass(frozen=True)
class RemoteConfig:
    """Where the store is and how to talk to it."""

    query_url: str
    update_url: str
    graph_store_url: str | None = None  # Graph Store Protocol; SPARQL is used without it
    user: str | None = None
    password: str | None = None
    token: str | None = None  # bearer token (instead of user and password)
    auth_scheme: AuthScheme = "auto"  # auto: whichever the store's 401 challenge asks for
    timeout: float = 60.0  # seconds for one request
    retries: int = 4  # tries after the first, on connection errors and 5xx
    backoff: float = 0.5  # seconds before the first retry, doubling each time
    graph_prefix: str | None = None  # only graphs under it are ours (shared stores)

    def auth(self) -> httpx.Auth | None:
        if self.token:
            return _Bearer(self.token)
        if self.user is None:
            return None
        return _UserAuth(self.user, self.password or "", self.auth_scheme)

    def describe(self) -> str:
        """The endpoints, for messages (never the credentials)."""
        return f"SPARQL store {self.query_url}"


class _Bearer(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


class _UserAuth(httpx.Auth):
    """HTTP Basic or Digest, as configured, or as the store's first challenge asks.

    `auto` sends the first request without credentials: a password never goes out in
    Basic form to a store that wants Digest (Virtuoso's /sparql-auth).
    """

    def __init__(self, user: str, password: str, scheme: AuthScheme) -> None:
        self.digest = httpx.DigestAuth(user, password)
        self.basic = httpx.BasicAuth(user, password)
        self.scheme: AuthScheme = scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme == "basic":
            yield from self.basic.auth_flow(request)
            return
        if self.scheme == "digest":
            yield from self.digest.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("www-authenticate", "").strip().lower()
        self.scheme = "digest" if challenge.startswith("digest") else "basic"
        yield from self.auth_flow(request)


class RemoteStore(Store):
    """The store interface over SPARQL 1.1 Protocol, Update and Graph Store Protocol."""

    def __init__(self, config: RemoteConfig, client: httpx.Client | None = None) -> None:
        self.config = config
        self.client = client or httpx.Client(
            auth=config.auth(), timeout=config.timeout, follow_redirects=True
        )
        self._down_until = 0.0
        self._retries = config.retries
        self._timeout: float = config.timeout
        self._max_bytes: int | None = None
        self._virtuoso: bool | None = None  # found on the first query

    def limited(self, *, timeout: float, max_bytes: int) -> RemoteStore:
        """This store for the /sparql proxy: one try, the endpoint's time limit, and an
        answer cut off at `max_bytes` (sharing the connections)."""
        clone = copy.copy(self)
        clone._retries = 0
        clone._timeout = timeout
        clone._max_bytes = max_bytes
        return clone

    # --- HTTP ----------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, retried on connection errors and 5xx; its answer checked."""
        if time.monotonic() < self._down_until:
            raise StoreUnavailable(f"the {self.config.describe()} is unavailable (retry later)")
        delay = self.config.backoff
        problem = ""
        for attempt in range(self._retries + 1):
            if attempt:
                log.warning("%s: %s; retry %d in %.1f s", url, problem, attempt, delay)
                time.sleep(delay)
                delay *= 2
            try:
                response = self._request(method, url, **kwargs)
            except httpx.TimeoutException as error:
                if self._max_bytes is not None:  # a proxied query: the time limit is ours
                    raise
                problem = f"no answer within {self._timeout:g} s ({type(error).__name__})"
                continue
            except httpx.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
                continue
            if response.status_code >= 500 and not _refusal(response):
                problem = f"HTTP {response.status_code}: {_snippet(response.content)}"
                continue
            return _checked(response)
        self._down_until = time.monotonic() + 10.0
        raise StoreUnavailable(
            f"the {self.config.describe()} is unavailable: {problem}"
            f" (after {self._retries + 1} tries)"
        )

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        limit = self._max_bytes
        with self.client.stream(method, url, timeout=self._timeout, **kwargs) as response:
            parts: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if limit is not None and size > limit:
                    raise AnswerTooLarge(limit)
                parts.append(chunk)
            response._content = b"".join(parts)  # read: .content works as usual
        return response

    def _post_form(self, url: str, fields: list[tuple[str, str]], accept: str) -> httpx.Response:
        # Form-encoded POST: every server takes it (Virtuoso stalls on
        # application/sparql-query bodies), and no URL length limit applies.
        return self._send("POST", url, data=_form(fields), headers={"Accept": accept})

    # --- Queries -------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        text = f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql
        fields = [("default-graph-uri", g.value) for g in default_graphs or []]
        fields += [("named-graph-uri", g.value) for g in named_graphs or []]
        hidden: frozenset[str] = frozenset()
        if not fields:
            text, fields, hidden = self._view_dataset(text)
        return self._query(text, fields, query_form(sparql), hidden)

    @property
    def view_graph(self) -> NamedNode | None:
        """The server's own default graph (None), or on Virtuoso, whose default graph is
        the union of all, the named graph `{base}graph/published` (None too without a
        graph prefix: nothing is published on such a store)."""
        if not self._is_virtuoso() or not self.config.graph_prefix:
            return None
        return Layout(self.config.graph_prefix).published

    def _is_virtuoso(self) -> bool:
        """Told by the first answer: Virtuoso's Server header, or its way of answering ASK
        (a one-row SELECT of `__ASK_RETVAL`, also when a proxy rewrites the headers)."""
        if self._virtuoso is None:
            probe = self._post_form(self.config.query_url, [("query", "ASK {}")], RESULTS_JSON)
            server = probe.headers.get("server", "").lower()
            self._virtuoso = server.startswith("virtuoso") or b"__ASK_RETVAL" in probe.content
        return self._virtuoso

    def _view_dataset(self, text: str) -> tuple[str, list[tuple[str, str]], frozenset[str]]:
        """The protocol's dataset that makes the view the default graph of a query that
        gives none (FROM, FROM NAMED, default-graph-uri, named-graph-uri): nothing where
        the view is the server's default graph. On Virtuoso the view's graph, and the
        graphs the query names in GRAPH <iri> (Virtuoso finds nothing in a named graph
        outside the dataset, though `GRAPH ?g` reaches them all); a query with GRAPH ?g
        too is rewritten instead (see the module's docstring). Returns the query to send,
        the dataset, and the variables of ours to leave out of the answer."""
        view = self.view_graph
        if view is None or has_keyword(text, "from"):
            return text, [], frozenset()
        found = _graph_names(text)
        if found is None:
            return text, [], frozenset()  # a GRAPH name we cannot resolve: sent as it is
        dataset = [("default-graph-uri", view.value)]
        if not found.variables:
            named = dict.fromkeys(iri for _, _, iri in found.named)
            return text, [*dataset, *(("named-graph-uri", g) for g in named)], frozenset()
        rewritten = _graph_iris_as_variables(found)
        if rewritten is None:
            return text, [], frozenset()
        return rewritten[0], dataset, rewritten[1]

    def _query(
        self,
        text: str,
        fields: list[tuple[str, str]],
        form: str | None,
        hidden: frozenset[str] = frozenset(),
    ) -> QueryResult:
        if form is None:
            raise SyntaxError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE")
        fields = [("query", text), *fields]
        if self._max_bytes is not None and self._is_virtuoso():
            # Virtuoso stops a query at `timeout` (ms); a bit after we have given up.
            fields.append(("timeout", str(int((self._timeout + 1) * 1000))))
        graph = form in ("construct", "describe")
        response = self._post_form(
            self.config.query_url, fields, GRAPH_ACCEPT if graph else RESULTS_JSON
        )
        if "S1TAT" in response.headers.get("x-sql-state", ""):
            # Virtuoso's "anytime" answer: partial results at its time limit.
            raise httpx.ReadTimeout("the store stopped the query at its time limit")
        if graph:
            return _as_query_triples(_graph_triples(response))
        return _results(response.content, hidden)

    def select(self, sparql: str) -> QuerySolutions:
        result = self.query(sparql)
        assert isinstance(result, QuerySolutions)
        return result

    def check_default_graph(self) -> None:
        """Raise RemoteStoreError when the default graph of our queries is the union of
        the server's graphs (Oxigraph started with `--union-default-graph`), so queries
        would not see the published view alone: the server's service description says
        so (`sd:feature sd:UnionDefaultGraph`, also when it holds nothing yet), or the
        default graph shows what our record graphs hold (a record graph's statements
        about itself, its PROV-O provenance, are never in the view)."""
        view = self.view_graph
        if view is None and self._describes_union_default_graph():
            raise RemoteStoreError(self._union_message())
        others = f"FILTER(?g != {view})" if view is not None else ""
        rows = list(self.select(
            f"SELECT ?g ?p ?o WHERE {{ GRAPH ?g {{ ?g ?p ?o FILTER(!isBlank(?o)) }}"
            f" {self._ours()} {others} }} LIMIT 1"
        ))  # fmt: skip
        if not rows:
            return
        g, p, o = rows[0]["g"], rows[0]["p"], rows[0]["o"]
        if bool(self.query(f"ASK {{ {g} {p} {o} }}")):
            raise RemoteStoreError(self._union_message())

    def _union_message(self) -> str:
        return (
            f"the default graph of the {self.config.describe()} is the union of its"
            " named graphs, not the published view (Oxigraph: start it without"
            " `--union-default-graph`; Fuseki: without `tdb2:unionDefaultGraph`)"
        )

    def _describes_union_default_graph(self) -> bool:
        """The SPARQL 1.1 service description at the query URL (a GET without a query)
        lists the feature sd:UnionDefaultGraph. False when there is none to read."""
        try:
            response = self.client.get(
                self.config.query_url,
                headers={"Accept": "text/turtle, application/n-triples;q=0.9"},
                timeout=min(self._timeout, 10.0),
            )
            if not response.is_success:
                return False
            # Relative IRIs (Oxigraph's `sd:endpoint <>`) against the URL it came from.
            quads = parse(
                response.content, format=_rdf_format(response), base_iri=str(response.url)
            )
            return any(
                q.predicate == _SD_FEATURE and q.object == _SD_UNION_DEFAULT_GRAPH for q in quads
            )
        except (httpx.HTTPError, SyntaxError, ValueError):
            return False

    def graph_names(self) -> list[NamedNode]:
        """Our named graphs; on Virtuoso the view's graph aside (it is what the other
        stores keep in their default graph)."""
        view = self.view_graph
        result = self.select(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._ours()} }}"
        )
        return [row["g"] for row in result if isinstance(row["g"], NamedNode) and row["g"] != view]

    def _ours(self, variable: str = "?g") -> str:
        prefix = self.config.graph_prefix
        if not prefix:
            return ""
        return f"FILTER(STRSTARTS(STR({variable}), {_string(prefix)}))"

    def describe(self, resource: NamedNode) -> list[Triple]:
        return self.describe_sources(resource).triples

    def describe_sources(self, resource: NamedNode) -> Description:
        """What the embedded store's description holds: the resource's triples and its
        blank nodes' (all levels), then its neighbours' labels and links; with the
        `prov:generatedAtTime` of every graph they come from. Three requests, usually.

        Blank node labels hold within one answer only, so the first request brings the
        blank-node triples near the resource (two levels, and the cells of RDF lists),
        and the walk along blank nodes alone (as the embedded store walks) is done here.
        Should the walk reach a blank node whose triples did not come, the first request
        is made again with a path that reaches every blank node of the graph.
        """
        rows, _ = self._rows(_describe_query(resource, deep=False))
        if not rows:
            return Description([], frozenset(), None)
        walk = _walk(resource, rows)
        if walk.missing:
            rows, _ = self._rows(_describe_query(resource, deep=True))
            walk = _walk(resource, rows)
        seen, graphs = walk.seen, set(walk.graphs)
        linked = [n for key, n in walk.neighbours.items() if key not in walk.visited]
        if linked:
            for triple, graph in self._rows(_labels_query(linked))[0]:
                seen.setdefault(str(triple), triple)
                graphs.add(graph)
        times = list(self._rows(_times_query(graphs))[1].values())
        return Description(list(seen.values()), frozenset(graphs), latest_time(times))

    def _rows(self, query: str) -> tuple[list[tuple[Triple, NamedNode]], dict[str, RdfLiteral]]:
        """The (?g ?s ?p ?o) rows as triples and their graph; ?t, where bound, as the
        graph's time."""
        stamps: dict[str, RdfLiteral] = {}
        quads: list[tuple[Triple, NamedNode]] = []
        for row in self.select(query):
            s, p, o, g, t = row["s"], row["p"], row["o"], row["g"], row["t"]
            if not isinstance(g, NamedNode):
                continue
            if isinstance(t, RdfLiteral):
                stamps[g.value] = t
            if o is not None and isinstance(p, NamedNode) and not isinstance(s, RdfLiteral):
                quads.append((Triple(s, p, o), g))
        return quads, stamps

    def union_triples(self, graph: NamedNode | None = None) -> Iterator[Triple]:
        """Every triple of one graph (None: the server's default graph), streamed."""
        if graph is not None:
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}"
        else:
            query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        with self.client.stream(
            "POST",
            self.config.query_url,
            data=_form([("query", query)]),
            headers={"Accept": GRAPH_ACCEPT},
            timeout=None,
        ) as response:
            _checked_stream(response)
            source = cast(IO[bytes], _ResponseReader(response.iter_bytes()))
            for quad in parse(source, format=_rdf_format(response)):
                yield quad.triple

    def quads(self, chunk: int = 200) -> Iterator[Quad]:
        """Every quad of our graphs, a few hundred graphs per request (each graph's blank
        nodes stay within one answer, so they keep their identity); the published view
        in the default graph, wherever this server keeps it, as the embedded store has it."""
        names = sorted(self.graph_names(), key=str)
        for start in range(0, len(names), chunk):
            values = " ".join(str(g) for g in names[start : start + chunk])
            query = (
                f"SELECT ?g ?s ?p ?o ?t WHERE {{ VALUES ?g {{ {values} }}"
                " GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
            )
            for triple, graph in self._rows(query)[0]:
                yield Quad(triple.subject, triple.predicate, triple.object, graph)
        for triple in self.union_triples(self.view_graph):
            yield Quad(triple.subject, triple.predicate, triple.object, DefaultGraph())

    # --- Writes --------------------------------------------------------------------------

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        self.replace_graphs([(graph, list(triples))])

    def replace_graphs(self, graphs: Iterable[tuple[NamedNode, Sequence[Triple]]]) -> None:
        """Whole records per request: each record's DROP and INSERT travel together."""
        operations: list[str] = []
        size = 0
        for number, (graph, triples) in enumerate(graphs):
            operation = _replace_operation(graph, triples, f"r{number}")
            if operations and size + len(operation) > BATCH_BYTES:
                self.update(" ;\n".join(operations))
                operations, size = [], 0
            operations.append(operation)
            size += len(operation)
        if operations:
            self.update(" ;\n".join(operations))

    def remove_graph(self, graph: NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH {graph}")

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        text = f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql
        # Virtuoso answers 200 with a results document; any 2xx is success.
        self._post_form(self.config.update_url, [("update", text)], "*/*")

    def graph_exists(self, graph: NamedNode | None) -> bool:
        if graph is None:
            return True
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))

    def graph_triples(self, graph: NamedNode | None) -> list[Triple]:
        if self.config.graph_store_url:
            response = self._send(
                "GET",
                self.config.graph_store_url,
                params=_graph_param(graph),
                headers={"Accept": GRAPH_ACCEPT},
            )
            return _graph_triples(response)
        if graph is None and self.view_graph is not None:
            raise RemoteStoreError(
                "reading Virtuoso's own default graph needs its Graph Store Protocol URL"
                " (--sparql-store)"
            )
        return list(self.union_triples(graph))

    def put_graph(self, graph: NamedNode | None, triples: Iterable[Triple]) -> None:
        if self._graph_store_write("PUT", graph, triples):
            return
        clear = "CLEAR SILENT DEFAULT" if graph is None else f"DROP SILENT GRAPH {graph}"
        self.update(f"{clear} ;\n{_insert(graph, list(triples), 'p')}")

    def add_to_graph(self, graph: NamedNode | None, triples: Iterable[Triple]) -> None:
        if not self._graph_store_write("POST", graph, triples):
            self.update(_insert(graph, list(triples), "a"))

    def drop_graph(self, graph: NamedNode | None) -> None:
        self.update("CLEAR SILENT DEFAULT" if graph is None else f"DROP SILENT GRAPH {graph}")

    def _graph_store_write(
        self, method: str, graph: NamedNode | None, triples: Iterable[Triple]
    ) -> bool:
        """A whole graph by the Graph Store Protocol, when its URL is configured."""
        if not self.config.graph_store_url:
            return False
        body = serialize(list(triples), format=RdfFormat.N_TRIPLES) or b""
        self._send(
            method,
            self.config.graph_store_url,
            params=_graph_param(graph),
            content=body,
            headers={"Content-Type": "application/n-triples"},
        )
        return True

    def close(self) -> None:
        self.client.close()


class AnswerTooLarge(Exception):
    """A proxied answer ran past the byte limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is over {limit} bytes")
        self.limit = limit


# --- Requests --------------------------------------------------------------------------------


def _form(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


def _graph_param(graph: NamedNode | None) -> dict[str, str]:
    return {"default": ""} if graph is None else {"graph": graph.value}


# Virtuoso answers 500 to a request it refuses, with the SQL state in the body: such an
# answer is final (sending it again gets the same), except for connection problems (08)
# and a transaction rolled back, e.g. in a deadlock (40), which another try can get past.
_VIRTUOSO_ERROR = re.compile(rb"^\s*Virtuoso (?!08|40)[0-9A-Z]{5} Error")


def _refusal(response: httpx.Response) -> bool:
    """A 5xx that is an answer (the request is wrong), not the store being down."""
    return bool(_VIRTUOSO_ERROR.match(response.content))


def _checked(response: httpx.Response) -> httpx.Response:
    """A 2xx response as it is; 400 a SyntaxError (the store's message); other 4xx a
    RemoteStoreError."""
    if response.is_success:
        return response
    message = _snippet(response.content)
    if response.status_code == 400:
        raise SyntaxError(message)
    if response.status_code in (401, 403):
        raise RemoteStoreError(
            f"the SPARQL store refused access (HTTP {response.status_code}): check"
            f" --sparql-user/--sparql-password or --sparql-token; {message}"
        )
    raise RemoteStoreError(f"the SPARQL store answered HTTP {response.status_code}: {message}")


def _checked_stream(response: httpx.Response) -> None:
    if not response.is_success:
        response.read()
        if response.status_code >= 500:
            raise StoreUnavailable(f"the SPARQL store answered HTTP {response.status_code}")
        _checked(response)


def _snippet(body: bytes, limit: int = 500) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"


class _ResponseReader:
    """A streamed response body as the file object pyoxigraph's parser reads."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        if size < 0:
            size = len(self.buffer)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


# --- Answers ---------------------------------------------------------------------------------


def _rdf_format(response: httpx.Response) -> RdfFormat:
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in ("text/plain", "text/ntriples"):
        return RdfFormat.N_TRIPLES
    found = RdfFormat.from_media_type(media_type) if media_type else None
    return found or RdfFormat.TURTLE


def _graph_triples(response: httpx.Response) -> list[Triple]:
    try:
        return [quad.triple for quad in parse(response.content, format=_rdf_format(response))]
    except SyntaxError as error:
        raise RemoteStoreError(f"the SPARQL store sent RDF that does not parse: {error}") from error


def _as_query_triples(triples: list[Triple]) -> QueryTriples:
    """pyoxigraph's QueryTriples for triples already read (callers expect that type)."""
    scratch = OxStore()
    scratch.extend(Quad(t.subject, t.predicate, t.object) for t in triples)
    result = scratch.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert isinstance(result, QueryTriples)
    return result


def _results(body: bytes, hidden: frozenset[str] = frozenset()) -> QuerySolutions | QueryBoolean:
    """SPARQL JSON results, mended where servers stray from the format; without the
    `hidden` variables (ours, added to the query on the way out)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        message = f"the SPARQL store sent results that do not parse: {error}"
        raise RemoteStoreError(message) from error
    if not isinstance(data, dict):
        raise RemoteStoreError("the SPARQL store sent results that are not a JSON object")
    variables = data.get("head", {}).get("vars", [])
    bindings = data.get("results", {}).get("bindings", [])
    if "boolean" not in data and variables == ["__ASK_RETVAL"]:  # Virtuoso's ASK
        value = bindings[0]["__ASK_RETVAL"]["value"] if bindings else "0"
        data = {"head": {}, "boolean": value not in ("0", "false")}
    if hidden:
        data.setdefault("head", {})["vars"] = [v for v in variables if v not in hidden]
        bindings = [{k: v for k, v in row.items() if k not in hidden} for row in bindings]
        data.setdefault("results", {})["bindings"] = bindings
    for row in bindings:
        for term in row.values():
            _mend_term(term)
    data.get("head", {}).pop("link", None)
    result = parse_query_results(orjson.dumps(data), QueryResultsFormat.JSON)
    assert isinstance(result, QuerySolutions | QueryBoolean)
    return result


def _mend_term(term: dict[str, Any]) -> None:
    kind = term.get("type")
    if "xml:lang" in term and not term["xml:lang"]:
        del term["xml:lang"]  # Virtuoso writes an empty one on some plain literals
    if kind == "typed-literal":
        term["type"] = "literal"
    if term.get("datatype") == _XSD_BOOLEAN and term.get("value") in ("1", "0"):
        # Virtuoso writes booleans as 1 and 0 in JSON results ("true" in N-Triples)
        term["value"] = "true" if term["value"] == "1" else "false"
    elif kind == "bnode":
        label = str(term.get("value", "")).removeprefix("nodeID://").removeprefix("_:")
        term["value"] = _SAFE_LABEL.sub("_", label) or "b"


# --- Query and update text -------------------------------------------------------------------


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_BASE_DECL = re.compile(r"(?<![\w?$:-])base\s*", re.IGNORECASE)


@dataclass(frozen=True)
class _GraphNames:
    """What follows GRAPH in a query: each IRI, where it is written in `text` (the query
    with escapes decoded), and whether some GRAPH takes a variable."""

    text: str
    named: list[tuple[int, int, str]]  # start, end, the IRI (prefixed and relative resolved)
    variables: bool


def _graph_names(query: str) -> _GraphNames | None:
    """The IRIs the query names after GRAPH, and whether it has GRAPH ?variable too; None
    when an IRI cannot be told for sure (a prefix not declared)."""
    text = _decoded(query)
    masked, iris = _masked(text)
    bases: list[tuple[int, str]] = []
    for match in _BASE_DECL.finditer(masked):
        if match.end() in iris:
            earlier = bases[-1][1] if bases else ""
            bases.append((match.start(), urljoin(earlier, iris[match.end()])))

    def absolute(iri: str, at: int) -> str:
        base = next((b for start, b in reversed(bases) if start < at), "")
        return urljoin(base, iri) if base else iri

    prefixes = [
        (match.start(), match.group(1), absolute(iris[match.end()], match.start()))
        for match in _PREFIX_DECL.finditer(masked)
        if match.end() in iris
    ]
    named: list[tuple[int, int, str]] = []
    variables = False
    for match in _keyword("graph").finditer(masked):
        position = _skip_space(masked, match.end())
        if masked.startswith(("?", "$"), position):
            variables = True
        elif position in iris:
            iri = iris[position]
            named.append((position, position + len(iri) + 2, absolute(iri, position)))
        elif name := _PNAME.match(masked, position):
            namespaces = {p: ns for at, p, ns in prefixes if at < position}
            namespace = namespaces.get(name.group(1))
            if namespace is None:
                return None
            local = name.group(2).rstrip(".")
            end = name.start(2) + len(local)
            named.append((position, end, namespace + re.sub(r"\\(.)", r"\1", local)))
        else:
            return None
    return _GraphNames(text, named, variables)


_SUBQUERY = re.compile(r"select(?![\w:-])", re.IGNORECASE)
_VARIABLE = re.compile(r"[?$]([\w\u00b7\u0300-\u036f\u203f-\u2040]+)")


def _graph_iris_as_variables(found: _GraphNames) -> tuple[str, frozenset[str]] | None:
    """The query with each `GRAPH <iri> {` written `GRAPH ?v { VALUES ?v { <iri> }`, the
    same pattern in SPARQL's algebra, and the new variables (named apart from the
    query's own); None when a GRAPH <iri> is not followed by a group."""
    masked, _ = _masked(found.text)
    taken = {name.lower() for name in _VARIABLE.findall(masked)}
    stem = "publisher_graph"
    while any(name.startswith(stem) for name in taken):
        stem = "_" + stem
    edits: list[tuple[int, int, str]] = []
    hidden: list[str] = []
    for number, (start, end, iri) in enumerate(found.named):
        opening = _skip_space(masked, end)
        if not masked.startswith("{", opening):
            return None
        variable = f"{stem}{number}"
        hidden.append(variable)
        edits.append((start, end, f"?{variable}"))
        values = f" VALUES ?{variable} {{ <{iri}> }} "
        if _SUBQUERY.match(masked, _skip_space(masked, opening + 1)):
            closing = _closing_brace(masked, opening)
            if closing is None:
                return None
            edits.append((opening + 1, opening + 1, values + "{ "))  # a group of its own
            edits.append((closing, closing, " } "))
        else:
            edits.append((opening + 1, opening + 1, values))
    text = found.text
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, frozenset(hidden)


def _relabelled(triples: Sequence[Triple], prefix: str) -> str:
    """Triples as a template body, blank node labels made unique to this operation."""
    labels: dict[str, str] = {}

    def term(node: Any) -> str:
        if isinstance(node, BlankNode):
            return labels.setdefault(node.value, f"_:{prefix}b{len(labels)}")
        return str(node)

    return " .\n".join(f"{term(t.subject)} {t.predicate} {term(t.object)}" for t in triples)


def _insert(graph: NamedNode | None, triples: Sequence[Triple], prefix: str) -> str:
    body = _relabelled(triples, prefix)
    if graph is None:
        return f"INSERT {{\n{body} }} WHERE {{}}"
    return f"INSERT {{ GRAPH {graph} {{\n{body} }} }} WHERE {{}}"


def _replace_operation(graph: NamedNode, triples: Sequence[Triple], prefix: str) -> str:
    drop = f"DROP SILENT GRAPH {graph}"
    return f"{drop} ;\n{_insert(graph, triples, prefix)}" if triples else drop


@dataclass
class _Walk:
    """What a description keeps of the rows: the embedded store's walk, from the
    resource along blank nodes only."""

    seen: dict[str, Triple] = field(default_factory=dict)
    graphs: set[NamedNode] = field(default_factory=set)
    neighbours: dict[str, NamedNode] = field(default_factory=dict)
    visited: set[str] = field(default_factory=set)
    missing: bool = False  # reached a blank node whose triples were not in the rows


def _walk(resource: NamedNode, rows: list[tuple[Triple, NamedNode]]) -> _Walk:
    by_subject: dict[str, list[tuple[Triple, NamedNode]]] = {}
    for triple, graph in rows:
        by_subject.setdefault(str(triple.subject), []).append((triple, graph))
    walk = _Walk()
    pending: list[str] = [str(resource)]
    while pending:
        subject = pending.pop()
        if subject in walk.visited:
            continue
        walk.visited.add(subject)
        if subject not in by_subject and subject != str(resource):
            walk.missing = True
        for triple, graph in by_subject.get(subject, []):
            walk.seen.setdefault(str(triple), triple)
            walk.graphs.add(graph)
            obj = triple.object
            if isinstance(obj, BlankNode):
                pending.append(str(obj))
            elif isinstance(obj, NamedNode) and triple.predicate != RDF_TYPE:
                walk.neighbours.setdefault(str(obj), obj)
    return walk


def _describe_query(resource: NamedNode, *, deep: bool) -> str:
    """(?g ?s ?p ?o) rows: the resource's own triples, its blank objects' and theirs
    (two levels), and the cells of the RDF lists it points to (an author list: every
    blank rdf:first / rdf:rest triple of such a graph, a few dozen). With `deep`, every
    blank-node triple reachable from its blank objects in the same graph (a property
    path: slower, Virtuoso most of all)."""
    r = str(resource)
    far = (
        f"?b1 (!<{_NO_PREDICATE}>)+ ?s . FILTER(isBlank(?s)) ?s ?p ?o"
        if deep
        else f"?b1 {RDF_REST} ?cell . ?s ?p ?o"
        f" FILTER(isBlank(?s) && ?p IN ({RDF_FIRST}, {RDF_REST}))"
    )
    return f"""SELECT DISTINCT ?g ?s ?p ?o WHERE {{
  {{ GRAPH ?g {{ {r} ?p ?o }} BIND({r} AS ?s) }}
  UNION {{ GRAPH ?g {{ {r} ?l1 ?s . FILTER(isBlank(?s)) ?s ?p ?o }} }}
  UNION {{ GRAPH ?g {{ {r} ?l1 ?b1 . FILTER(isBlank(?b1)) ?b1 ?l2 ?s . FILTER(isBlank(?s))
                     ?s ?p ?o }} }}
  UNION {{ GRAPH ?g {{ {r} ?l1 ?b1 . FILTER(isBlank(?b1)) {far} }} }}
}}"""


def _labels_query(neighbours: list[NamedNode]) -> str:
    """(?g ?s ?p ?o) rows: the neighbours' label and link triples."""
    values = " ".join(str(n) for n in neighbours)
    labels = ", ".join(str(p) for p in LABEL_PREDICATES)
    return (
        f"SELECT DISTINCT ?g ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }}"
        f" GRAPH ?g {{ ?s ?p ?o FILTER(?p IN ({labels})) }} }}"
    )


def _times_query(graphs: Iterable[NamedNode]) -> str:
    """(?g ?t) rows: each graph's prov:generatedAtTime, as it states it about itself."""
    values = " ".join(str(g) for g in sorted(graphs, key=str))
    return (
        f"SELECT ?g ?t WHERE {{ VALUES ?g {{ {values} }}"
        f" GRAPH ?g {{ ?g <{PROV_GENERATED_AT}> ?t }} }}"
    )
