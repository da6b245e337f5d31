"""Client errors: a status and a message, never a traceback."""

from __future__ import annotations


class ClientError(Exception):
    """A 4xx answer with a message meant for the person or program that sent the request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
