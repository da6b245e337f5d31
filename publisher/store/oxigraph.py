"""The embedded store: pyoxigraph (RocksDB) on disk, or in memory when no path is given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pyoxigraph import BlankNode, NamedNode, Quad, Triple
from pyoxigraph import Store as OxStore

from publisher.mapping.vocab import RDF_TYPE, RDFS_LABEL, SCHEMA_NAME
from publisher.sparql_text import has_keyword
from publisher.store.base import QueryResult, Store

LABEL_PREDICATES = (SCHEMA_NAME, RDFS_LABEL, RDF_TYPE)


class OxigraphStore(Store):
    """One named graph per record; the default graph is left empty."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        if path is None:
            self._store = OxStore()
        elif read_only:
            self._store = OxStore.read_only(str(path))
        else:
            Path(path).mkdir(parents=True, exist_ok=True)
            self._store = OxStore(str(path))

    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        # One SPARQL update is one transaction: readers see the old record or the new one.
        data = " .\n".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
        self._store.update(
            f"DROP SILENT GRAPH {graph} ;\nINSERT DATA {{ GRAPH {graph} {{\n{data} }} }}"
        )

    def remove_graph(self, graph: NamedNode) -> None:
        self._store.update(f"DROP SILENT GRAPH {graph}")

    def graph_names(self) -> list[NamedNode]:
        return [g for g in self._store.named_graphs() if isinstance(g, NamedNode)]

    def describe(self, resource: NamedNode) -> list[Triple]:
        seen: dict[str, Triple] = {}
        pending: list[NamedNode | BlankNode] = [resource]
        visited: set[str] = set()
        neighbours: list[NamedNode] = []
        while pending:
            subject = pending.pop()
            if str(subject) in visited:
                continue
            visited.add(str(subject))
            for quad in self._store.quads_for_pattern(subject, None, None, None):
                triple = quad.triple
                seen.setdefault(str(triple), triple)
                obj = triple.object
                if isinstance(obj, BlankNode):
                    pending.append(obj)
                elif isinstance(obj, NamedNode) and triple.predicate != RDF_TYPE:
                    neighbours.append(obj)
        for neighbour in neighbours:
            if str(neighbour) in visited:
                continue
            for predicate in LABEL_PREDICATES:
                for quad in self._store.quads_for_pattern(neighbour, predicate, None, None):
                    seen.setdefault(str(quad.triple), quad.triple)
        return list(seen.values())

    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
    ) -> QueryResult:
        if default_graphs is None and named_graphs is None:
            # A query's own FROM / FROM NAMED is its dataset; pyoxigraph would ignore it
            # under the union default graph.
            union = not has_keyword(sparql, "from")
            return self._store.query(sparql, use_default_graph_as_union=union)
        # SPARQL 1.1 Protocol: once either list is given, the dataset is exactly those graphs.
        return self._store.query(
            sparql, default_graph=list(default_graphs or []), named_graphs=list(named_graphs or [])
        )

    def extend_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction (used by tests and loaders of whole datasets)."""
        self._store.extend(quads)

    def flush(self) -> None:
        self._store.flush()

    def close(self) -> None:
        # pyoxigraph releases RocksDB's lock when the object is gone.
        del self._store
