"""The SPARQL 1.1 Protocol endpoint: queries always, updates when enabled.

Queries run in the store layer's executor (`publisher.store.executor`): worker processes
that evaluate and serialise together and are killed when a query runs past the time
limit. This module reads the request (the protocol's three ways of sending a query, and
two of sending an update), checks it against the limits (sizes, SERVICE allow-list, the
write token), chooses the answer's format from Accept / `format=`, and turns the
executor's answer or failure into a response.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response
from pyoxigraph import NamedNode
from starlette.concurrency import run_in_threadpool

from publisher.config import Settings
from publisher.sparql_text import add_using, has_keyword, service_targets
from publisher.store.base import Store, StoreUnavailable
from publisher.store.executor import QueryExecutor, QueryFailed, QueryJob
from publisher.web.conneg import negotiate, quoted
from publisher.web.errors import ClientError
from publisher.web.federation import refused_address
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
)

F = TypeVar("F", GraphFormat, ResultsFormat)

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
TRUNCATED_HEADER = "X-SPARQL-Truncated"
MAX_ROWS_HEADER = "X-SPARQL-Max-Rows"
READ_ONLY = (
    "this endpoint is read-only: SPARQL Update is not enabled (the operator can enable it"
    " with PUBLISHER_ENABLE_UPDATES=true and a PUBLISHER_WRITE_TOKEN, or"
    " `publisher serve --enable-updates`)"
)
FAILURE_STATUS = {
    "syntax": 400,
    "not_acceptable": 406,
    "service": 502,
    "timeout": 503,
    "busy": 503,
    "too_large": 400,
    "failed": 500,
}


@dataclass(frozen=True)
class QueryRequest:
    query: str
    default_graphs: list[NamedNode] | None
    named_graphs: list[NamedNode] | None
    accept: str | None
    format_override: str | None


@dataclass(frozen=True)
class UpdateRequest:
    update: str
    using_graphs: list[NamedNode]  # using-graph-uri
    using_named_graphs: list[NamedNode]  # using-named-graph-uri


class Endpoint:
    """/sparql for one store: request parsing, limits, execution."""

    def __init__(self, settings: Settings, store: Store, executor: QueryExecutor) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor
        self.iri = settings.base_uri + "sparql"  # also the base IRI of queries and updates
        self.write_lock = asyncio.Lock()

    # --- Reading the request ----------------------------------------------------------------

    async def parse(self, request: Request) -> QueryRequest | UpdateRequest | None:
        """The protocol's ways of sending a query or an update; None when there is neither."""
        url_params = parse_qsl(request.url.query, keep_blank_values=True)
        params = list(url_params)
        names = {name for name, _ in url_params}
        if request.method == "POST":
            media_type, charset = content_type_and_charset(request.headers.get("content-type", ""))
            if charset not in (None, "utf-8", "utf8"):
                raise ClientError(415, f"send queries and updates as UTF-8, not {charset}")
            if media_type == SPARQL_UPDATE:
                self.require_write_access(request, READ_ONLY)
                if names & {"query", "update"}:
                    raise ClientError(
                        400,
                        "an update sent as application/sparql-update must not also have"
                        " a query or update in the URL",
                    )
                body = await read_body(request, self.settings.max_update_bytes)
                return UpdateRequest(
                    _text(body, "update"),
                    _graphs(params, "using-graph-uri"),
                    _graphs(params, "using-named-graph-uri"),
                )
            if media_type == FORM:
                limit = self.settings.max_query_bytes
                if self.settings.enable_updates:
                    limit = max(limit, self.settings.max_update_bytes)
                form = _text(await read_body(request, limit), "form")
                try:
                    params += parse_qsl(form, keep_blank_values=True, errors="strict")
                except UnicodeDecodeError as error:
                    raise ClientError(400, f"the form is not UTF-8: {error}") from error
            elif media_type == SPARQL_QUERY:
                if "query" in names:
                    raise ClientError(
                        400, "a query sent as application/sparql-query must not also be in the URL"
                    )
                body = await read_body(request, self.settings.max_query_bytes)
                params.append(("query", _text(body, "query")))
            else:
                raise ClientError(
                    415,
                    f"POST a query as {FORM} or {SPARQL_QUERY}, or an update as {FORM} or"
                    f" {SPARQL_UPDATE}, not {media_type or 'nothing'}",
                )
        updates = [value for name, value in params if name == "update"]
        queries = [value for name, value in params if name == "query"]
        if updates:
            if request.method != "POST":
                if not self.settings.enable_updates:
                    raise ClientError(403, READ_ONLY)
                raise ClientError(405, "send SPARQL Update with POST", {"Allow": "GET, POST"})
            if queries:
                raise ClientError(400, "send either a query or an update, not both")
            self.require_write_access(request, READ_ONLY)
            if len(updates) > 1:
                raise ClientError(400, "send exactly one update parameter")
            return UpdateRequest(
                updates[0],
                _graphs(params, "using-graph-uri"),
                _graphs(params, "using-named-graph-uri"),
            )
        if not queries:
            return None
        if len(queries) > 1:
            raise ClientError(400, "send exactly one query parameter")
        return QueryRequest(
            query=queries[0],
            default_graphs=_graphs_or_none(params, "default-graph-uri"),
            named_graphs=_graphs_or_none(params, "named-graph-uri"),
            accept=request.headers.get("accept"),
            format_override=next((v for n, v in params if n == "format"), None),
        )

    def require_write_access(self, request: Request, disabled_message: str) -> None:
        """403 when writes are off; 401 unless `Authorization: Bearer <write token>`."""
        token = self.settings.token()
        if token is None:
            raise ClientError(403, disabled_message)
        scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ClientError(
                401,
                "writing needs the write token: send `Authorization: Bearer <token>`",
                {"WWW-Authenticate": 'Bearer realm="publisher"'},
            )
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            raise ClientError(
                401,
                "the bearer token is not the write token",
                {"WWW-Authenticate": 'Bearer realm="publisher", error="invalid_token"'},
            )

    # --- Running it -------------------------------------------------------------------------

    async def run(self, operation: QueryRequest | UpdateRequest) -> Response:
        if isinstance(operation, UpdateRequest):
            return await self.update(operation)
        return await self.query(operation)

    async def query(self, query: QueryRequest) -> Response:
        if len(query.query.encode()) > self.settings.max_query_bytes:
            raise ClientError(
                413,
                f"the query is over {self.settings.max_query_bytes} bytes"
                " (PUBLISHER_MAX_QUERY_BYTES)",
            )
        await self.check_service(query.query)
        results, results_refusal = _choose(
            query, results_format, RESULTS_FORMATS, RESULTS_ACCEPT_ALIASES
        )
        graph, graph_refusal = _choose(query, graph_format, GRAPH_FORMATS, GRAPH_ACCEPT_ALIASES)
        job = QueryJob(
            query=query.query,
            default_graphs=_iris(query.default_graphs),
            named_graphs=_iris(query.named_graphs),
            base_iri=self.iri,
            results_media_type=results,
            graph_media_type=graph,
            results_refusal=results_refusal,
            graph_refusal=graph_refusal,
        )
        try:
            answer = await self.executor.run(job)
        except QueryFailed as failure:
            status = FAILURE_STATUS.get(failure.kind, 500)
            message = failure.message
            headers = {"Retry-After": "5"} if failure.kind == "busy" else None
            if failure.kind == "syntax":
                message = f"SPARQL syntax error: {message}"
            raise ClientError(status, message, headers) from failure
        headers = {"Vary": "Accept"}
        if answer.truncated:
            headers[TRUNCATED_HEADER] = "true"
            headers[MAX_ROWS_HEADER] = str(self.executor.max_rows)
        return Response(answer.body, media_type=content_type(answer.media_type), headers=headers)

    async def check_service(self, text: str) -> None:
        """SERVICE is refused, except for the endpoints of the allow-list whose host
        resolves to public addresses or to addresses the allow-list names
        (`publisher.web.federation`)."""
        if not has_keyword(text, "service"):
            return
        allowed = self.settings.service_allowlist
        if not allowed:
            raise ClientError(
                400,
                "SERVICE (federated query) is not supported: this endpoint only queries its store",
            )
        targets = service_targets(text)
        if not targets:
            raise ClientError(400, "SERVICE could not be read; refused")
        for target in targets:
            if target is None:
                raise ClientError(
                    400,
                    "SERVICE needs an absolute IRI from this endpoint's allow-list; a variable,"
                    " a relative IRI or an undeclared prefix is refused",
                )
            if target not in allowed:
                raise ClientError(
                    400,
                    f"SERVICE <{target}> is not allowed: this endpoint calls only the endpoints"
                    " in its allow-list (PUBLISHER_SERVICE_ALLOWLIST)",
                )
            refusal = await refused_address(target, allowed)
            if refusal is not None:
                raise ClientError(400, refusal)

    async def update(self, update: UpdateRequest) -> Response:
        text = update.update
        if len(text.encode()) > self.settings.max_update_bytes:
            raise ClientError(
                413,
                f"the update is over {self.settings.max_update_bytes} bytes"
                " (PUBLISHER_MAX_UPDATE_BYTES)",
            )
        if has_keyword(text, "load"):
            raise ClientError(
                400,
                "LOAD is not supported (the server fetches no URLs): send the data with the"
                " Graph Store Protocol (/rdf-graphs/service) or INSERT DATA",
            )
        await self.check_service(text)
        if update.using_graphs or update.using_named_graphs:
            if has_keyword(text, "using") or has_keyword(text, "with"):
                raise ClientError(
                    400,
                    "using-graph-uri / using-named-graph-uri cannot be combined with USING or"
                    " WITH in the update (SPARQL 1.1 Protocol 2.2.3)",
                )
            text = add_using(
                text,
                [g.value for g in update.using_graphs],
                [g.value for g in update.using_named_graphs],
            )
        await self.write(lambda: self.store.update(text, base_iri=self.iri))
        return Response(status_code=204)

    async def write(self, change: Callable[[], object]) -> None:
        """Run a write in a thread, one at a time; queries see it once it has committed."""
        async with self.write_lock:
            try:
                await run_in_threadpool(change)
            except SyntaxError as error:
                raise ClientError(400, f"SPARQL syntax error: {error}") from error
            except StoreUnavailable as error:
                raise ClientError(503, str(error), {"Retry-After": "5"}) from error
            except (RuntimeError, ValueError) as error:
                # pyoxigraph: CREATE of a graph that exists, DROP of one that does not, ...
                raise ClientError(400, f"the update failed: {error}") from error
            finally:
                self.executor.invalidate()


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ClientError(413, f"the request body is over {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ClientError(413, f"the request body is over {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def content_type_and_charset(header: str) -> tuple[str, str | None]:
    media_type, *parameters = header.split(";")
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media_type.strip().lower(), charset


def _text(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ClientError(400, f"the {what} is not UTF-8: {error}") from error


def _graphs(params: list[tuple[str, str]], name: str) -> list[NamedNode]:
    return _graphs_or_none(params, name) or []


def _graphs_or_none(params: list[tuple[str, str]], name: str) -> list[NamedNode] | None:
    values = [v for n, v in params if n == name]
    if not values:
        return None
    try:
        return [NamedNode(v) for v in values]
    except ValueError as error:
        raise ClientError(400, f"{name} is not an IRI: {error}") from error


def _iris(nodes: list[NamedNode] | None) -> tuple[str, ...] | None:
    return None if nodes is None else tuple(node.value for node in nodes)


def _choose(
    query: QueryRequest,
    by_name: Callable[[str], F | None],
    formats: Sequence[F],
    accept_aliases: Mapping[str, str],
) -> tuple[str | None, str]:
    """The media type to answer in, or None and why not (406).

    `format=` (a name or a media type) wins over Accept, so a browser link can choose.
    Chosen for results and for graphs alike, before the kind of query is known.
    """
    if query.format_override:
        chosen = by_name(query.format_override)
        if chosen is None:
            names = ", ".join(f.name for f in formats)
            return None, f"format={query.format_override!r} is not one of: {names}"
        return chosen.media_type, ""
    offers: list[str] = [f.media_type for f in formats]
    media_type = negotiate(query.accept, [*offers, *accept_aliases])
    if media_type is None:
        return None, f"cannot answer in {quoted(query.accept)}; available: {', '.join(offers)}"
    return accept_aliases.get(media_type, media_type), ""
