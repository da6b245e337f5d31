"""`publisher migrate`: copy a publication's named graphs from one store to another.

Graph by graph (whole records, in batched writes), then every graph's triple count is
read back from both stores and compared. Counts rather than triples: stores normalise
terms differently (Virtuoso lowercases language tags, blank nodes are relabelled), but a
graph keeps its number of triples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple

from publisher.config import Settings
from publisher.store.base import Store
from publisher.store.factory import remote_config
from publisher.store.oxigraph import OxigraphStore
from publisher.store.remote import RemoteStore

COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


class MigrationError(Exception):
    """A location that cannot be read: neither embedded:DIR nor sparql:URL."""


@dataclass
class MigrationReport:
    graphs: int = 0
    triples: int = 0
    mismatches: list[tuple[str, int, int]] = field(default_factory=list)  # graph, src, dst


def parse_location(
    location: str, settings: Settings, update_url: str | None, *, read_only: bool
) -> Store:
    """`embedded:DIR` or `sparql:QUERY_URL` (the update URL defaults to the query URL;
    the Graph Store URL and credentials come from the settings)."""
    kind, _, where = location.partition(":")
    if kind == "embedded" and where:
        if read_only and not Path(where).is_dir():
            raise MigrationError(f"no store at {where}")
        return OxigraphStore(where, read_only=read_only)
    if kind == "sparql" and where.startswith(("http://", "https://")):
        update = update_url or settings.sparql_update or where
        config = remote_config(
            settings.model_copy(update={"sparql_query": where, "sparql_update": update})
        )
        return RemoteStore(config)
    raise MigrationError(f"{location!r} is neither embedded:DIR nor sparql:http(s)://...")


def copy_graphs(source: Store, target: Store, *, batch: int = 100) -> MigrationReport:
    report = MigrationReport()
    names = sorted(source.graph_names(), key=str)
    pending: list[tuple[NamedNode, list[Triple]]] = []
    for graph in names:
        triples = source.graph_triples(graph)
        pending.append((graph, triples))
        report.triples += len(triples)
        if len(pending) >= batch:
            target.replace_graphs(pending)
            pending = []
    if pending:
        target.replace_graphs(pending)
    report.graphs = len(names)
    before, after = graph_sizes(source), graph_sizes(target)
    for graph in names:
        expected, found = before.get(graph.value, 0), after.get(graph.value, 0)
        if expected != found:
            report.mismatches.append((graph.value, expected, found))
    return report


def graph_sizes(store: Store) -> dict[str, int]:
    """Triples per named graph, as the store counts them."""
    result = store.query(COUNTS)
    assert isinstance(result, QuerySolutions)
    sizes: dict[str, int] = {}
    for row in result:
        graph, count = row["g"], row["n"]
        if isinstance(graph, NamedNode) and isinstance(count, Literal):
            sizes[graph.value] = int(count.value)
    return sizes
