"""The SPARQL 1.1 Protocol endpoint (query operation; read-only).

Queries run in a worker thread, query and serialisation together: pyoxigraph
evaluates lazily while results are written, and the event loop must never wait on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response
from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions
from starlette.concurrency import run_in_threadpool

from publisher.store.base import Store
from publisher.web.conneg import negotiate
from publisher.web.errors import ClientError
from publisher.web.formats import (
    GRAPH_ALIASES,
    GRAPH_BY_MEDIA_TYPE,
    GRAPH_BY_NAME,
    GRAPH_FORMATS,
    RESULTS_BY_MEDIA_TYPE,
    RESULTS_BY_NAME,
    RESULTS_FORMATS,
    content_type,
    serialize_graph,
)

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
    try:
        result = store.query(
            query.query, default_graphs=query.default_graphs, named_graphs=query.named_graphs
        )
    except SyntaxError as error:
        raise ClientError(400, f"SPARQL syntax error: {error}") from error
    if isinstance(result, QuerySolutions | QueryBoolean):
        names = {name: f.media_type for name, f in RESULTS_BY_NAME.items()}
        fmt = _pick(query, names, [f.media_type for f in RESULTS_FORMATS])
        results_format = RESULTS_BY_MEDIA_TYPE[fmt]
        return result.serialize(format=results_format.oxigraph) or b"", fmt
    names = {name: f.media_type for name, f in GRAPH_BY_NAME.items()}
    fmt = _pick(query, names, [f.media_type for f in GRAPH_FORMATS])
    return serialize_graph(list(result), GRAPH_BY_MEDIA_TYPE[fmt], base_uri), fmt


def _pick(query: QueryRequest, names: Mapping[str, str], offers: list[str]) -> str:
    """`format=` (a name or a media type) wins over Accept, so a browser link can choose."""
    if query.format_override:
        wanted = query.format_override.strip().lower()
        wanted = GRAPH_ALIASES.get(wanted, wanted)
        chosen = wanted if wanted in offers else names.get(wanted)
        if chosen is None:
            raise ClientError(
                406, f"format={query.format_override!r} is not one of: {', '.join(names)}"
            )
        return chosen
    chosen = negotiate(query.accept, offers)
    if chosen is None:
        raise ClientError(406, f"cannot answer in {query.accept!r}; available: {', '.join(offers)}")
    return chosen
