"""Stores: where published graphs live. `base.Store` is the interface; Oxigraph is the default."""

from publisher.store.base import QueryResult, Store
from publisher.store.oxigraph import OxigraphStore

__all__ = ["OxigraphStore", "QueryResult", "Store"]
