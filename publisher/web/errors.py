"""Errors answered with a status and a message, never a traceback."""

from __future__ import annotations

from collections.abc import Mapping


class ClientError(Exception):
    """An error answer (4xx, or 5xx such as a stopped query's 503) with a message meant for
    the person or program that sent the request, and any headers the status calls for."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
