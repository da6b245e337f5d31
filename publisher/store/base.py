"""The store interface: what the pipeline and the web layer need, and nothing more.

Terms are pyoxigraph's (`NamedNode`, `Triple`, ...): the embedded store returns them as
they are, and a remote SPARQL store can produce them with pyoxigraph's parsers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
    parse,
)

QueryResult = QuerySolutions | QueryBoolean | QueryTriples
PROV_GENERATED_AT = "http://www.w3.org/ns/prov#generatedAtTime"


@dataclass(frozen=True)
class Description:
    """`Store.describe`'s triples and where they were read from, for HTTP caching."""

    triples: list[Triple]
    graphs: frozenset[NamedNode]  # the named graphs holding any of the triples
    modified: datetime | None  # latest prov:generatedAtTime of those graphs, if any


class NTriples(Sequence[Triple]):
    """A graph's triples as N-Triples bytes, parsed only if someone reads them.

    Ingest's worker processes send each record's triples as N-Triples; the embedded
    store writes those bytes as they are (`OxigraphStore.replace_graphs`), so most
    records never become Python objects in the process that writes the store.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._parsed: list[Triple] | None = None

    def _triples(self) -> list[Triple]:
        if self._parsed is None:
            self._parsed = [q.triple for q in parse(self.data, format=RdfFormat.N_TRIPLES)]
        return self._parsed

    def __len__(self) -> int:
        return len(self._triples())

    def __getitem__(self, index: int) -> Triple:  # type: ignore[override]
        return self._triples()[index]

    def __iter__(self) -> Iterator[Triple]:
        return iter(self._triples())


class ReadOnlyStoreError(Exception):
    """A write was asked of a store that was opened read-only or cannot be written."""


class StoreUnavailable(Exception):
    """The store did not answer (connection refused, 5xx) however often it was asked.

    Not a problem with one record: ingest stops on it, the web layer answers 503.
    """


class Store(ABC):
    """A set of named graphs, one per source record, queried as their union."""

    @abstractmethod
    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        """Atomically make `graph` hold exactly `triples` (a record is never half-written)."""

    def replace_graphs(self, graphs: Iterable[tuple[NamedNode, Sequence[Triple]]]) -> None:
        """Replace several records' graphs in as few writes as the store allows.

        Each record stays whole (all its triples or none of them); stores that can write
        a batch in one transaction or one request override this one-at-a-time default.
        """
        for graph, triples in graphs:
            self.replace_graph(graph, triples)

    @abstractmethod
    def remove_graph(self, graph: NamedNode) -> None:
        """Delete a record's graph; absent graphs are not an error."""

    @abstractmethod
    def graph_names(self) -> list[NamedNode]:
        """The named graphs held."""

    @abstractmethod
    def describe(self, resource: NamedNode) -> list[Triple]:
        """The resource's own triples, its blank nodes (recursively) and its neighbours' labels
        (`schema:name`, `rdfs:label`, `rdf:type`) and links (`schema:url`, `schema:sameAs`).

        Empty when the store says nothing about the resource.
        """

    def describe_sources(self, resource: NamedNode) -> Description:
        """`describe`, with the named graphs its triples come from and the latest
        `prov:generatedAtTime` those graphs state about themselves (Last-Modified).

        This default asks SPARQL; the embedded store reads the graph names off the quads
        it visits anyway.
        """
        triples = self.describe(resource)
        if not triples:
            return Description([], frozenset(), None)
        named = {str(t.subject) for t in triples if isinstance(t.subject, NamedNode)}
        subjects = " ".join(sorted(named))
        result = self.query(
            f"""SELECT DISTINCT ?g ?t WHERE {{
                 VALUES ?s {{ {subjects} }}
                 GRAPH ?g {{ ?s ?p ?o }}
                 OPTIONAL {{ GRAPH ?g {{ ?g <{PROV_GENERATED_AT}> ?t }} }} }}"""
        )
        assert isinstance(result, QuerySolutions)
        graphs: set[NamedNode] = set()
        times: list[Literal] = []
        for row in result:
            graph, stamp = row["g"], row["t"]
            if isinstance(graph, NamedNode):
                graphs.add(graph)
            if isinstance(stamp, Literal):
                times.append(stamp)
        return Description(triples, frozenset(graphs), latest_time(times))

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query. Without dataset arguments the default graph is the
        union of all named graphs. Relative IRIs resolve against `base_iri`. Raises
        SyntaxError for a malformed query."""

    @property
    def path(self) -> Path | None:
        """The folder of an on-disk store (other processes can open it); None otherwise."""
        return None

    # Writes through the SPARQL endpoint (SPARQL Update, Graph Store Protocol). `graph`
    # None is the store's own default graph (not the union that queries see).

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update in one transaction. Raises SyntaxError when malformed."""
        raise ReadOnlyStoreError("this store cannot be updated")

    def graph_exists(self, graph: NamedNode | None) -> bool:
        """Whether the named graph is held (the default graph always exists)."""
        return graph is None or graph in self.graph_names()

    def graph_triples(self, graph: NamedNode | None) -> list[Triple]:
        """Every triple of one graph, as stored."""
        raise NotImplementedError

    def put_graph(self, graph: NamedNode | None, triples: Iterable[Triple]) -> None:
        """Make the graph hold exactly `triples` (created if absent), in one transaction."""
        raise ReadOnlyStoreError("this store cannot be updated")

    def add_to_graph(self, graph: NamedNode | None, triples: Iterable[Triple]) -> None:
        """Add `triples` to the graph (created if absent), in one transaction."""
        raise ReadOnlyStoreError("this store cannot be updated")

    def drop_graph(self, graph: NamedNode | None) -> None:
        """Remove a named graph, or empty the default graph."""
        raise ReadOnlyStoreError("this store cannot be updated")

    def close(self) -> None:  # noqa: B027 - optional for stores holding no resources
        """Release files or connections."""


def latest_time(stamps: Iterable[Literal]) -> datetime | None:
    """The latest of some xsd:dateTime literals (UTC where they give no zone); None if none."""
    latest: datetime | None = None
    for stamp in stamps:
        try:
            when = datetime.fromisoformat(stamp.value)
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        if latest is None or when > latest:
            latest = when
    return latest
