"""The store interface: what the pipeline and the web layer need, and nothing more.

Terms are pyoxigraph's (`NamedNode`, `Triple`, ...): the embedded store returns them as
they are, and a remote SPARQL store can produce them with pyoxigraph's parsers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, QueryTriples, Triple

QueryResult = QuerySolutions | QueryBoolean | QueryTriples


class Store(ABC):
    """A set of named graphs, one per source record, queried as their union."""

    @abstractmethod
    def replace_graph(self, graph: NamedNode, triples: Iterable[Triple]) -> None:
        """Atomically make `graph` hold exactly `triples` (a record is never half-written)."""

    @abstractmethod
    def remove_graph(self, graph: NamedNode) -> None:
        """Delete a record's graph; absent graphs are not an error."""

    @abstractmethod
    def graph_names(self) -> list[NamedNode]:
        """The named graphs held."""

    @abstractmethod
    def describe(self, resource: NamedNode) -> list[Triple]:
        """The resource's own triples, its blank nodes (recursively) and its neighbours' labels.

        Empty when the store says nothing about the resource.
        """

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query. Without dataset arguments the default graph is the
        union of all named graphs. Raises SyntaxError for a malformed query."""

    def close(self) -> None:  # noqa: B027 - optional for stores holding no resources
        """Release files or connections."""
