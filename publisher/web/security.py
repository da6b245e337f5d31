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
REFERRER_POLICY = "strict-origin-when-cross-origin"
# Also set by the 500 handler: Starlette answers those outside every middleware.
EVERY_ANSWER = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": REFERRER_POLICY}
_EVERY_ANSWER = [
    (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in EVERY_ANSWER.items()
]
_FRAMES = (b"x-frame-options", b"DENY")
# Every page, the API documentation too (its Swagger UI is vendored and started from a file).
_POLICY = CONTENT_SECURITY_POLICY.encode("latin-1")  # frame-ancestors, for browsers that predate it


class SecurityHeaders:
    """ASGI middleware: adds the headers above to each response as it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        page_headers = [(b"content-security-policy", _POLICY), _FRAMES]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = list(_EVERY_ANSWER)
                # A page that sets its own policy sets its own framing rule too (the
                # reconciliation preview, which OpenRefine shows in a frame).
                if _is_html(headers) and b"content-security-policy" not in names:
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
