"""The embedded store: pyoxigraph (RocksDB) on disk, or in memory when no path is given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Triple,
    serialize,
)
from pyoxigraph import Store as OxStore

from publisher.mapping.vocab import RDF_TYPE
from publisher.store.base import (
    DCTERMS_MODIFIED,
    LABEL_PREDICATES,
    PROV_DERIVED_FROM,
    PROV_GENERATED_AT,
    Description,
    NTriples,
    QueryResult,
    Store,
    latest_time,
    modified_of,
    neighbours_of,
    quads_text,
)
from publisher.store.disk import writes

GENERATED_AT = NamedNode(PROV_GENERATED_AT)
DERIVED_FROM = NamedNode(PROV_DERIVED_FROM)
MODIFIED = NamedNode(DCTERMS_MODIFIED)
_LABELS = frozenset(LABEL_PREDICATES)
FLUSH_EVERY = 300_000  # quads loaded by replace_graphs between two flushes to disk


class OxigraphStore(Store):
    """One named graph per record; the default graph is left empty."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self._path = None if path is None else Path(path)
        self._unflushed = 0
        if path is None:
            self._store = OxStore()
        elif read_only:
            self._store = OxStore.read_only(str(path))
        else:
            Path(path).mkdir(parents=True, exist_ok=True)
            self._store = OxStore(str(path))

    @writes
    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        # One SPARQL update is one transaction: readers see the old record or the new one.
        data = " .\n".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
        self._store.update(
            f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n{data} }} }}"
        )

    @writes
    def replace_graphs(self, graphs: Iterable[tuple[NamedNode, Sequence[Triple]]]) -> None:
        """Graphs not held yet are added together in one transaction (one `load` of
        N-Quads, serialised in Rust: about 1.5x `extend` and far cheaper than a SPARQL
        update each); a graph already held is replaced by `replace_graph`, so that
        readers never see a record half old, half new."""
        fresh: list[bytes] = []
        named: set[NamedNode] = set()
        for graph, triples in graphs:
            if graph in named or self._store.contains_named_graph(graph):
                self._load(fresh)
                fresh = []
                self.replace_graph(graph, triples)
            else:
                fresh.append(_n_quads(triples, graph))
            named.add(graph)
        self._load(fresh)

    def _load(self, n_quads: list[bytes]) -> None:
        if n_quads:
            # `load` is one transaction (unlike `bulk_load`): all of the batch or none.
            data = b"".join(n_quads)
            self._store.load(data, format=RdfFormat.N_QUADS)
            self._unflushed += data.count(b"\n")
            if self._unflushed >= FLUSH_EVERY:
                # RocksDB keeps written data in memory tables (about 1 KiB a quad here)
                # until they are flushed to disk: bounded memory for a long ingest.
                self._store.flush()
                self._unflushed = 0

    @writes
    def remove_graph(self, graph: NamedNode) -> None:
        if self._store.contains_named_graph(graph):  # a read: no write when absent
            self._store.update(f"DROP SILENT GRAPH {graph}")

    def graph_names(self) -> list[NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, NamedNode)]

    def describe(self, resource: NamedNode) -> list[Triple]:
        return self.describe_sources(resource).triples

    def describe_sources(self, resource: NamedNode) -> Description:
        # Terms and triples are their own dictionary keys (no string forms to build), and
        # each neighbour is read once, in one scan: this is every resource page's cost.
        seen: dict[Triple, None] = {}
        graphs: set[NamedNode] = set()
        pending: list[NamedNode | BlankNode] = [resource]
        visited: set[NamedNode | BlankNode] = set()
        neighbours: dict[NamedNode, None] = {}
        while pending:
            subject = pending.pop()
            if subject in visited:
                continue
            visited.add(subject)
            for quad in self._store.quads_for_pattern(subject, None, None, None):
                triple = quad.triple
                seen[triple] = None
                if isinstance(quad.graph_name, NamedNode):
                    graphs.add(quad.graph_name)
                obj = triple.object
                if isinstance(obj, BlankNode):
                    pending.append(obj)
                elif isinstance(obj, NamedNode) and triple.predicate != RDF_TYPE:
                    neighbours[obj] = None
        for neighbour in neighbours:
            if neighbour in visited:
                continue
            for quad in self._store.quads_for_pattern(neighbour, None, None, None):
                if quad.predicate in _LABELS:
                    seen[quad.triple] = None
                    if isinstance(quad.graph_name, NamedNode):
                        graphs.add(quad.graph_name)
        return Description(list(seen), frozenset(graphs), self._generated(graphs))

    def _generated(self, graphs: Iterable[NamedNode]) -> datetime | None:
        """The latest `prov:generatedAtTime` the graphs state about themselves."""
        return latest_time(self._generated_stamps(graphs))

    def _generated_stamps(self, graphs: Iterable[NamedNode]) -> list[Literal]:
        return [
            quad.object
            for graph in graphs
            for quad in self._store.quads_for_pattern(graph, GENERATED_AT, None, graph)
            if isinstance(quad.object, Literal)
        ]

    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        if default_graphs is None and named_graphs is None:
            # The store's own default graph is the published view; a query's own FROM /
            # FROM NAMED is its dataset.
            return self._store.query(sparql, base_iri=base_iri)
        # SPARQL 1.1 Protocol: once either list is given, the dataset is exactly those graphs.
        return self._store.query(
            sparql,
            base_iri=base_iri,
            default_graph=list(default_graphs or []),
            named_graphs=list(named_graphs or []),
        )

    @property
    def path(self) -> Path | None:
        return self._path

    def describe_view(self, resource: NamedNode, provenance: NamedNode) -> Description:
        # The same as the interface's, read off the indexes: every resource page's cost.
        view = DefaultGraph()
        triples = self.owned_triples(None, resource)
        if not triples:
            return Description([], frozenset(), None)
        found = dict.fromkeys(triples)
        neighbours = neighbours_of(resource, triples)
        for neighbour in neighbours:
            for quad in self._store.quads_for_pattern(neighbour, None, None, view):
                if quad.predicate in _LABELS:
                    found[quad.triple] = None
        graphs = {
            q.object
            for q in self._store.quads_for_pattern(resource, DERIVED_FROM, None, provenance)
            if isinstance(q.object, NamedNode)
        }
        stamps = {
            q.subject: q.object
            for node in (resource, *neighbours)
            for q in self._store.quads_for_pattern(node, MODIFIED, None, provenance)
            if isinstance(q.subject, NamedNode) and isinstance(q.object, Literal)
        }
        generated = [] if resource in stamps else self._generated_stamps(graphs)
        return Description(list(found), frozenset(graphs), modified_of(resource, stamps, generated))

    @writes
    def insert_quads(
        self,
        quads: Sequence[tuple[NamedNode | None, Triple]],
        whole: Sequence[tuple[NamedNode | None, Sequence[Triple]]] = (),
    ) -> None:
        # N-Quads through `load` (one transaction, parsed in Rust): several times faster
        # than the same triples as a SPARQL INSERT DATA. Serialised a graph at a time as
        # N-Triples (no Quad objects to build); `NTriples` as they came.
        by_graph: dict[NamedNode | None, list[Triple]] = {}
        for graph, triple in quads:
            by_graph.setdefault(graph, []).append(triple)
        parts = [*by_graph.items(), *whole]
        self._load([_n_quads(triples, graph) for graph, triples in parts if triples])

    @writes
    def remove_quads(self, quads: Sequence[tuple[NamedNode | None, Triple]]) -> None:
        if quads:
            self._store.update(f"DELETE DATA {{ {quads_text(quads)} }}")

    def graphs_describing(self, resource: NamedNode) -> list[NamedNode]:
        graphs = {q.graph_name for q in self._store.quads_for_pattern(resource, None, None, None)}
        return [g for g in graphs if isinstance(g, NamedNode)]

    def owned_triples(
        self, graph: NamedNode | None, resource: NamedNode, inverse: NamedNode | None = None
    ) -> list[Triple]:
        owned = f"{resource.value}#"
        name = DefaultGraph() if graph is None else graph
        pending = [resource]
        if inverse is not None:
            pending += [
                q.subject
                for q in self._store.quads_for_pattern(None, inverse, resource, name)
                if isinstance(q.subject, NamedNode) and q.subject != resource
            ]
        seen: set[NamedNode] = set(pending)
        found: list[Triple] = []
        while pending:
            for quad in self._store.quads_for_pattern(pending.pop(), None, None, name):
                found.append(quad.triple)
                obj = quad.object
                if isinstance(obj, NamedNode) and obj not in seen and obj.value.startswith(owned):
                    seen.add(obj)
                    pending.append(obj)
        return found

    @writes
    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        self._store.update(sparql, base_iri=base_iri)

    def graph_exists(self, graph: NamedNode | None) -> bool:
        return graph is None or self._store.contains_named_graph(graph)

    def graph_triples(self, graph: NamedNode | None) -> list[Triple]:
        name = DefaultGraph() if graph is None else graph
        return [quad.triple for quad in self._store.quads_for_pattern(None, None, None, name)]

    @writes
    def put_graph(self, graph: NamedNode | None, triples: Iterable[Triple]) -> None:
        if graph is None:
            self._store.update(f"CLEAR SILENT DEFAULT ;\nINSERT DATA {{\n{_data(triples)} }}")
        else:
            self._store.update(
                f"DROP SILENT GRAPH {graph} ;\nCREATE GRAPH {graph} ;\n"
                f"INSERT DATA {{ GRAPH {graph} {{\n{_data(triples)} }} }}"
            )

    @writes
    def add_to_graph(self, graph: NamedNode | None, triples: Iterable[Triple]) -> None:
        if graph is None:
            self._store.update(f"INSERT DATA {{\n{_data(triples)} }}")
        else:
            self._store.update(
                f"CREATE SILENT GRAPH {graph} ;\n"
                f"INSERT DATA {{ GRAPH {graph} {{\n{_data(triples)} }} }}"
            )

    @writes
    def drop_graph(self, graph: NamedNode | None) -> None:
        self._store.update(
            "CLEAR SILENT DEFAULT" if graph is None else f"DROP SILENT GRAPH {graph}"
        )

    @writes
    def extend_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction (used by tests and loaders of whole datasets)."""
        self._store.extend(quads)

    @writes
    def flush(self) -> None:
        self._store.flush()

    def close(self) -> None:
        # pyoxigraph releases RocksDB's lock when the object is gone.
        del self._store


def _n_quads(triples: Iterable[Triple], graph: NamedNode | None) -> bytes:
    """Triples as N-Quads in `graph` (None: the default graph, where N-Triples are
    N-Quads as they are): N-Triples escape line breaks inside terms, so each line ends
    in exactly " .\n" and the graph name goes before it."""
    if isinstance(triples, NTriples):
        data = triples.data  # as the worker process wrote them: no parsing
    else:
        data = serialize(list(triples), format=RdfFormat.N_TRIPLES) or b""
    return data if graph is None else data.replace(b" .\n", f" {graph} .\n".encode())


def _data(triples: Iterable[Triple]) -> str:
    """Triples as the body of INSERT DATA (blank nodes stay blank nodes, fresh per update)."""
    return " .\n".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
