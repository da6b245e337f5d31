"""The FastAPI application: landing page, SPARQL endpoint, ontology, and every minted IRI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyoxigraph import Literal, NamedNode, QuerySolutions, RdfFormat, Triple, parse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from publisher.config import Settings
from publisher.harvest.sidecar import Sidecar
from publisher.mapping.identity import alias_target
from publisher.mapping.vocab import ONTOLOGY, ONTOLOGY_PATH, SCHEMA, prefixes
from publisher.resources import data_path
from publisher.store.base import Store, StoreUnavailable
from publisher.store.executor import QueryExecutor, executor_for
from publisher.store.layout import Layout
from publisher.validation.summary import dataset_iri
from publisher.web import (
    addresses,
    apidocs,
    caching,
    gsp,
    harvest,
    jsonld,
    listings,
    openapi,
    queryui,
    reconcile,
    resolve,
    scholar,
    security,
    service_description,
    sparql,
)
from publisher.web.caching import uri_reference
from publisher.web.conneg import negotiate, quoted
from publisher.web.cors import OpenCORS
from publisher.web.errors import ClientError
from publisher.web.formats import (
    GRAPH_BY_MEDIA_TYPE,
    GRAPH_FORMATS,
    RESULTS_FORMATS,
    content_type,
    graph_format,
    serialize_graph,
)
from publisher.web.views import ResourceView, ViewBuilder

log = logging.getLogger(__name__)
HTML = "text/html"
# Ties go to the earlier offer: a client that says only */* (curl, most libraries) gets
# Turtle; browsers name text/html with a higher q than */*, so they get the page.
RESOURCE_OFFERS = [*(f.media_type for f in GRAPH_FORMATS), HTML]
SPARQL_RESULTS = [f.media_type for f in RESULTS_FORMATS]
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def create_app(settings: Settings, store: Store, executor: QueryExecutor | None = None) -> FastAPI:
    # Queries run in worker processes that can be killed (publisher.store.executor).
    executor = executor or executor_for(
        store,
        workers=settings.query_workers,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        max_bytes=settings.max_answer_bytes,
    )
    endpoint = sparql.Endpoint(settings, store, executor)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The query workers start in the background: resource pages need none of them,
        # so the server answers as soon as it listens (a query arriving meanwhile waits
        # for its worker, as it does when all are busy).
        starting = asyncio.create_task(executor.start())
        try:
            yield
        finally:
            if not starting.done():
                starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting  # a failed start was already seen by the queries waiting
            await executor.close()

    app = FastAPI(
        title="Scholarly Linked Data publisher",
        description="schema.org descriptions of scholarly articles and clinical trials, "
        "with SPARQL 1.1 and content negotiation.",
        docs_url=None,  # /api is ours: Swagger UI from our own files (publisher.web.apidocs)
        redoc_url=None,
        lifespan=lifespan,
    )
    # Any web page may query us (and read our resources); writes still need the token.
    app.add_middleware(
        OpenCORS,
        methods=["GET", "HEAD", "POST", "PUT", "DELETE"],
        expose=[sparql.TRUNCATED_HEADER, sparql.MAX_ROWS_HEADER, "Location", "ETag", "Link"],
        max_age=86400,
    )
    # nosniff and Referrer-Policy on every answer, a Content-Security-Policy on pages.
    app.add_middleware(security.SecurityHeaders)
    base = settings.base_uri
    layout = Layout(base)
    views = ViewBuilder(base, store)
    ontology = _load_ontology()
    # Before the catch-all route below, or that would answer for /static/... too.
    app.mount(queryui.STATIC_PATH, StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(ClientError)
    async def client_error(_: Request, error: ClientError) -> Response:
        return PlainTextResponse(
            error.message + "\n", status_code=error.status, headers=error.headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def routing_error(_: Request, error: StarletteHTTPException) -> Response:
        # Starlette's own refusals (no route takes a path with a line break in it, a
        # method a route lacks): plain text like every other error here, not JSON.
        return PlainTextResponse(
            f"{error.detail}\n", status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(StoreUnavailable)
    async def store_down(_: Request, error: StoreUnavailable) -> Response:
        # A remote store that stays down: the client may try again shortly.
        log.error("%s", error)
        return PlainTextResponse(
            "the store is unavailable; try again shortly\n",
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        return PlainTextResponse(
            "internal error; the server log has the details\n",
            status_code=500,
            headers=security.EVERY_ANSWER,
        )

    ingested_with: list[str | None] = []  # the store's base URI, read on first need

    def address_warnings(request: Request) -> list[str]:
        """The landing page's warnings when the IRIs do not lead to where it was opened
        (publisher.web.addresses; `serve` prints the same at start)."""
        if not ingested_with:
            ingested_with.append(addresses.store_base(store, base))
        return addresses.warnings(base, ingested_with[0], str(request.base_url))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def landing(request: Request) -> HTMLResponse:
        listing = await run_in_threadpool(_landing_listing, store, harvested.sidecar)
        warnings = await run_in_threadpool(address_warnings, request)
        html = (
            _templates().get_template("index.html").render(base=base, warnings=warnings, **listing)
        )
        return HTMLResponse(html)

    @app.api_route("/sparql", methods=["GET", "POST"], summary="SPARQL 1.1 query endpoint")
    async def sparql_endpoint(request: Request) -> Response:
        operation = await endpoint.parse(request)
        if operation is None:
            # RDF asked for: the SPARQL 1.1 Service Description.
            description = service_description.response(request, settings)
            if description is not None:
                return description
            # The form only for clients that prefer HTML to results (browsers): `*/*` alone
            # (curl, libraries) ties, the tie goes to results, and the answer is the 400.
            if negotiate(request.headers.get("accept"), [*SPARQL_RESULTS, HTML]) == HTML:
                examples = _example_query()
                html = (
                    _templates()
                    .get_template("sparql.html")
                    .render(
                        example=examples,
                        config=queryui.page_config(),
                        static=queryui.STATIC_PATH,
                    )
                )
                return HTMLResponse(html, headers={"Vary": "Accept"})
            raise ClientError(400, "missing the query parameter (SPARQL 1.1 Protocol: ?query=...)")
        return await endpoint.run(operation)

    apidocs.add_route(app, _templates)  # /api, before the catch-all route below
    gsp.add_routes(app, endpoint)  # before the catch-all route below
    resolve.add_routes(app, base, store)  # /doi/..., /issn/..., /nct/...: 303 to ours
    harvested = harvest.add_routes(
        app,
        settings,
        store,
        lambda request, iri, triples: _represent(request, iri, triples, base, views),
        _templates,
    )  # VoID, sitemaps, dumps, change feed, search: also before the catch-all route
    # /articles, /people, ...: from the side database's listing index when it has one
    listings.add_routes(app, base, store, _templates, _media_type, harvested.sidecar)
    reconcile.add_routes(app, base, settings.title, store, harvested.sidecar)  # OpenRefine

    @app.get(f"/{ONTOLOGY_PATH}", summary="The publisher's own vocabulary")
    async def ontology_document(request: Request) -> Response:
        # Every deployment publishes the vocabulary here; the document is about the
        # vocabulary's own, fixed IRI (ONTOLOGY), the same for every deployment.
        here = NamedNode(base + ONTOLOGY_PATH)
        return _represent(request, here, ontology, base, views, topic=NamedNode(ONTOLOGY))

    @app.api_route(
        "/{path:path}",
        methods=["GET", "HEAD"],
        summary="Any minted IRI: content negotiation between RDF formats and HTML",
    )
    async def resource(request: Request, path: str) -> Response:
        try:
            iri = NamedNode(base + path)
        except ValueError as error:
            raise ClientError(400, f"not a valid IRI: {error}") from error
        return await run_in_threadpool(describe, request, iri)

    def describe(request: Request, iri: NamedNode) -> Response:
        """Read and represent in one trip to the thread pool: every resource page's path."""
        description = store.describe_view(iri, layout.provenance)
        if not description.triples and iri.value.startswith(layout.graphs):
            # A source record (or its validation report) is a named graph, described
            # by its own PROV-O statements inside it, not by the published view.
            description = store.describe_sources(iri)
        if canonical := alias_target(iri, description.triples):
            # Joined with another resource (a shared ISSN, ORCID iD, trial number): the
            # view describes it under one IRI and says this one is the same.
            return PlainTextResponse(
                f"See Other: {canonical.value}\n",
                status_code=303,
                headers={"Location": uri_reference(canonical.value)},
            )
        if not description.triples:
            if harvested.gone(iri.value):
                raise ClientError(410, f"{iri.value} was published and has been withdrawn")
            raise ClientError(404, f"nothing is published about {iri.value}")
        return _represent(request, iri, description.triples, base, views, description.modified)

    openapi.install(app)  # every route, every answer and media type: see publisher.web.openapi
    return app


