"""Opening the configured store: the embedded one in a folder, or a remote SPARQL store."""

from __future__ import annotations

from publisher.config import Settings
from publisher.store.base import Store
from publisher.store.oxigraph import OxigraphStore
from publisher.store.remote import RemoteConfig, RemoteStore


def remote_config(settings: Settings) -> RemoteConfig:
    """The remote store's settings; only our own graphs (under the base URI) count."""
    assert settings.sparql_query is not None and settings.sparql_update is not None
    return RemoteConfig(
        query_url=settings.sparql_query,
        update_url=settings.sparql_update,
        graph_store_url=settings.sparql_store,
        user=settings.sparql_user,
        password=_secret(settings.sparql_password),
        token=_secret(settings.sparql_token),
        auth_scheme=settings.sparql_auth,
        timeout=settings.sparql_timeout,
        retries=settings.sparql_retries,
        graph_prefix=settings.base_uri,
    )


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    """The remote store when its URLs are configured, else the embedded one (raises
    OSError when the folder cannot be opened, e.g. locked by another writer)."""
    if settings.remote:
        return RemoteStore(remote_config(settings))
    return OxigraphStore(settings.store, read_only=read_only)


def describe_store(settings: Settings) -> str:
    """Where the store is, for messages."""
    return (
        f"the SPARQL store at {settings.sparql_query}"
        if settings.remote
        else (f"the store at {settings.store}")
    )


def _secret(value: object) -> str | None:
    from pydantic import SecretStr

    return value.get_secret_value() if isinstance(value, SecretStr) else None
