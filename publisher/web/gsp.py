"""The SPARQL 1.1 Graph Store HTTP Protocol, indirect graph identification.

`/rdf-graphs/service?graph=IRI` (a named graph) or `/rdf-graphs/service?default` (the
store's own default graph, which is not the union that queries see). Off unless updates
are enabled; then GET and HEAD are open to anyone (they only read, like a query), and
PUT, POST and DELETE need `Authorization: Bearer <write token>`.
https://www.w3.org/TR/sparql11-http-rdf-update/
"""

from __future__ import annotations

import uuid
from email.parser import BytesParser
from email.policy import HTTP

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, Triple, parse
from starlette.concurrency import run_in_threadpool

from publisher.web.conneg import negotiate, quoted
from publisher.web.errors import ClientError
from publisher.web.formats import (
    GRAPH_ACCEPT_ALIASES,
    GRAPH_BY_MEDIA_TYPE,
    GRAPH_FORMATS,
    content_type,
    serialize_graph,
)
from publisher.web.sparql import Endpoint, content_type_and_charset, read_body

PATH = "/rdf-graphs/service"
DISABLED = (
    "the Graph Store Protocol is not enabled: this endpoint is read-only (the operator can"
    " enable it with PUBLISHER_ENABLE_UPDATES=true and a PUBLISHER_WRITE_TOKEN, or"
    " `publisher serve --enable-updates`)"
)
BODY_FORMATS = {
    "text/turtle": RdfFormat.TURTLE,
    "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "text/plain": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
}
MULTIPART = "multipart/form-data"
OFFERS = [f.media_type for f in GRAPH_FORMATS]


def add_routes(app: FastAPI, endpoint: Endpoint) -> None:
    @app.api_route(
        PATH,
        methods=["GET", "HEAD", "PUT", "POST", "DELETE"],
        summary="SPARQL 1.1 Graph Store HTTP Protocol (when updates are enabled)",
    )
    async def graph_store(request: Request) -> Response:
        return await GraphStore(endpoint).handle(request)


class GraphStore:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.store = endpoint.store

    async def handle(self, request: Request) -> Response:
        if not self.endpoint.settings.enable_updates:
            raise ClientError(403, DISABLED)
        method = request.method
        named, graph = _target(request)
        if method in ("GET", "HEAD"):
            if not named and graph is None and "default" not in request.query_params:
                raise ClientError(400, "name the graph: ?graph=IRI, or ?default")
            return await self.get(request, graph, head=method == "HEAD")
        self.endpoint.require_write_access(request, DISABLED)
        if method == "POST" and not named and "default" not in request.query_params:
            # POST to the graph store itself: a new graph, named by us (GSP 5.5).
            new = NamedNode(f"{self.endpoint.settings.base_uri}graph/gsp/{uuid.uuid4()}")
            triples = await self.body(request, new)
            await self.endpoint.write(lambda: self.store.add_to_graph(new, triples))
            return Response(status_code=201, headers={"Location": new.value})
        if not named and "default" not in request.query_params:
            raise ClientError(400, "name the graph: ?graph=IRI, or ?default")
        if method == "DELETE":
            if not await run_in_threadpool(self.store.graph_exists, graph):
                raise ClientError(404, f"no graph {graph}")
            await self.endpoint.write(lambda: self.store.drop_graph(graph))
            return Response(status_code=204)
        triples = await self.body(request, graph)
        existed = await run_in_threadpool(self.store.graph_exists, graph)
        if method == "PUT":
            await self.endpoint.write(lambda: self.store.put_graph(graph, triples))
        else:
            await self.endpoint.write(lambda: self.store.add_to_graph(graph, triples))
        return Response(status_code=204 if existed else 201)

    async def get(self, request: Request, graph: NamedNode | None, *, head: bool) -> Response:
        accept = request.headers.get("accept")
        chosen = negotiate(accept, [*OFFERS, *GRAPH_ACCEPT_ALIASES])
        if chosen is None:
            available = ", ".join(OFFERS)
            raise ClientError(406, f"cannot answer in {quoted(accept)}; available: {available}")
        graph_format = GRAPH_BY_MEDIA_TYPE[GRAPH_ACCEPT_ALIASES.get(chosen, chosen)]
        if not await run_in_threadpool(self.store.graph_exists, graph):
            raise ClientError(404, f"no graph {graph}")
        headers = {"Vary": "Accept"}
        media_type = content_type(graph_format.media_type)
        if head:
            return Response(media_type=media_type, headers=headers)
        triples = await run_in_threadpool(self.store.graph_triples, graph)
        body = await run_in_threadpool(serialize_graph, triples, graph_format)
        return Response(body, media_type=media_type, headers=headers)

    async def body(self, request: Request, graph: NamedNode | None) -> list[Triple]:
        """The RDF sent, as triples; relative IRIs resolve against the graph's IRI."""
        header = request.headers.get("content-type", "")
        media_type, charset = content_type_and_charset(header)
        if charset not in (None, "utf-8", "utf8"):
            raise ClientError(415, f"send RDF as UTF-8, not {charset}")
        data = await read_body(request, self.endpoint.settings.max_update_bytes)
        base = graph.value if graph is not None else self.endpoint.settings.base_uri + PATH[1:]
        if request.method == "POST" and media_type == MULTIPART:
            triples: list[Triple] = []
            for part_type, part in _multipart(header, data):
                triples += _parse(part, part_type, base)
            return triples
        return _parse(data, media_type, base)


def _target(request: Request) -> tuple[bool, NamedNode | None]:
    """(True, graph) for ?graph=IRI; (False, None) for ?default or no graph named."""
    graphs = request.query_params.getlist("graph")
    default = "default" in request.query_params
    if graphs and default:
        raise ClientError(400, "name one graph: ?graph=IRI or ?default, not both")
    if len(graphs) > 1:
        raise ClientError(400, "name one graph: one graph parameter")
    if not graphs:
        return False, None
    try:
        return True, NamedNode(graphs[0])
    except ValueError as error:
        raise ClientError(400, f"graph is not an absolute IRI: {error}") from error


def _parse(data: bytes, media_type: str, base: str) -> list[Triple]:
    rdf_format = BODY_FORMATS.get(media_type)
    if rdf_format is None:
        names = ", ".join(BODY_FORMATS)
        raise ClientError(415, f"send the graph as one of: {names}; not {media_type or 'nothing'}")
    try:
        quads = list(parse(data, format=rdf_format, base_iri=base))
    except (SyntaxError, ValueError) as error:
        raise ClientError(400, f"the {media_type} body does not parse: {error}") from error
    if any(not isinstance(quad.graph_name, DefaultGraph) for quad in quads):
        raise ClientError(400, "the body names graphs; send the triples of one graph")
    return [quad.triple for quad in quads]


def _multipart(header: str, data: bytes) -> list[tuple[str, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + header.encode("latin-1") + b"\r\n\r\n" + data
    )
    if not message.is_multipart():
        raise ClientError(400, "the multipart/form-data body does not parse")
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            raise ClientError(400, "a part of the multipart/form-data body does not parse")
        parts.append((part.get_content_type(), payload))
    return parts
