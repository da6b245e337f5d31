"""schemathesis against our own OpenAPI description, in-process (ASGI) over a store
with the bundled example records: no 5xx anywhere, and every answer (status, media
type, JSON body, headers) is one the description documents.

Normal suite: a few cases per operation; `PUBLISHER_FUZZ=dedicated` runs 200 each.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from conftest import BASE
from fuzzing import DEDICATED
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Mount
from starlette.testclient import TestClient

from publisher.config import Settings
from publisher.store.factory import open_store
from publisher.web.app import create_app

EXAMPLES = 200 if DEDICATED else 8
STATUSES: Counter[str] = Counter()  # answers that passed every check, by status class
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def api(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> BaseSchema:
    settings = Settings(
        store=example_store,
        base_uri=BASE,
        dumps=tmp_path_factory.mktemp("dumps"),
        query_workers=1,
        query_timeout=10,
    )
    app = create_app(settings, open_store(settings, read_only=True))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def operations(schema: BaseSchema) -> list[APIOperation]:
    return [result.ok() for result in schema.get_all_operations()]


def run_operation(operation: APIOperation, examples: int) -> list[str]:
    """`examples` generated requests to one operation, valid and invalid ones; the
    failures found (schemathesis shrinks each to a minimal request)."""
    strategy = operation.as_strategy(GenerationMode.POSITIVE)
    # Nothing to make invalid (no parameters): valid requests only.
    with contextlib.suppress(Exception):
        strategy = strategy | operation.as_strategy(GenerationMode.NEGATIVE)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=not DEDICATED,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case: Case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        STATUSES[f"{response.status_code // 100}xx"] += 1

    try:
        run()
    except BaseException as error:  # report every operation's failures, not the first
        return [f"{operation.label}: {error}"]
    return []


def test_every_operation_conforms(api: BaseSchema) -> None:
    STATUSES.clear()
    every = operations(api)
    failures = [f for op in every for f in run_operation(op, EXAMPLES)]
    figures = {"operations": len(every), "conforming requests": sum(STATUSES.values())}
    print(json.dumps({**figures, **dict(sorted(STATUSES.items())), "failures": len(failures)}))
    assert not failures, "\n\n".join(failures)


def test_every_route_is_described(api: BaseSchema) -> None:
    """No route without its description: each path the application answers (FastAPI's
    own documentation pages aside) is in /openapi.json, with every method, and every
    operation documents more than FastAPI's placeholder JSON 200."""
    app = api.app
    spec = app.openapi()
    own_docs = {app.openapi_url, app.docs_url, app.swagger_ui_oauth2_redirect_url}
    for route in app.routes:
        path = getattr(route, "path", "")
        if path in own_docs:
            continue
        described = re.sub(r"\{(\w+)(?::\w+)?\}", r"{\1}", path)
        if isinstance(route, Mount):
            described += "/{file}"
        assert described in spec["paths"], path
        methods = getattr(route, "methods", None) or {"GET", "HEAD"}
        assert {m.lower() for m in methods} <= set(spec["paths"][described]), path
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation["responses"].get("200", {}).get("content") != {
                "application/json": {"schema": {}}
            }, f"{method} {path}"


def test_rdf_media_types_are_described(api: BaseSchema) -> None:
    """A resource and /sparql list each RDF serialisation (and the SPARQL results
    formats) they negotiate."""
    paths = api.app.openapi()["paths"]
    resource = set(paths["/{path}"]["get"]["responses"]["200"]["content"])
    rdf = {"text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"}
    assert resource == {*rdf, "text/html"}
    results = {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    }
    for method in ("get", "post"):
        assert set(paths["/sparql"][method]["responses"]["200"]["content"]) == {
            *rdf,
            *results,
            "text/html",
        }


def test_a_path_no_route_takes_is_a_plain_text_404(api: BaseSchema) -> None:
    """A line break in a path matches no route, not even the catch-all: Starlette's own
    404 then, but in plain text like every other error (schemathesis found it JSON)."""
    with TestClient(api.app) as client:
        response = client.get("/doi/10.1000%0Ax")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Not Found\n"


@pytest.mark.parametrize(
    ("page", "status", "message"),
    [
        ("99999999999999999999", 404, "page=99999999999999999999: there is no such page\n"),
        ("%C2%B2", 400, "page='²': pages are numbered 1, 2, 3, ...\n"),
    ],
)
def test_listing_page_numbers_schemathesis_found(
    api: BaseSchema, page: str, status: int, message: str
) -> None:
    """Two 500s schemathesis found: a page number past the store's OFFSET range, and a
    Unicode digit that `str.isdigit` takes and `int` refuses."""
    with TestClient(api.app) as client:
        response = client.get(f"/articles?page={page}")
    assert response.status_code == status
    assert response.text == message
