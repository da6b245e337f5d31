"""The OpenAPI description: every route, every answer it can give, every media type.

FastAPI sees our handlers as taking a bare `Request` and returning a `Response`, so on
its own it documents a JSON 200 for each and nothing else. Most of what we serve is
negotiated (Turtle, JSON-LD, N-Triples, RDF/XML, HTML; SPARQL results in four formats)
and most errors are plain-text 4xx answers, so the description is written here, in one
table, and merged into what FastAPI generates. The routes FastAPI leaves out (landing
page, robots.txt, static files) are added, so that clients and schemathesis
(tests/test_openapi_schemathesis.py) see the whole service.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from publisher.harvest.feed import ACTIVITY_JSON
from publisher.harvest.feed import MEDIA_TYPE as ACTIVITY_JSONLD
from publisher.web.formats import GRAPH_FORMATS, RESULTS_FORMATS

Json = dict[str, Any]
HTML = "text/html"
TEXT = "text/plain"
JSON = "application/json"
XML = "application/xml"
RDF = [f.media_type for f in GRAPH_FORMATS]
RESULTS = [f.media_type for f in RESULTS_FORMATS]
STRING: Json = {"type": "string"}
OBJECT: Json = {"type": "object"}
# What a JSON body must look like, where a client relies on its shape.
SCHEMAS: dict[str, Json] = {
    "application/sparql-results+json": {
        "type": "object",
        "required": ["head"],
        "properties": {"head": OBJECT, "results": OBJECT, "boolean": {"type": "boolean"}},
    },
    "application/ld+json": {"type": ["object", "array"]},
    ACTIVITY_JSONLD: OBJECT,
    ACTIVITY_JSON: OBJECT,
    JSON: OBJECT,
}

WHY: dict[int, str] = {
    200: "OK",
    201: "Created (Location names the new graph)",
    204: "Done; no body",
    206: "Partial content (a Range request)",
    300: "Several resources carry this identifier; the body lists them",
    301: "Moved permanently (Location)",
    303: "See Other: the resource published for this identifier (Location)",
    304: "Not modified (the client's ETag or date still holds)",
    400: "Bad request: the message says what is wrong",
    401: "Missing or wrong write token (Authorization: Bearer ...)",
    403: "Writes are not enabled on this server",
    404: "Nothing is published here",
    405: "Method not allowed for this operation",
    406: "None of the media types in Accept (or ?format=) can be served",
    410: "Published once and withdrawn",
    413: "The request body (or query) is over the configured limit",
    415: "The request body's media type or charset is not one we read",
    416: "The Range cannot be satisfied",
    422: "A path or query parameter has the wrong type",
    502: "A SERVICE the query federates to failed",
    503: "The store is busy or unavailable, or the query ran out of time (Retry-After)",
}


def _answer(status: int, media_types: Iterable[str] = ()) -> Json:
    """One documented answer: the reason, and the schema of each media type."""
    types = list(media_types) or ([TEXT] if status >= 400 else [])
    answer: Json = {"description": WHY[status]}
    if types:
        answer["content"] = {t: {"schema": SCHEMAS.get(t, STRING)} for t in types}
    return answer


def _answers(ok: dict[int, list[str]], errors: Iterable[int]) -> Json:
    """Successful answers with their media types; errors are plain text."""
    table = {str(status): _answer(status, types) for status, types in ok.items()}
    table.update({str(status): _answer(status) for status in errors})
    return table


def _query(name: str, description: str, schema: Json = STRING) -> Json:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


FORMAT = _query(
    "format",
    "Overrides Accept: html, " + ", ".join(f.name for f in GRAPH_FORMATS),
)
PAGE = _query("page", "Page number, from 1", {"type": "integer"})
REPRESENTATION = [*RDF, HTML]
REPRESENTED = _answers({200: REPRESENTATION, 304: []}, (400, 404, 406, 503))
SPARQL_PARAMETERS = [
    _query("query", "A SPARQL 1.1 query"),
    _query("default-graph-uri", "The default graph (an IRI)", {"type": "array", "items": STRING}),
    _query("named-graph-uri", "A named graph (an IRI)", {"type": "array", "items": STRING}),
    _query("format", "Overrides Accept for results: " + ", ".join(f.name for f in RESULTS_FORMATS)),
]
SPARQL_FORM: Json = {
    "type": "object",
    "properties": {
        "query": STRING,
        "update": STRING,
        "default-graph-uri": STRING,
        "named-graph-uri": STRING,
        "using-graph-uri": STRING,
        "using-named-graph-uri": STRING,
    },
}
SPARQL_ANSWERS = _answers(
    {200: [*RESULTS, *RDF, HTML], 204: []}, (400, 401, 403, 405, 406, 413, 415, 502, 503)
)
GSP_PARAMETERS = [
    _query("graph", "The graph (an absolute IRI)"),
    _query("default", "Present: the default graph", {"type": "string", "enum": [""]}),
]
GSP_BODY: Json = {
    "content": {t: {"schema": STRING} for t in [*RDF, "multipart/form-data"]},
}
GSP_WRITE = _answers({201: [], 204: []}, (400, 401, 403, 404, 413, 415, 503))
HTML_OR_JSON = [HTML, JSON]
# A path whose number is not a number is not this route's: the resource route answers
# it (400 for what is no IRI, 404 for what is not published).
FALLS_THROUGH = (400, 404, 406, 410, 422, 503)
DUMP_TYPES = ["application/gzip", "application/octet-stream"]

# path -> method -> what to merge into FastAPI's operation (or the whole operation, for
# routes FastAPI leaves out). "head" mirrors "get" unless given.
OPERATIONS: dict[str, dict[str, Json]] = {
    "/": {"get": {"summary": "Landing page", "responses": _answers({200: [HTML]}, (503,))}},
    "/robots.txt": {"get": {"summary": "robots.txt", "responses": _answers({200: [TEXT]}, ())}},
    "/static/{file}": {
        "get": {
            "summary": "Scripts and styles of the query page",
            "parameters": [{"name": "file", "in": "path", "required": True, "schema": STRING}],
            "responses": _answers(
                {200: ["text/javascript", "text/css", "application/octet-stream"], 304: []},
                (404, 405),
            ),
        }
    },
    "/sparql": {
        "get": {"parameters": SPARQL_PARAMETERS, "responses": SPARQL_ANSWERS},
        "post": {
            "parameters": SPARQL_PARAMETERS[1:],
            "requestBody": {
                "content": {
                    "application/x-www-form-urlencoded": {"schema": SPARQL_FORM},
                    "application/sparql-query": {"schema": STRING},
                    "application/sparql-update": {"schema": STRING},
                }
            },
            "responses": SPARQL_ANSWERS,
        },
    },
    "/rdf-graphs/service": {
        "get": {
            "parameters": GSP_PARAMETERS,
            "responses": _answers({200: RDF}, (400, 403, 404, 406, 503)),
        },
        "put": {"parameters": GSP_PARAMETERS, "requestBody": GSP_BODY, "responses": GSP_WRITE},
        "post": {"parameters": GSP_PARAMETERS, "requestBody": GSP_BODY, "responses": GSP_WRITE},
        "delete": {
            "parameters": GSP_PARAMETERS,
            "responses": _answers({204: []}, (400, 401, 403, 404, 503)),
        },
    },
    **{
        f"/{listing}": {"get": {"parameters": [PAGE, FORMAT], "responses": REPRESENTED}}
        for listing in ("articles", "journals", "people", "trials")
    },
    **{
        f"/{kind}/{{identifier}}": {
            "get": {"responses": _answers({300: [TEXT], 303: [TEXT]}, (400, 404, 422, 503))}
        }
        for kind in ("doi", "pmid", "issn", "orcid", "nct", "eudract", "drks", "isrctn")
    },
    "/sitemap.xml": {"get": {"responses": _answers({200: [XML]}, (503,))}},
    "/sitemaps/{number}.xml": {"get": {"responses": _answers({200: [XML]}, FALLS_THROUGH)}},
    "/.well-known/void": {"get": {"parameters": [FORMAT], "responses": REPRESENTED}},
    "/dataset": {"get": {"parameters": [FORMAT], "responses": REPRESENTED}},
    "/dumps": {
        "get": {"summary": "The dumps listing's old address", "responses": _answers({301: []}, ())}
    },
    "/dumps/": {
        "get": {
            "parameters": [_query("format", "html or json")],
            "responses": _answers({200: HTML_OR_JSON}, (503,)),
        }
    },
    "/dumps/{name}": {
        "get": {
            "responses": _answers(
                {200: [*DUMP_TYPES, TEXT, JSON], 206: [], 304: []}, (404, 416, 503)
            )
        }
    },
    "/changes": {"get": {"responses": _answers({200: [ACTIVITY_JSONLD, ACTIVITY_JSON]}, (503,))}},
    "/changes/{number}": {
        "get": {"responses": _answers({200: [ACTIVITY_JSONLD, ACTIVITY_JSON]}, FALLS_THROUGH)}
    },
    "/search": {
        "get": {
            "parameters": [_query("format", "html or json")],
            "responses": _answers({200: HTML_OR_JSON}, (422, 503)),
        }
    },
    "/ontology": {"get": {"parameters": [FORMAT], "responses": REPRESENTED}},
    "/{path}": {
        "get": {
            "parameters": [FORMAT, _query("embed", "Present: only the JSON-LD <script> block")],
            "responses": _answers({200: REPRESENTATION, 304: []}, (400, 404, 406, 410, 503)),
        }
    },
}
# Routes FastAPI leaves out of its description that answer HEAD as well as GET.
HEAD_TOO = ("/robots.txt", "/dumps", "/static/{file}")


def install(app: FastAPI) -> None:
    """Serve the complete description at /openapi.json (built once, on first ask)."""

    def openapi() -> Json:
        if app.openapi_schema is None:
            with warnings.catch_warnings():
                # One handler serves several methods or paths, so FastAPI's operation ids
                # repeat (and it warns); `complete` gives each its own.
                warnings.filterwarnings("ignore", "Duplicate Operation ID")
                schema = get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            app.openapi_schema = complete(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: Json) -> Json:
    """FastAPI's description with our answers, parameters and bodies merged in."""
    paths: Json = schema.setdefault("paths", {})
    for path, methods in OPERATIONS.items():
        item = paths.setdefault(path, {})
        for method, extra in methods.items():
            _merge(item, method, extra)
            if method == "get" and ("head" in item or path in HEAD_TOO):
                _merge(item, "head", _headless(extra))
    for path, item in paths.items():
        for method, operation in item.items():
            operation["operationId"] = f"{method}{_identifier(path)}"
    return schema


def _merge(item: Json, method: str, extra: Json) -> None:
    """Our parameters added to FastAPI's (path parameters stay FastAPI's), our answers
    replacing its generic JSON 200; FastAPI's 422 kept where it validates parameters."""
    operation = item.setdefault(method, {"responses": {}})
    known = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
    added = [p for p in extra.get("parameters", []) if (p["name"], p["in"]) not in known]
    if added or "parameters" in operation:
        operation["parameters"] = [*operation.get("parameters", []), *added]
    generated = operation.get("responses", {})
    responses = {**extra["responses"]}
    if "422" in generated and "422" in responses:
        responses["422"] = generated["422"]
    operation["responses"] = responses
    for key in ("summary", "requestBody"):
        if key in extra:
            operation[key] = extra[key]


def _headless(extra: Json) -> Json:
    """HEAD: the same answers without bodies."""
    responses = {
        status: {k: v for k, v in answer.items() if k != "content"}
        for status, answer in extra["responses"].items()
    }
    return {**extra, "responses": responses}


def _identifier(path: str) -> str:
    """`/sitemaps/{number}.xml` -> `_sitemaps__number__xml`: unique per path and method."""
    return "".join(c if c.isalnum() else "_" for c in path) if path != "/" else "_root"
