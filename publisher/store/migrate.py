"""`publisher migrate`: copy a publication's graphs from one store to another.

Graph by graph (whole records, in batched writes), the provenance and pending graphs as
ordinary named graphs; then the published view, from where the source keeps it to where
the target keeps it (`Store.view_graph`: the embedded store's and an Oxigraph server's
default graph, a named graph on Virtuoso). Then every graph's triple count, and the
view's, is read back from both stores and compared. Counts rather than triples: stores normalise
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
# What a query sees without GRAPH: the published view, on every store.
VIEW_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
VIEW = "the published view"  # its key in `graph_sizes`, wherever the store keeps it
VIEW_BATCH = 5000  # the view's triples per write


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
    view = source.graph_triples(source.view_graph)
    target.drop_graph(target.view_graph)
    for start in range(0, len(view), VIEW_BATCH):
        target.add_to_graph(target.view_graph, view[start : start + VIEW_BATCH])
    report.triples += len(view)
    report.graphs = len(names) + 1
    before, after = graph_sizes(source), graph_sizes(target)
    for key in [*(graph.value for graph in names), VIEW]:
        expected, found = before.get(key, 0), after.get(key, 0)
        if expected != found:
            report.mismatches.append((key, expected, found))
    return report


def graph_sizes(store: Store) -> dict[str, int]:
    """Triples per named graph, as the store counts them, and the published view's
    (under `VIEW`, not as the named graph a store may keep it in)."""
    view = store.view_graph
    sizes: dict[str, int] = {}
    result = store.query(COUNTS)
    assert isinstance(result, QuerySolutions)
    for row in result:
        graph, count = row["g"], row["n"]
        if isinstance(graph, NamedNode) and graph != view and isinstance(count, Literal):
            sizes[graph.value] = int(count.value)
    result = store.query(VIEW_COUNT)
    assert isinstance(result, QuerySolutions)
    for row in result:
        if isinstance(row["n"], Literal):
            sizes[VIEW] = int(row["n"].value)
    return sizes
