"""The SPARQL 1.1 Protocol endpoint (query operation; read-only).

Queries run in a worker thread, query and serialisation together: pyoxigraph
evaluates lazily while results are written, and the event loop must never wait on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response
from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions
from starlette.concurrency import run_in_threadpool

from publisher.sparql_text import has_keyword
from publisher.store.base import Store
from publisher.web.conneg import negotiate
from publisher.web.errors import ClientError
from publisher.web.formats import (
    GRAPH_ACCEPT_ALIASES,
    GRAPH_FORMATS,
    RESULTS_ACCEPT_ALIASES,
    RESULTS_FORMATS,
    GraphFormat,
    ResultsFormat,
    content_type,
    graph_format,
    results_format,
    serialize_graph,
)

F = TypeVar("F", GraphFormat, ResultsFormat)

MAX_QUERY_BYTES = 256 * 1024
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"


@dataclass(frozen=True)
class QueryRequest:
    query: str
    default_graphs: list[NamedNode] | None
    named_graphs: list[NamedNode] | None
    accept: str | None
    format_override: str | None


async def parse_request(request: Request) -> QueryRequest | None:
    """The protocol's three ways of sending a query; None when there is no query at all."""
    url_params = parse_qsl(request.url.query, keep_blank_values=True)
    params = list(url_params)
    if request.method == "POST":
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await _read_body(request)
        if media_type == FORM:
            params += parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        elif media_type == SPARQL_QUERY:
            if any(name == "query" for name, _ in url_params):
                raise ClientError(
                    400, "a query sent as application/sparql-query must not also be in the URL"
                )
            params.append(("query", body.decode("utf-8", errors="replace")))
        elif media_type == SPARQL_UPDATE:
            raise ClientError(403, "this endpoint is read-only: SPARQL Update is not enabled")
        else:
            raise ClientError(
                415, f"POST a query as {FORM} or {SPARQL_QUERY}, not {media_type or 'nothing'}"
            )
    if any(name == "update" for name, _ in params):
        raise ClientError(403, "this endpoint is read-only: SPARQL Update is not enabled")
    queries = [value for name, value in params if name == "query"]
    if not queries:
        return None
    if len(queries) > 1:
        raise ClientError(400, "send exactly one query parameter")
    return QueryRequest(
        query=queries[0],
        default_graphs=_graphs(params, "default-graph-uri"),
        named_graphs=_graphs(params, "named-graph-uri"),
        accept=request.headers.get("accept"),
        format_override=next((v for n, v in params if n == "format"), None),
    )


async def _read_body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_QUERY_BYTES:
            raise ClientError(413, f"the request body is over {MAX_QUERY_BYTES} bytes")
    return body


def _graphs(params: list[tuple[str, str]], name: str) -> list[NamedNode] | None:
    values = [v for n, v in params if n == name]
    if not values:
        return None
    try:
        return [NamedNode(v) for v in values]
    except ValueError as error:
        raise ClientError(400, f"{name} is not an IRI: {error}") from error


async def execute(store: Store, query: QueryRequest, base_uri: str) -> Response:
    body, media_type = await run_in_threadpool(_execute_sync, store, query, base_uri)
    return Response(body, media_type=content_type(media_type), headers={"Vary": "Accept"})


def _execute_sync(store: Store, query: QueryRequest, base_uri: str) -> tuple[bytes, str]:
    if len(query.query.encode()) > MAX_QUERY_BYTES:
        raise ClientError(413, f"the query is over {MAX_QUERY_BYTES} bytes")
    if has_keyword(query.query, "service"):
        raise ClientError(
            400, "SERVICE (federated query) is not supported: this endpoint only queries its store"
        )
    try:
        result = store.query(
            query.query, default_graphs=query.default_graphs, named_graphs=query.named_graphs
        )
    except SyntaxError as error:
        raise ClientError(400, f"SPARQL syntax error: {error}") from error
    if isinstance(result, QuerySolutions | QueryBoolean):
        results = _pick(query, results_format, RESULTS_FORMATS, RESULTS_ACCEPT_ALIASES)
        return result.serialize(format=results.oxigraph) or b"", results.media_type
    graph = _pick(query, graph_format, GRAPH_FORMATS, GRAPH_ACCEPT_ALIASES)
    return serialize_graph(list(result), graph, base_uri), graph.media_type


def _pick(
    query: QueryRequest,
    by_name: Callable[[str], F | None],
    formats: Sequence[F],
    accept_aliases: Mapping[str, str],
) -> F:
    """`format=` (a name or a media type) wins over Accept, so a browser link can choose."""
    if query.format_override:
        chosen = by_name(query.format_override)
        if chosen is None:
            names = ", ".join(f.name for f in formats)
            raise ClientError(406, f"format={query.format_override!r} is not one of: {names}")
        return chosen
    offers: list[str] = [f.media_type for f in formats]
    media_type = negotiate(query.accept, [*offers, *accept_aliases])
    if media_type is None:
        raise ClientError(406, f"cannot answer in {query.accept!r}; available: {', '.join(offers)}")
    return formats[offers.index(accept_aliases.get(media_type, media_type))]
