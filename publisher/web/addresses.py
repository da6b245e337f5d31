"""Does the store's base URI match where it is served? Say so when it does not.

A store's IRIs are minted at ingest (`--base-uri`, default http://127.0.0.1:8000/). Served
with another `--base-uri`, its pages are not found; served on another host or port,
they are found, but every IRI they publish points somewhere else (nowhere, usually).
Both are easy to do by accident, and quiet: `serve` warns at start and the landing page
shows the same warning to whoever opened it at an address the IRIs do not name (a
proxy forwarding the base URI's host to the server is the normal case, and shows none).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pyoxigraph import NamedNode, QuerySolutions

from publisher.store.base import Store
from publisher.store.layout import Layout

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
ANY_INTERFACE = {"0.0.0.0", "::", "[::]", ""}


def store_base(store: Store, base_uri: str) -> str | None:
    """The base URI the store's records were ingested with: `base_uri` when one of its
    source records is named under it, else what another's name says; None when empty."""
    layout = Layout(base_uri)
    source = f"GRAPH ?g {{ ?g {NamedNode(layout.source_format.value)} ?f }}"
    if store.query(f'ASK {{ {source} FILTER(STRSTARTS(STR(?g), "{layout.graphs}")) }}'):
        return base_uri  # stops at the first record under it: the usual case costs little
    rows = store.query(f"SELECT ?g WHERE {{ {source} }} LIMIT 1")
    assert isinstance(rows, QuerySolutions)
    for row in rows:
        graph = row["g"]
        if isinstance(graph, NamedNode) and (cut := graph.value.find("/graph/")) >= 0:
            return graph.value[: cut + 1]
    return None


def warnings(base_uri: str, ingested_with: str | None, served_at: str) -> list[str]:
    """What is wrong, in words that name the option to use: `served_at` is the server's
    own address (`http://127.0.0.1:8011/`), `ingested_with` the store's base URI."""
    out = []
    if ingested_with and ingested_with != base_uri:
        out.append(
            f"the store's IRIs start with {ingested_with}, not {base_uri}: its pages will"
            f" not be found. Serve it with --base-uri {ingested_with}"
        )
        base_uri = ingested_with
    if not same_origin(base_uri, served_at):
        port = urlsplit(base_uri).port or (443 if base_uri.startswith("https:") else 80)
        out.append(
            f"the published IRIs start with {base_uri} but this server answers at"
            f" {served_at}: they lead here only if {base_uri} is forwarded to it. To serve"
            f" them here, serve on the host and port they name (--port {port}); to publish"
            f" at {served_at}, ingest the records again with --base-uri {served_at}"
            " into a new store"
        )
    return out


def same_origin(base_uri: str, served_at: str) -> bool:
    """Whether IRIs under `base_uri` reach a server at `served_at` (loopback names are
    one host; a server on every interface answers any host name at its port)."""
    base, here = urlsplit(base_uri), urlsplit(served_at)
    if base.scheme != here.scheme:
        return False
    default = {"http": 80, "https": 443}.get(base.scheme)
    if (base.port or default) != (here.port or default):
        return False
    base_host, here_host = base.hostname or "", here.hostname or ""
    if here_host in ANY_INTERFACE or base_host == here_host:
        return True
    return base_host in LOOPBACK and here_host in LOOPBACK


def listening_address(host: str, port: int) -> str:
    """`http://127.0.0.1:8011/` for `--host 127.0.0.1 --port 8011` (IPv6 in brackets)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"