def _page_variant(view: ResourceView, embed: bool, modified: datetime | None) -> str:
    stamp = modified.isoformat() if modified else ""
    if embed:
        return f"embed {view.container or ''} {stamp}"
    sources = " ".join(f"{s.link.text}@{s.read}" for s in view.sources)
    differences = repr(view.differences)
    return f"{HTML} {view.container or ''} {stamp} {sources} {differences}"


def _media_type(request: Request) -> str:
    """The representation asked for: `?format=` when given, else negotiated on Accept."""
    override = request.query_params.get("format")
    if override:
        fmt = graph_format(override)
        wants_html = override.strip().lower() in ("html", HTML)
        media_type = HTML if wants_html else (fmt.media_type if fmt else None)
        if media_type is None:
            names = ", ".join(f.name for f in GRAPH_FORMATS)
            raise ClientError(406, f"format={override!r} is not one of: html, {names}")
    else:
        accept = request.headers.get("accept")
        media_type = negotiate(accept, RESOURCE_OFFERS)
        if media_type is None:
            raise ClientError(
                406, f"cannot serve {quoted(accept)}; available: {', '.join(RESOURCE_OFFERS)}"
            )
    return media_type


def _represent(
    request: Request,
    iri: NamedNode,
    triples: list[Triple],
    base: str,
    views: ViewBuilder,
    modified: datetime | None = None,
    topic: NamedNode | None = None,
) -> Response:
    """One representation of a description, with its validators (ETag, Last-Modified:
    `modified`, see publisher.web.caching) and Link headers; 304 when the client has it.
    `?embed` answers just the page's JSON-LD <script> block. `iri` is where it is served,
    `topic` what it describes when that is another IRI (the vocabulary's fixed one)."""
    about = topic or iri
    embed = "embed" in request.query_params
    media_type = HTML if embed else _media_type(request)
    view = views.resource(about, triples) if media_type == HTML else None
    if view is not None and not embed:
        views.provenance(view)
    # A page also shows its journal chain and its sources (with what they disagree on),
    # and its JSON-LD says when it changed: part of what it is made of.
    variant = _page_variant(view, embed, modified) if view else media_type
    headers = {
        "Vary": "Accept",
        "ETag": caching.etag(triples, variant),
        "Link": _links(iri, base, None if embed else media_type),
    }
    if modified is not None:
        headers["Last-Modified"] = caching.http_date(modified)
    if caching.not_modified(request.headers, headers["ETag"], modified):
        return Response(status_code=304, headers=headers)
    if view is not None:
        document = scholar.page_document(views, about, triples, modified, view)
        if embed:
            return HTMLResponse(jsonld.script_element(document) + "\n", headers=headers)
        html = (
            _templates()
            .get_template("resource.html")
            .render(
                view=view,
                jsonld_script=jsonld.script_element(document),
                citation_meta=scholar.citation_meta(view, triples),
                alternates=[(f.media_type, f.name) for f in GRAPH_FORMATS],
            )
        )
        return HTMLResponse(html, headers=headers)
    body = serialize_graph(triples, GRAPH_BY_MEDIA_TYPE[media_type], about)
    return Response(body, media_type=content_type(media_type), headers=headers)


