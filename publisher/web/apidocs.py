"""/api: the OpenAPI description shown with Swagger UI from our own files.

FastAPI's own documentation page loads Swagger UI from a CDN and starts it with an
inline script: blank offline, and it needed a looser Content-Security-Policy than every
other page. This page loads the vendored copy (static/swagger-ui, see its README) and a
start-up script file, so it works without the network under the same policy.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from publisher.web.queryui import STATIC_PATH

SWAGGER_UI_VERSION = "5.36.0"
DOCS_PATH = "/api"


def add_route(app: FastAPI, templates: Callable[[], Environment]) -> None:
    @app.get(
        DOCS_PATH,
        response_class=HTMLResponse,
        summary="This API's documentation (Swagger UI on /openapi.json)",
    )
    async def api_documentation() -> HTMLResponse:
        html = (
            templates()
            .get_template("api.html")
            .render(title=app.title, openapi=app.openapi_url, static=STATIC_PATH)
        )
        return HTMLResponse(html)
