"""The published view: one consolidated description per resource, kept in step with the
source graphs.

Layout of a store (see docs/dataset.md):

* one named graph per source record (`{base}graph/{format}/{key}`), as read, with its
  PROV-O provenance: replaced or removed as a whole;
* the store's default graph (or, where a store's default graph is the union of all, the
  named graph `{base}graph/published`: `Store.view_graph`): the consolidated description
  of every resource (`publisher.mapping.consolidate`). SPARQL sees it without GRAPH or
  FROM; pages, dumps and counts are made from it;
* `{base}graph/provenance`: where each published value came from (`rdf:Statement`s with
  `prov:wasDerivedFrom`), and the values that lost; and when each description last
  changed (`dcterms:modified`: Last-Modified, the sitemaps' lastmod, the change feed),
  written with the description, so it is as crash-safe as the description;
* `{base}graph/pending`: resources whose description is being recomputed. They are
  marked before their sources are written and unmarked in the same transaction that
  writes their new description, so a crash at any point leaves marks that the next
  `ingest` or `remove` finishes (`recover`), never a description out of step with its
  sources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple

from publisher.mapping.consolidate import (
    PROV_DERIVED,
    RDF_SUBJECT,
    SCHEMA_IDENTIFIER,
    SCHEMA_VALUE,
    Consolidated,
    Source,
    claim_node,
    claims_of,
    consolidate,
    source_of,
)
from publisher.mapping.vocab import PROV, RDF_TYPE, SCHEMA_NAME, XSD_DATETIME
from publisher.store.base import DCTERMS_MODIFIED, Store, in_graph
from publisher.store.layout import Layout

PENDING_MARK = Literal("pending")
# When a resource's published description last changed (in the provenance graph).
MODIFIED = NamedNode(DCTERMS_MODIFIED)
_GENERATED = NamedNode(PROV + "generatedAtTime")


@dataclass(frozen=True)
class Written:
    """A source graph about to be written (`triples`) or removed (None). Ingest passes
    what its worker processes worked out beside the triples, so that the writing process
    need not parse them: the resources the record describes, and each one's description
    from this record alone (`alone_descriptions`)."""

    graph: NamedNode
    triples: Sequence[Triple] | None
    resources: frozenset[NamedNode] | None = None
    alone: Mapping[NamedNode, Sequence[Triple]] | None = None


@dataclass(frozen=True)
class Change:
    """One source graph written or removed: its triples before and after (None: the
    graph did not exist / no longer exists)."""

    graph: NamedNode
    old: Source | None
    new: Source | None
    new_resources: frozenset[NamedNode] = frozenset()
    alone: Mapping[NamedNode, Sequence[Triple]] | None = None

    def touches(self) -> frozenset[NamedNode]:
        old = self.old.resources if self.old else frozenset()
        return old | self.new_resources


@dataclass
class Batch:
    """The changes of one write, and the resources they touch (marked pending)."""

    changes: list[Change]
    touched: set[NamedNode] = field(default_factory=set)


Quads = list[tuple[NamedNode | None, Triple]]


@dataclass
class ViewChanges:
    """What a write did to the view: the descriptions that changed (new, or different
    from what was published), and the resources no source describes any more (left out
    of the view), each with the time it changed (`times`, as stamped in the provenance
    graph). The resources touched whose description stayed the same (a record re-ingested
    unchanged, one that only added itself to the provenance, a recomputation that came
    out the same) are `kept`: their time does not move."""

    written: list[Consolidated] = field(default_factory=list)
    gone: list[NamedNode] = field(default_factory=list)
    kept: list[NamedNode] = field(default_factory=list)  # touched, description unchanged
    # When each description last changed: the written and gone now, the kept before (as
    # the store holds it after the write; absent if it holds none).
    times: dict[NamedNode, str] = field(default_factory=dict)

    def extend(self, other: ViewChanges) -> None:
        self.written += other.written
        self.gone += other.gone
        self.kept += other.kept
        self.times.update(other.times)


class PublishedView:
    """Recomputes the published description of the resources a change touches.

    Most changes need no reading back: a resource new to the view is made from the
    records in hand; a record that adds nothing new about a resource with several
    sources (the thousandth article of a journal) only adds itself to the provenance;
    a record re-ingested unchanged changes nothing. Only the rest reads every source of
    the resource again, so the cost of a record does not grow with how many records
    share its journal, except when it disagrees with them or a record is removed."""

    def __init__(self, store: Store, base_uri: str) -> None:
        self.store = store
        self.layout = Layout(base_uri)

    # --- before the write -------------------------------------------------------------

    def prepare(
        self, written: Sequence[Written | tuple[NamedNode, Sequence[Triple] | None]]
    ) -> Batch:
        """Read what the graphs hold now, and mark the resources they touch before and
        after (None: the graph is being removed). Call before writing the graphs."""
        changes = []
        for item in written:
            one = item if isinstance(item, Written) else Written(*item)
            old = self._read_source(one.graph)
            new = None
            resources: frozenset[NamedNode] = frozenset()
            if one.triples is not None:
                new = source_of(one.graph, one.triples, self.layout.source_format)
                resources = one.resources if one.resources is not None else new.resources
            changes.append(Change(one.graph, old, new, resources, one.alone))
        batch = Batch(changes, {r for c in changes for r in c.touches()})
        self.mark(batch.touched)
        return batch

    def mark(self, resources: Iterable[NamedNode]) -> None:
        """Note, in the store, that these resources are about to change."""
        marks = [(self.layout.pending, self._mark(r)) for r in sorted(resources)]
        self.store.insert_quads(marks)

    def pending(self) -> set[NamedNode]:
        result = self.store.query(
            f"SELECT ?s WHERE {{ GRAPH {self.layout.pending} {{ ?s ?p ?o }} }}"
        )
        assert isinstance(result, QuerySolutions)
        return {row["s"] for row in result if isinstance(row["s"], NamedNode)}

    # --- after the write --------------------------------------------------------------

    def apply(self, batch: Batch) -> ViewChanges:
        """Bring the view up to date with the written batch, in one transaction."""
        deletes: Quads = []
        inserts: Quads = []
        changes = ViewChanges()
        in_hand = {c.graph: c.new for c in batch.changes}
        by_resource: dict[NamedNode, list[Change]] = {}
        for change in batch.changes:
            for touched in change.touches():
                by_resource.setdefault(touched, []).append(change)
        for resource in sorted(batch.touched, key=lambda r: r.value):
            relevant = by_resource.get(resource, [])
            if all(_same_claims(resource, c) for c in relevant):
                changes.kept.append(resource)  # re-ingested as it was: nothing to change
                continue
            when = _changed_at(relevant)
            if all(c.old is None for c in relevant) and self._added(
                resource, relevant, inserts, changes, when
            ):
                continue
            self._recompute(resource, in_hand, deletes, inserts, changes, when)
        self._write(deletes, inserts, batch.touched)
        # Read here, in step with this write, for the side database to check it has them.
        changes.times.update(self.stamps([r for r in changes.kept if r not in changes.times]))
        return changes

    def refresh(self, resources: Iterable[NamedNode]) -> ViewChanges:
        """Recompute the resources from all their sources, reading every one."""
        deletes: Quads = []
        inserts: Quads = []
        changes = ViewChanges()
        todo = set(resources)
        when = _now()
        for resource in sorted(todo, key=lambda r: r.value):
            self._recompute(resource, {}, deletes, inserts, changes, when)
        self._write(deletes, inserts, todo)
        return changes

    def recover(self) -> ViewChanges:
        """Finish what a stopped run left marked."""
        marked = self.pending()
        return self.refresh(marked) if marked else ViewChanges()

    def ensure(self) -> ViewChanges:
        """Finish what a stopped run left marked, and build the view of a store that
        has source records but no view (published before the view existed, or written
        around the pipeline)."""
        done = self.recover()
        view = self.store.view_graph
        empty = not bool(self.store.query(f"ASK {{ {in_graph(view, '?s ?p ?o')} }}"))
        if empty and self.source_graphs():
            done.extend(self.rebuild())
        return done

    def rebuild(self) -> ViewChanges:
        """Recompute every resource from its sources (a store published before the view
        existed, or a check of the incremental one), and drop what the view holds about
        anything else. Marked first, like any recomputation, so a run stopped halfway
        is finished by the next; a description that comes out as it was is left as it is,
        with the time it last changed."""
        resources: set[NamedNode] = set()
        for graph in self.source_graphs():
            source = self._read_source(graph)
            if source is not None:
                resources |= source.resources
        self.mark(resources)
        self._drop_others(resources)
        return self.refresh(resources)

    def _drop_others(self, resources: set[NamedNode]) -> None:
        """The view's and the provenance graph's statements about anything that is not one
        of these resources or a node one of them owns (`{resource}#...`)."""
        described = {r.value for r in resources}
        for graph in (self.store.view_graph, self.layout.provenance):
            rows = self.store.query(f"SELECT DISTINCT ?s WHERE {{ {in_graph(graph, '?s ?p ?o')} }}")
            assert isinstance(rows, QuerySolutions)
            others = [
                subject
                for row in rows
                if isinstance(subject := row["s"], NamedNode)  # the view names every node
                and subject.value not in described
                and subject.value.split("#", 1)[0] not in described
            ]
            for start in range(0, len(others), 500):
                values = " ".join(str(o) for o in others[start : start + 500])
                found = self.store.query(
                    f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }}"
                    f" {in_graph(graph, '?s ?p ?o')} }}"
                )
                assert isinstance(found, QuerySolutions)
                stale = [(graph, Triple(r["s"], r["p"], r["o"])) for r in found]
                self.store.remove_quads(stale)

    def source_graphs(self) -> list[NamedNode]:
        """Every source record's graph."""
        result = self.store.query(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g {RDF_TYPE} {self.layout.source_class} }}"
            " }"
        )
        assert isinstance(result, QuerySolutions)
        return sorted((row["g"] for row in result if isinstance(row["g"], NamedNode)), key=str)

    # --- the ways a resource is brought up to date ------------------------------------

    def _added(
        self,
        resource: NamedNode,
        changes: list[Change],
        inserts: Quads,
        done: ViewChanges,
        when: str,
    ) -> bool:
        """New records about a resource, added without reading its other sources when
        that can be done (False otherwise). A resource not in the view yet is made from
        them (a consistent view holds every resource some source describes); a resource
        with several sources (its provenance has statements) whose description already
        holds everything a new record says gets that record added to its provenance."""
        current = set(self.store.owned_triples(self.store.view_graph, resource))
        alone = {c.graph: self._alone(resource, c) for c in changes}
        if not current:
            if len(changes) == 1:
                (graph, triples), view = next(iter(alone.items())), self.store.view_graph
                inserts += [(view, t) for t in triples]
                inserts.append((self.layout.provenance, Triple(resource, PROV_DERIVED, graph)))
                result = Consolidated(resource, list(triples), [], (graph,))
            else:
                sources = [c.new for c in changes if c.new is not None]
                result = consolidate(resource, sources, self.layout.published_flag)
                inserts += [(self.store.view_graph, t) for t in result.triples]
                inserts += [(self.layout.provenance, t) for t in result.provenance]
            self._changed(resource, result, _stamp(when), inserts, done)
            return True
        if not self._has_statements(resource):
            return False  # one source so far: the statements are to be written now
        added: Quads = []
        provenance = self.layout.provenance
        for graph, triples in alone.items():
            if not set(triples) <= current:
                return False  # it says something new, or says it otherwise
            added.append((provenance, Triple(resource, PROV_DERIVED, graph)))
            claims = [claim_node(resource, t.predicate, t.object)
                      for t in triples if t.subject == resource]  # fmt: skip
            added += [(provenance, Triple(c, PROV_DERIVED, graph)) for c in claims]
        inserts += added
        done.kept.append(resource)
        return True

    def _changed(
        self,
        resource: NamedNode,
        result: Consolidated,
        stamp: Literal,
        inserts: Quads,
        done: ViewChanges,
    ) -> None:
        """A description new to the view, written: stamped."""
        inserts.append((self.layout.provenance, Triple(resource, MODIFIED, stamp)))
        done.written.append(result)
        done.times[resource] = _canonical(stamp.value)

    def _alone(self, resource: NamedNode, change: Change) -> Sequence[Triple]:
        """The resource's description from this record alone: worked out by the worker
        process that mapped it, or here."""
        if change.alone is not None and resource in change.alone:
            return change.alone[resource]
        assert change.new is not None
        return consolidate(resource, [change.new], self.layout.published_flag).triples

    def described(self, resource: NamedNode) -> Consolidated:
        """The resource's published description as it stands (its provenance not read)."""
        triples = self.store.owned_triples(self.store.view_graph, resource)
        return Consolidated(resource, triples, [], ())

    def _recompute(
        self,
        resource: NamedNode,
        in_hand: dict[NamedNode, Source | None],
        deletes: Quads,
        inserts: Quads,
        done: ViewChanges,
        when: str,
    ) -> None:
        """From every source, read back (except those in hand); the description and its
        provenance replaced by the new ones. Only what differs is written: a description
        that comes out the same is left as it is, with its time, even by a run stopped
        halfway through its write."""
        sources = []
        for graph in self._source_graphs(resource):
            source = in_hand[graph] if graph in in_hand else self._read_source(graph)
            if source is not None and source.format:
                sources.append(source)
        view, provenance = self.store.view_graph, self.layout.provenance
        old = self.store.owned_triples(view, resource)
        old_provenance = self.store.owned_triples(provenance, resource, RDF_SUBJECT)
        if not sources:
            deletes += [(view, t) for t in old]
            deletes += [(provenance, t) for t in old_provenance]
            done.gone.append(resource)
            done.times[resource] = _canonical(when)
            return
        result = consolidate(resource, sources, self.layout.published_flag)
        previous = _stamp_in(resource, old_provenance)
        if old and set(old) == set(result.triples):
            stamp = previous  # the same description: its time stays (if it has one)
            if previous is not None:
                done.times[resource] = _canonical(previous.value)
            done.kept.append(resource)
        else:
            if previous is not None and _instant(previous.value) > _instant(when):
                when = previous.value  # never back in time (records read out of order)
            stamp = _stamp(when)
            done.written.append(result)
            done.times[resource] = _canonical(when)
        new_provenance = list(result.provenance)
        if stamp is not None:
            new_provenance.append(Triple(resource, MODIFIED, stamp))
        _difference(view, old, result.triples, deletes, inserts)
        _difference(provenance, old_provenance, new_provenance, deletes, inserts)

    def stamp(self, resource: NamedNode) -> Literal | None:
        """When the resource's published description last changed (None: not stamped,
        a view written before the stamps were)."""
        return _stamp_in(resource, self.store.owned_triples(self.layout.provenance, resource))

    def stamps(self, resources: Sequence[NamedNode]) -> dict[NamedNode, str]:
        """`stamp` of many resources, in a few queries (those not stamped left out)."""
        found: dict[NamedNode, str] = {}
        for start in range(0, len(resources), 500):
            values = " ".join(str(r) for r in resources[start : start + 500])
            rows = self.store.query(
                f"SELECT ?r ?t WHERE {{ VALUES ?r {{ {values} }}"
                f" GRAPH {self.layout.provenance} {{ ?r {MODIFIED} ?t }} }}"
            )
            assert isinstance(rows, QuerySolutions)
            for row in rows:
                if isinstance(row["r"], NamedNode) and isinstance(row["t"], Literal):
                    found[row["r"]] = _canonical(row["t"].value)
        return found

    # --- reading ------------------------------------------------------------------------

    def _source_graphs(self, resource: NamedNode) -> list[NamedNode]:
        graphs = self.store.graphs_describing(resource)
        return sorted((g for g in graphs if not self.layout.is_view_graph(g)), key=str)

    def _has_statements(self, resource: NamedNode) -> bool:
        found = self.store.query(
            f"ASK {{ GRAPH {self.layout.provenance} {{ ?statement {RDF_SUBJECT} {resource} }} }}"
        )
        return bool(found)

    def _read_source(self, graph: NamedNode) -> Source | None:
        """A graph as a source record; None when the store does not hold it."""
        if not self.store.graph_exists(graph):
            return None
        return source_of(graph, self.store.graph_triples(graph), self.layout.source_format)

    def _mark(self, resource: NamedNode) -> Triple:
        return Triple(resource, self.layout.pending_flag, PENDING_MARK)

    # --- writing --------------------------------------------------------------------------

    def _write(self, deletes: Quads, inserts: Quads, done: Iterable[NamedNode]) -> None:
        """Old descriptions out, new ones in, then the marks of the resources done: in
        three writes, each whole; a crash between them leaves the marks, so the next run
        recomputes those resources (deleting whatever of theirs it finds)."""
        self.store.remove_quads(deletes)
        self.store.insert_quads(inserts)
        self.store.remove_quads([(self.layout.pending, self._mark(r)) for r in sorted(done)])


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _stamp(when: str) -> Literal:
    return Literal(when, datatype=XSD_DATETIME)


