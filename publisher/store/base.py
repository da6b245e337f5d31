"""The store interface: what the pipeline and the web layer need, and nothing more.

Terms are pyoxigraph's (`NamedNode`, `Triple`, ...): the embedded store returns them as
they are, and a remote SPARQL store can produce them with pyoxigraph's parsers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
PROV_DERIVED_FROM = "http://www.w3.org/ns/prov#wasDerivedFrom"
# When a published description last changed, in the provenance graph (publisher.store.published).
DCTERMS_MODIFIED = "http://purl.org/dc/terms/modified"
# What a description brings of the resources it links to: their labels and types, and
# the links that identify them (an author's page and ORCID iD, a trial's registry page).
LABEL_PREDICATES = tuple(
    NamedNode(iri)
    for iri in (
        "https://schema.org/name",
        "http://www.w3.org/2000/01/rdf-schema#label",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "https://schema.org/url",
        "https://schema.org/sameAs",
    )
)
_RDF_TYPE = LABEL_PREDICATES[2]


@dataclass(frozen=True)
class Description:
    """`Store.describe`'s triples and where they were read from, for HTTP caching."""

    triples: list[Triple]
    graphs: frozenset[NamedNode]  # the named graphs holding any of the triples
    # When the triples last changed (Last-Modified): for a published description, the
    # latest time any description they come from changed (see `describe_view`); for a
    # source record, the latest prov:generatedAtTime of those graphs. None: not known.
    modified: datetime | None


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
    """One named graph per source record, and the published view (one consolidated
    description per resource, `publisher.store.published`) as the default graph: what a
    query sees without GRAPH or FROM. Source graphs are reached with GRAPH."""

    @property
    def view_graph(self) -> NamedNode | None:
        """Where the published view is kept: None for the store's own default graph
        (the embedded store, an Oxigraph server); a named graph for stores whose default
        graph is the union of all (Virtuoso)."""
        return None

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

    def describe_view(self, resource: NamedNode, provenance: NamedNode) -> Description:
        """The resource's published description: its triples in the view graph and
        those of the nodes it owns (`owned_triples`), its neighbours' labels and links
        there, and, for HTTP caching, the source graphs it was made from (`provenance`
        says which) and when it last changed: the latest `dcterms:modified` the
        provenance graph gives the resource and the neighbours whose labels it shows
        (`modified_of`)."""
        triples = self.owned_triples(self.view_graph, resource)
        if not triples:
            return Description([], frozenset(), None)
        neighbours = neighbours_of(resource, triples)
        found = dict.fromkeys(triples)
        if neighbours:
            values = " ".join(map(str, neighbours))
            labels = " ".join(map(str, LABEL_PREDICATES))
            rows = self.query(
                f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} VALUES ?p {{ {labels} }}"
                f" {in_graph(self.view_graph, '?s ?p ?o')} }}"
            )
            assert isinstance(rows, QuerySolutions)
            for row in rows:
                found[Triple(row["s"], row["p"], row["o"])] = None
        nodes = " ".join(map(str, [resource, *neighbours]))
        rows = self.query(
            f"SELECT ?g ?t ?r ?m WHERE {{"
            f" {{ GRAPH {provenance} {{ {resource} <{PROV_DERIVED_FROM}> ?g }}"
            f"   OPTIONAL {{ GRAPH ?g {{ ?g <{PROV_GENERATED_AT}> ?t }} }} }}"
            f" UNION {{ VALUES ?r {{ {nodes} }}"
            f"   GRAPH {provenance} {{ ?r <{DCTERMS_MODIFIED}> ?m }} }}"
            " }"
        )
        assert isinstance(rows, QuerySolutions)
        graphs: set[NamedNode] = set()
        generated: list[Literal] = []
        stamps: dict[NamedNode, Literal] = {}
        for row in rows:
            if isinstance(row["g"], NamedNode):
                graphs.add(row["g"])
            if isinstance(row["t"], Literal):
                generated.append(row["t"])
            if isinstance(row["r"], NamedNode) and isinstance(row["m"], Literal):
                stamps[row["r"]] = row["m"]
        modified = modified_of(resource, stamps, generated)
        return Description(list(found), frozenset(graphs), modified)

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a SPARQL 1.1 query. Without dataset arguments (or the query's own FROM)
        the default graph is the published view and every named graph is reachable with
        GRAPH. Relative IRIs resolve against `base_iri`. Raises SyntaxError for a
        malformed query."""

    @property
    def path(self) -> Path | None:
        """The folder of an on-disk store (other processes can open it); None otherwise."""
        return None

    def insert_quads(
        self,
        quads: Sequence[tuple[NamedNode | None, Triple]],
        whole: Sequence[tuple[NamedNode | None, Sequence[Triple]]] = (),
    ) -> None:
        """Add triples to graphs (None: the default graph), in one write; `whole` adds
        more, a graph's triples at a time (such as `NTriples` a store can load as they
        are)."""
        every = [*quads, *((graph, t) for graph, triples in whole for t in triples)]
        if every:
            self.update(f"INSERT DATA {{ {quads_text(every)} }}")

    def remove_quads(self, quads: Sequence[tuple[NamedNode | None, Triple]]) -> None:
        """Remove triples from graphs (None: the default graph), in one write: one
        DELETE DATA per graph. Virtuoso 7.2 leaves a long literal (a 1,500-character
        abstract) in place when one DELETE DATA names several graphs."""
        by_graph: dict[NamedNode | None, list[tuple[NamedNode | None, Triple]]] = {}
        for graph, triple in quads:
            by_graph.setdefault(graph, []).append((graph, triple))
        if by_graph:
            self.update(
                " ;\n".join(f"DELETE DATA {{ {quads_text(each)} }}" for each in by_graph.values())
            )

    def graphs_describing(self, resource: NamedNode) -> list[NamedNode]:
        """The named graphs holding triples about the resource (as their subject)."""
        rows = self.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ {resource} ?p ?o }} }}")
        assert isinstance(rows, QuerySolutions)
        return [row["g"] for row in rows if isinstance(row["g"], NamedNode)]

    def owned_triples(
        self, graph: NamedNode | None, resource: NamedNode, inverse: NamedNode | None = None
    ) -> list[Triple]:
        """The triples of `graph` about the resource and the nodes it owns: IRIs under
        `{resource}#`, reached from it (and, with `inverse`, from the nodes that point at
        it with that property, such as the `rdf:Statement`s about it).

        This default asks SPARQL level by level; the embedded store walks its indexes."""
        owned = f"{resource.value}#"
        found: dict[Triple, None] = {}
        frontier: set[NamedNode] = {resource}
        if inverse is not None:
            rows = self.query(
                f"SELECT ?s WHERE {{ {in_graph(graph, f'?s {inverse} {resource}')} }}"
            )
            assert isinstance(rows, QuerySolutions)
            frontier |= {r["s"] for r in rows if isinstance(r["s"], NamedNode)}
        seen: set[NamedNode] = set()
        while frontier:
            seen |= frontier
            values = " ".join(str(s) for s in sorted(frontier, key=str))
            rows = self.query(
                f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }}"
                f" {in_graph(graph, '?s ?p ?o')} }}"
            )
            assert isinstance(rows, QuerySolutions)
            frontier = set()
            for row in rows:
                subject, predicate, obj = row["s"], row["p"], row["o"]
                found[Triple(subject, predicate, obj)] = None
                if isinstance(obj, NamedNode) and obj.value.startswith(owned) and obj not in seen:
                    frontier.add(obj)
        return list(found)

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


def quads_text(quads: Sequence[tuple[NamedNode | None, Triple]]) -> str:
    """The body of INSERT DATA / DELETE DATA; graph None is the default graph."""
    by_graph: dict[NamedNode | None, list[str]] = {}
    for graph, triple in quads:
        line = f"{triple.subject} {triple.predicate} {triple.object}"
        by_graph.setdefault(graph, []).append(line)
    return "\n".join(
        f"GRAPH {graph} {{\n" + " .\n".join(lines) + " }"
        if graph is not None
        else " .\n".join(lines) + " ."
        for graph, lines in by_graph.items()
    )


def in_graph(graph: NamedNode | None, pattern: str) -> str:
    """A SPARQL pattern in a named graph, or in the default graph (None)."""
    return f"GRAPH {graph} {{ {pattern} }}" if graph is not None else f"{{ {pattern} }}"


def neighbours_of(resource: NamedNode, triples: Iterable[Triple]) -> list[NamedNode]:
    """What a description links to (other than the nodes it owns, `{resource}#...`, and
    its classes): their labels and links are part of what it shows."""
    owned = f"{resource.value}#"
    return sorted(
        {
            t.object
            for t in triples
            if isinstance(t.object, NamedNode)
            and t.predicate != _RDF_TYPE
            and not t.object.value.startswith(owned)
            and t.object != resource
        },
        key=str,
    )


def modified_of(
    resource: NamedNode, stamps: Mapping[NamedNode, Literal], generated: Iterable[Literal]
) -> datetime | None:
    """Last-Modified of a published description: when it or a description whose labels
    it shows (`stamps`: `dcterms:modified` of each) last changed. A description not
    stamped (a view written before stamps were) falls back on the latest
    `prov:generatedAtTime` of its sources (`generated`)."""
    if resource in stamps:
        return latest_time(stamps.values())
    return latest_time([*stamps.values(), *generated])


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
