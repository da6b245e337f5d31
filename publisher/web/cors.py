"""CORS: any web page may read what we publish and query /sparql.

Every answer carries `Access-Control-Allow-Origin: *`, whether or not the request had an
`Origin`, so an answer never varies by origin (caches and `Vary: Accept` stay simple;
Starlette's CORSMiddleware adds `Vary: Origin` instead). Preflight requests (OPTIONS
with `Origin` and `Access-Control-Request-Method`) are answered here. No credentials
(cookies) are involved: writes need the bearer token, which a page must have been given.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class OpenCORS:
    def __init__(
        self, app: ASGIApp, *, methods: Sequence[str], expose: Sequence[str], max_age: int
    ) -> None:
        self.app = app
        self.methods = ", ".join(methods)
        self.max_age = str(max_age)
        self.extra = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", ", ".join(expose).encode("latin-1")),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                preflight = Response(
                    status_code=204,
                    headers={
                        "Access-Control-Allow-Origin": "*",
                        "Access-Control-Allow-Methods": self.methods,
                        "Access-Control-Allow-Headers": headers.get(
                            "access-control-request-headers", ""
                        ),
                        "Access-Control-Max-Age": self.max_age,
                        "Vary": "Access-Control-Request-Headers",
                    },
                )
                await preflight(scope, receive, send)
                return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.extra]
            await send(message)

        await self.app(scope, receive, send_with_cors)
