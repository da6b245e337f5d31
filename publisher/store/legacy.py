"""Stores written before our vocabulary had its fixed namespace.

The vocabulary's namespace used to be `{base URI}ontology#`, one per deployment; it is
now `publisher.mapping.vocab.PUB` for every deployment. A store written before holds its
records' descriptions (pub:SourceRecord, pub:sourceFormat, ...), their validation
reports and the dataset's conformance figures under the old namespace, and its side
database's statistics name those terms too: read with the new one it would look empty
of records and then fill up with a second copy of every record at the next ingest.

Nothing rewrites such a store: it is derived data, made again from the source files by
`publisher ingest`. The commands and the server refuse to open it (`LegacyStore`), with
a message saying so, rather than serve or extend a store half in one namespace and half
in the other.
"""

from __future__ import annotations

from publisher.mapping.vocab import PUB, legacy_namespace
from publisher.store.base import Store


class LegacyStore(Exception):
    """The store's records use the vocabulary namespace of before (`{base}ontology#`)."""


def check_namespace(store: Store, base_uri: str) -> None:
    """Raise LegacyStore when a record or report in the store names its source format
    with the old per-deployment namespace (every record and report of any version has
    pub:sourceFormat)."""
    old = legacy_namespace(base_uri)
    if old == PUB:  # deployed at the vocabulary's own base: nothing changed
        return
    if bool(store.query(f"ASK {{ GRAPH ?g {{ ?g <{old}sourceFormat> ?format }} }}")):
        raise LegacyStore(
            f"this store was written with the vocabulary namespace <{old}>, which is now "
            f"<{PUB}> for every deployment; ingest the source files again into a new "
            "store (another --store folder, or an emptied SPARQL store) and serve that"
        )