def _stamp_in(resource: NamedNode, provenance: Iterable[Triple]) -> Literal | None:
    for triple in provenance:
        if triple.subject == resource and triple.predicate == MODIFIED:
            return triple.object if isinstance(triple.object, Literal) else None
    return None


def _changed_at(changes: Iterable[Change]) -> str:
    """When a change to a resource's description happened: the latest
    `prov:generatedAtTime` of the records written that touch it (so a resource made from
    one record changed when that record was read), else now (a removal)."""
    times = [t for c in changes if c.new is not None and (t := _generated_at(c.new))]
    return max(times, key=_instant) if times else _now()


def _generated_at(source: Source) -> str | None:
    """The record's `prov:generatedAtTime` (the mapper writes it last: looked for from
    the end)."""
    for triple in reversed(source.triples):
        if (
            triple.predicate == _GENERATED
            and triple.subject == source.graph
            and isinstance(triple.object, Literal)
        ):
            return triple.object.value
    return None


def _canonical(stamp: str) -> str:
    """One form of a time, whichever a store gives back (Oxigraph writes UTC as `Z`):
    `2024-05-01T10:00:00+00:00`."""
    when = _instant(stamp)
    return when.astimezone(UTC).isoformat() if when.year > 1 else stamp


def _instant(stamp: str) -> datetime:
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _difference(
    graph: NamedNode | None,
    old: Iterable[Triple],
    new: Iterable[Triple],
    deletes: Quads,
    inserts: Quads,
) -> None:
    """What turns `old` into `new` in the graph. (The view holds no blank nodes, and
    the store keeps every literal the mapper writes as written: equal triples compare
    equal.)"""
    old, new = list(dict.fromkeys(old)), list(dict.fromkeys(new))
    before, after = set(old), set(new)
    deletes += [(graph, t) for t in old if t not in after]
    inserts += [(graph, t) for t in new if t not in before]


