"""The application built from the environment (PUBLISHER_*), for process managers:
`publisher serve --workers N` starts N uvicorn workers on it, and any ASGI server can run
`publisher.web.asgi:create` as a factory (`uvicorn --factory publisher.web.asgi:create`).

Each worker opens the store itself (the embedded one read-only, or the remote one over
HTTP) and keeps no state that another worker would need: see README "Deployment".
"""

from __future__ import annotations

from fastapi import FastAPI

from publisher.config import Settings
from publisher.store.factory import open_store
from publisher.store.legacy import check_namespace
from publisher.web.app import create_app


def create() -> FastAPI:
    settings = Settings()
    store = open_store(settings, read_only=not settings.enable_updates)
    try:
        check_namespace(store, settings.base_uri)  # LegacyStore: a message, no server
    except BaseException:
        store.close()
        raise
    return create_app(settings, store)
