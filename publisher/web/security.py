"""Security headers on every answer, and a Content-Security-Policy on pages.

Record text is escaped in our pages (Jinja autoescape, JSON-LD with `<` as `\\u003c`);
the policy is the second line of defence should an escape ever be missed: a page may
run only scripts from our own origin (no inline script, no `javascript:` URL, no script
from elsewhere), fetch only from us, and not be framed. Inline `style` is allowed: the
templates and YASGUI use it, and it cannot run code. JSON-LD data blocks are not scripts
to the browser and need no exception.

`X-Content-Type-Options: nosniff` and `Referrer-Policy` go on every answer (a Turtle or
plain-text error answer must never be sniffed as HTML either).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API documentation page (FastAPI's Swagger UI) shows no record content; it is
# FastAPI's own page, an inline script and the Swagger UI bundle from its CDN.
DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
REFERRER_POLICY = "strict-origin-when-cross-origin"
# Also set by the 500 handler: Starlette answers those outside every middleware.
EVERY_ANSWER = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": REFERRER_POLICY}
_EVERY_ANSWER = [
    (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in EVERY_ANSWER.items()
]
_FRAMES = (b"x-frame-options", b"DENY")  # frame-ancestors, for browsers that predate it


class SecurityHeaders:
    """ASGI middleware: adds the headers above to each response as it starts."""

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        self.docs_paths = {path for path in docs_paths if path}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        policy = DOCS_POLICY if scope["path"] in self.docs_paths else CONTENT_SECURITY_POLICY
        page_headers = [(b"content-security-policy", policy.encode("latin-1")), _FRAMES]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = list(_EVERY_ANSWER)
                if _is_html(headers):
                    extra += page_headers
                headers += [(name, value) for name, value in extra if name not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return value.split(b";")[0].strip().lower() in (b"text/html", b"application/xhtml+xml")
    return False