def _same_claims(resource: NamedNode, change: Change) -> bool:
    """Whether the change leaves what its graph says about the resource as it was."""
    if change.old is None or change.new is None:
        return False
    return claims_of(resource, change.old) == claims_of(resource, change.new)


@dataclass(frozen=True)
class DisagreementCount:
    """Resources on which sources of two formats gave one field different values."""

    property: str
    published_format: str  # the format of the source whose value was published
    other_format: str
    resources: int
    example: str  # one such resource


def disagreement_counts(store: Store, base_uri: str) -> list[DisagreementCount]:
    """Per field and pair of source formats: how many resources they disagree on (read
    from the provenance graph: a statement not published beside one published)."""
    layout = Layout(base_uri)
    statement = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    rows = store.query(
        f"""SELECT ?p ?won ?lost (COUNT(DISTINCT ?r) AS ?n) (MIN(STR(?r)) AS ?example) WHERE {{
          GRAPH {layout.provenance} {{
            ?other {statement}subject> ?r ; {statement}predicate> ?p ;
                   {layout.published_flag} false ; {PROV_DERIVED} ?lostGraph .
            ?chosen {statement}subject> ?r ; {statement}predicate> ?p ;
                    {layout.published_flag} true ; {PROV_DERIVED} ?wonGraph .
          }}
          FILTER (?p != <https://schema.org/author>)  # follows the author list
          GRAPH ?wonGraph {{ ?wonGraph {layout.source_format} ?won }}
          GRAPH ?lostGraph {{ ?lostGraph {layout.source_format} ?lost }}
        }} GROUP BY ?p ?won ?lost ORDER BY DESC(?n) ?p ?won ?lost"""
    )
    assert isinstance(rows, QuerySolutions)
    return [
        DisagreementCount(
            row["p"].value,
            row["won"].value,
            row["lost"].value,
            int(row["n"].value),
            row["example"].value,
        )
        for row in rows
    ]


def listing_entry(result: Consolidated) -> tuple[str, tuple[str, ...], str]:
    """(IRI, classes, label) of a published description, for listing pages: its name,
    else its least identifier value, else nothing (as the SPARQL listing labels it)."""
    resource = result.resource
    classes, names, nodes = [], [], set()
    values: dict[object, list[str]] = {}
    for t in result.triples:
        if t.predicate == SCHEMA_VALUE and isinstance(t.object, Literal):
            values.setdefault(t.subject, []).append(t.object.value)
        if t.subject != resource:
            continue
        if t.predicate == RDF_TYPE and isinstance(t.object, NamedNode):
            classes.append(t.object.value)
        elif t.predicate == SCHEMA_NAME and isinstance(t.object, Literal):
            names.append(t.object.value)
        elif t.predicate == SCHEMA_IDENTIFIER:
            nodes.add(t.object)
    identifiers = [v for node in nodes for v in values.get(node, [])]
    label = min(names) if names else min(identifiers) if identifiers else ""
    return resource.value, tuple(sorted(classes)), label