def _links(iri: NamedNode, base: str, served: str | None) -> str:
    """Link: the resource's other formats (`?format=`) and the dataset it belongs to."""
    formats = [(f.media_type, f.name) for f in GRAPH_FORMATS] + [(HTML, "html")]
    links: list[tuple[str, dict[str, str]]] = [
        (f"{iri.value}?format={name}", {"rel": "alternate", "type": media_type})
        for media_type, name in formats
        if media_type != served
    ]
    dataset = dataset_iri(base)
    if iri != dataset:
        links.append((dataset.value, {"rel": "describedby"}))
    return caching.link_header(links)


def _load_ontology() -> list[Triple]:
    """The vocabulary file, as it is: its IRIs are absolute (the fixed namespace)."""
    path = data_path("ontology", "publisher.ttl")
    return [quad.triple for quad in parse(path=path, format=RdfFormat.TURTLE)]


LANDING = {"articles": "articles", "periodicals": "journals", "trials": "trials"}


def _landing_listing(store: Store, sidecar: Sidecar) -> dict[str, object]:
    """The first page of the article, journal and trial listings (publisher.web.listings:
    from the side database's index, so the landing page costs the same at any size),
    with the articles' publication dates; and how many there are of each."""
    pages = {
        key: listings.fetch_page(store, listings.BY_PATH[path], 1, sidecar)
        for key, path in LANDING.items()
    }
    dates = _dates(store, [item.iri for item in pages["articles"].items])
    out: dict[str, object] = {
        key: [(item.iri, item.label, dates.get(item.iri, "")) for item in page.items]
        for key, page in pages.items()
    }
    out["totals"] = {key: page.total for key, page in pages.items()}
    return out


def _dates(store: Store, articles: list[str]) -> dict[str, str]:
    if not articles:
        return {}
    listed = " ".join(str(NamedNode(iri)) for iri in articles)
    result = store.query(
        f"SELECT ?item (SAMPLE(?d) AS ?date) WHERE {{ VALUES ?item {{ {listed} }}"
        f" ?item <{SCHEMA}datePublished> ?d }} GROUP BY ?item"
    )
    assert isinstance(result, QuerySolutions)
    return {
        row["item"].value: row["date"].value
        for row in result
        if isinstance(row["item"], NamedNode) and isinstance(row["date"], Literal)
    }


def _example_query() -> str:
    lines = [f"PREFIX {p}: <{ns}>" for p, ns in prefixes().items() if p in ("schema", "bibo")]
    lines += [
        "SELECT ?article ?title WHERE {",
        "  ?article a schema:ScholarlyArticle ; schema:name ?title .",
        "} LIMIT 10",
    ]
    return "\n".join(lines)
