"""The graphs of one publication, by name (see `publisher.store.published`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from pyoxigraph import NamedNode

from publisher.mapping.vocab import PUB


@dataclass(frozen=True)
class Layout:
    """The graph names of one publication (under its base URI); each made once (the
    published view asks for them per triple it writes)."""

    base: str

    @property
    def graphs(self) -> str:
        """What every graph name of the publication starts with."""
        return f"{self.base}graph/"

    @cached_property
    def published(self) -> NamedNode:
        """The view's graph on a store whose default graph is the union (Virtuoso)."""
        return NamedNode(f"{self.base}graph/published")

    @cached_property
    def provenance(self) -> NamedNode:
        return NamedNode(f"{self.base}graph/provenance")

    @cached_property
    def pending(self) -> NamedNode:
        return NamedNode(f"{self.base}graph/pending")

    @cached_property
    def published_flag(self) -> NamedNode:
        return NamedNode(PUB + "published")

    @cached_property
    def pending_flag(self) -> NamedNode:
        return NamedNode(PUB + "pendingConsolidation")

    @cached_property
    def source_class(self) -> NamedNode:
        return NamedNode(PUB + "SourceRecord")

    @cached_property
    def source_format(self) -> NamedNode:
        return NamedNode(PUB + "sourceFormat")

    def is_view_graph(self, graph: NamedNode) -> bool:
        """The graphs the published view keeps (not source records)."""
        return graph in (self.published, self.provenance, self.pending)
