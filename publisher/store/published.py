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
* `{base}graph/pending`: what is being recomputed: the source graphs a write changes
  (ingest, remove), or resources (`mark`). They are marked before the sources are
  written and unmarked last, in the transaction that deletes the old descriptions (the
  new ones are written before it), so a crash at any point leaves marks that the next
  `ingest` or `remove` finishes (`recover`), never a description out of step with its
  sources. A marked graph stands for the resources it describes now and those the
  provenance graph says were derived from it (which it keeps until that last write).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple

from publisher.mapping.consolidate import (
    PROV_DERIVED,
    RDF_SUBJECT,
    SCHEMA_IDENTIFIER,
    SCHEMA_VALUE,
    Consolidated,
    Precedence,
    Source,
    claim_node,
    claims_of,
    consolidate,
    source_of,
)
from publisher.mapping.identity import Renaming, alias_triples
from publisher.mapping.vocab import PROV, RDF_TYPE, SCHEMA_NAME, XSD_DATETIME
from publisher.store.base import DCTERMS_MODIFIED, Store, in_graph
from publisher.store.identities import Identities, Plan
from publisher.store.layout import Layout

READ_SOURCES = 512  # source graphs kept while one write's view is worked out
PENDING_MARK = Literal("pending")  # a resource
GRAPH_MARK = Literal("graph")  # a source graph: the resources it describes, before and after
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
    format: str | None = None  # its `pub:sourceFormat`, when known (then not looked up)


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
    marks: list[Triple] = field(default_factory=list)  # in the pending graph


@dataclass(frozen=True)
class InGraph:
    """A resource's description (its triples and its `#` nodes'), all written to one
    graph as it came: a worker process's N-Triples are loaded as they are, never parsed
    (`Store.insert_quads`)."""

    graph: NamedNode | None
    resource: NamedNode
    triples: Sequence[Triple]


Quads = list[tuple[NamedNode | None, Triple] | InGraph]


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
    # The aliases of every component touched ({alias: canonical}): not published as
    # resources of their own, whatever a run killed before recording their withdrawal
    # left in the side database.
    aliases: dict[NamedNode, NamedNode] = field(default_factory=dict)

    def extend(self, other: ViewChanges) -> None:
        self.written += other.written
        self.gone += other.gone
        self.kept += other.kept
        self.times.update(other.times)
        self.aliases.update(other.aliases)


class PublishedView:
    """Recomputes the published description of the resources a change touches.

    Most changes need no reading back: a resource new to the view is made from the
    records in hand; a record that adds nothing new about a resource with several
    sources (the thousandth article of a journal) only adds itself to the provenance;
    a record re-ingested unchanged changes nothing. Only the rest reads every source of
    the resource again, so the cost of a record does not grow with how many records
    share its journal, except when it disagrees with them or a record is removed."""

    def __init__(self, store: Store, base_uri: str, precedence: Precedence | None = None) -> None:
        self.store = store
        self.layout = Layout(base_uri)
        self.precedence = precedence or Precedence()
        self.identities = Identities(store, base_uri)
        self._read: OrderedDict[NamedNode, Source | None] | None = None  # see _reading

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
                if one.format is not None:  # the triples stay unparsed until read
                    new = Source(one.graph, one.format, one.triples)
                else:
                    new = source_of(one.graph, one.triples, self.layout.source_format)
                resources = one.resources if one.resources is not None else new.resources
            changes.append(Change(one.graph, old, new, resources, one.alone))
        marks = [Triple(c.graph, self.layout.pending_flag, GRAPH_MARK) for c in changes]
        batch = Batch(changes, {r for c in changes for r in c.touches()}, marks)
        self.store.insert_quads([(self.layout.pending, m) for m in marks])
        return batch

    def mark(self, resources: Iterable[NamedNode]) -> None:
        """Note, in the store, that these resources are about to change."""
        marks = [(self.layout.pending, self._mark(r)) for r in sorted(resources)]
        self.store.insert_quads(marks)

    def pending(self) -> set[NamedNode]:
        """The resources marked, and those of the graphs marked (see the module's doc)."""
        resources, graphs = self._marked()
        return resources | self._resources_of(graphs)

    def _marked(self) -> tuple[set[NamedNode], set[NamedNode]]:
        """The resources marked and the source graphs marked."""
        result = self.store.query(
            f"SELECT ?s ?o WHERE {{ GRAPH {self.layout.pending} {{ ?s ?p ?o }} }}"
        )
        assert isinstance(result, QuerySolutions)
        resources: set[NamedNode] = set()
        graphs: set[NamedNode] = set()
        for row in result:
            if isinstance(row["s"], NamedNode):
                (graphs if row["o"] == GRAPH_MARK else resources).add(row["s"])
        return resources, graphs

    def _resources_of(self, graphs: Iterable[NamedNode]) -> set[NamedNode]:
        """What a marked graph stands for: the resources the provenance graph says were
        derived from it (a statement about a resource counts as the resource; a resource
        has a description in the view until the write that clears the mark), and those
        it describes now."""
        found: set[NamedNode] = set()
        described = in_graph(self.store.view_graph, "?r ?p ?o")
        for graph in sorted(graphs, key=str):
            rows = self.store.query(
                f"SELECT DISTINCT ?r WHERE {{ GRAPH {self.layout.provenance} {{"
                f" ?s {PROV_DERIVED} {graph} OPTIONAL {{ ?s {RDF_SUBJECT} ?about }} }}"
                f" BIND (COALESCE(?about, ?s) AS ?r) FILTER EXISTS {{ {described} }} }}"
            )
            assert isinstance(rows, QuerySolutions)
            found |= {row["r"] for row in rows if isinstance(row["r"], NamedNode)}
            source = self._read_source(graph)
            if source is not None:
                found |= source.resources
        return found

    # --- after the write --------------------------------------------------------------

    def apply(self, batch: Batch) -> ViewChanges:
        """Bring the view up to date with the written batch."""
        with self._reading():
            plan = self.identities.plan(batch.touched)
            return self._bring_up_to_date(plan, batch.changes, batch.marks)

    def refresh(self, resources: Iterable[NamedNode], batch: Batch | None = None) -> ViewChanges:
        """Recompute the resources from all their sources, reading every one (and clear
        their marks, and those of `batch`)."""
        todo = set(resources)
        with self._reading():
            plan = self.identities.plan(todo)
            plan.forced |= set(plan.units)
            marks = [self._mark(r) for r in sorted(todo)] + (batch.marks if batch else [])
            return self._bring_up_to_date(plan, [], marks)

    def _bring_up_to_date(
        self, plan: Plan, changes: list[Change], marks: list[Triple]
    ) -> ViewChanges:
        deletes: Quads = []
        inserts: Quads = []
        done = ViewChanges()
        in_hand = {c.graph: c.new for c in changes}
        by_member: dict[NamedNode, list[Change]] = {}
        for change in changes:
            for touched in change.touches():
                by_member.setdefault(touched, []).append(change)
        renaming = self._batch_renaming(plan, changes)
        now = _now()
        for canonical in sorted(plan.units, key=lambda r: r.value):
            members = plan.units[canonical]
            done.aliases.update((m, canonical) for m in members if m != canonical)
            relevant = list({id(c): c for m in members for c in by_member.get(m, [])}.values())
            when = _changed_at(relevant, now)
            if self._unchanged_identity(plan, canonical) and canonical not in plan.forced:
                if relevant and all(
                    _same_claims(m, c) for m in members for c in by_member.get(m, [])
                ):
                    done.kept.append(canonical)  # re-ingested as it was: nothing to change
                    continue
                if all(c.old is None for c in relevant) and self._added(
                    canonical, plan, relevant, renaming, inserts, done, when
                ):
                    continue
            self._recompute(canonical, plan, in_hand, renaming, deletes, inserts, done, when)
        self._write(deletes, inserts, marks)
        # Read here, in step with this write, for the side database to check it has them.
        done.times.update(self.stamps([r for r in done.kept if r not in done.times]))
        return done

    def _unchanged_identity(self, plan: Plan, canonical: NamedNode) -> bool:
        """Whether the component is as the view had it, or new to it: its members were
        called by this canonical IRI or not yet known, and it lost none."""
        members = plan.units[canonical]
        if plan.old_members.get(canonical, set()) - members:
            return False
        return all(plan.known_as(m, canonical) for m in members)

    def _batch_renaming(self, plan: Plan, changes: list[Change]) -> Renaming:
        """The names the view gives the IRIs the written records refer to: the plan's,
        else what the view said before."""
        referred = {
            t.object
            for c in changes
            if c.new is not None
            for t in c.new.triples
            if isinstance(t.object, NamedNode) and t.object not in plan.canonical
        }
        names = dict(self.identities.view_renaming(referred))
        names.update(plan.canonical)
        return Renaming(names)

    def recover(self) -> ViewChanges:
        """Finish what a stopped run left marked."""
        resources, graphs = self._marked()
        if not resources and not graphs:
            return ViewChanges()
        marks = [Triple(g, self.layout.pending_flag, GRAPH_MARK) for g in sorted(graphs)]
        return self.refresh(resources | self._resources_of(graphs), Batch([], marks=marks))

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
        self._drop_others(resources | set(self.identities.plan(resources).units))
        return self.refresh(resources)

    def source_graphs(self) -> list[NamedNode]:
        """Every source record's graph."""
        result = self.store.query(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g {RDF_TYPE} {self.layout.source_class} }}"
            " }"
        )
        assert isinstance(result, QuerySolutions)
        return sorted((row["g"] for row in result if isinstance(row["g"], NamedNode)), key=str)

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

    # --- the ways a resource is brought up to date ------------------------------------

    def _added(
        self,
        canonical: NamedNode,
        plan: Plan,
        changes: list[Change],
        renaming: Renaming,
        inserts: Quads,
        done: ViewChanges,
        when: str,
    ) -> bool:
        """New records about a resource, added without reading its other sources when
        that can be done (False otherwise). A resource not in the view yet is made from
        them (a consistent view holds every resource some source describes); a resource
        with several sources (its provenance has statements) whose description already
        holds everything a new record says gets that record added to its provenance."""
        view = self.store.view_graph
        members = plan.units[canonical]
        current = set(self.store.owned_triples(view, canonical))
        new_aliases = [m for m in members if not plan.before.get(m)]
        aliases = [(view, t) for t in alias_triples(canonical, new_aliases)]
        if not current:
            if len(changes) == 1:
                graph = changes[0].graph
                triples = self._alone(canonical, members, changes[0], renaming)
                inserts.append(InGraph(view, canonical, triples))
                inserts += aliases
                inserts.append((self.layout.provenance, Triple(canonical, PROV_DERIVED, graph)))
                result = Consolidated(canonical, list(triples), [], (graph,))
            else:
                sources = [self._renamed(c.new, renaming) for c in changes if c.new is not None]
                result = consolidate(
                    canonical, sources, self.layout.published_flag, self.precedence
                )
                inserts += [(view, t) for t in result.triples] + aliases
                inserts += [(self.layout.provenance, t) for t in result.provenance]
            self._changed(canonical, result, _stamp(when), inserts, done)
            return True
        if not self._has_statements(canonical):
            return False  # one source so far: the statements are to be written now
        added: Quads = []
        provenance = self.layout.provenance
        for change in changes:
            triples = self._alone(canonical, members, change, renaming)
            if not set(triples) <= current:
                return False  # it says something new, or says it otherwise
            added.append((provenance, Triple(canonical, PROV_DERIVED, change.graph)))
            claims = [claim_node(canonical, t.predicate, t.object)
                      for t in triples if t.subject == canonical]  # fmt: skip
            added += [(provenance, Triple(c, PROV_DERIVED, change.graph)) for c in claims]
        inserts += added
        inserts += aliases
        done.kept.append(canonical)
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

    def _alone(
        self,
        canonical: NamedNode,
        members: frozenset[NamedNode],
        change: Change,
        renaming: Renaming,
    ) -> Sequence[Triple]:
        """The resource's description from this record alone: worked out by the worker
        process that mapped it, with the names the view gives (the record's IRI of the
        resource, and those it refers to, renamed as a whole: the same triples as
        consolidating the renamed record, at a fraction of the cost), or here when the
        record describes more than one member of the component."""
        assert change.new is not None
        described = [m for m in members if change.alone is not None and m in change.alone]
        if len(described) == 1 and change.alone is not None:
            alone = change.alone[described[0]]
            renamed = Renaming({**renaming.canonical, described[0]: canonical})
            return renamed.triples(alone) if renamed.touches(alone) else alone
        source = self._renamed(change.new, renaming)
        return consolidate(canonical, [source], self.layout.published_flag, self.precedence).triples

    def _renamed(self, source: Source, renaming: Renaming) -> Source:
        if not renaming.touches(source.triples):
            return source
        return Source(source.graph, source.format, renaming.triples(source.triples))

    def described(self, resource: NamedNode) -> Consolidated:
        """The resource's published description as it stands (its provenance not read)."""
        triples = self.store.owned_triples(self.store.view_graph, resource)
        return Consolidated(resource, triples, [], ())

    def _recompute(
        self,
        canonical: NamedNode,
        plan: Plan,
        in_hand: dict[NamedNode, Source | None],
        renaming: Renaming,
        deletes: Quads,
        inserts: Quads,
        done: ViewChanges,
        when: str,
    ) -> None:
        """From every source of every member, read back (except those in hand), with
        the names the view gives; the old descriptions, aliases and provenance of the
        component replaced by the new. Only what differs is written: a description that
        comes out the same is left as it is, with its time."""
        members = plan.units[canonical]
        view = self.store.view_graph
        sources = []
        for graph in self._source_graphs(members):
            source = in_hand[graph] if graph in in_hand else self._read_source(graph)
            if source is not None and source.format:
                sources.append(source)
        if sources:
            renaming = self._full_renaming(sources, plan, renaming)
        everything = {canonical} | members | plan.old_members.get(canonical, set())
        old: list[Triple] = []
        old_provenance: list[Triple] = []
        for resource in sorted(everything, key=lambda r: r.value):
            old += self.store.owned_triples(view, resource)
            old_provenance += self.store.owned_triples(
                self.layout.provenance, resource, RDF_SUBJECT
            )
        retired = [m for m in members if m != canonical and m in plan.before.get(m, ())]
        done.gone += retired
        done.times.update((m, _canonical(when)) for m in retired)
        if not sources:
            deletes += [(view, t) for t in old]
            deletes += [(self.layout.provenance, t) for t in old_provenance]
            done.gone.append(canonical)
            done.times[canonical] = _canonical(when)
            return
        renamed = [self._renamed(s, renaming) for s in sources]
        result = consolidate(canonical, renamed, self.layout.published_flag, self.precedence)
        new = [*result.triples, *alias_triples(canonical, members)]
        stamp = self._stamp_for(canonical, old, new, old_provenance, result, when, done)
        new_provenance = list(result.provenance)
        if stamp is not None:
            new_provenance.append(Triple(canonical, MODIFIED, stamp))
        _difference(view, old, new, deletes, inserts)
        _difference(self.layout.provenance, old_provenance, new_provenance, deletes, inserts)

    def _stamp_for(
        self,
        canonical: NamedNode,
        old: list[Triple],
        new: list[Triple],
        old_provenance: list[Triple],
        result: Consolidated,
        when: str,
        done: ViewChanges,
    ) -> Literal | None:
        """The time a recomputed description carries: the one it had when it comes out
        the same (kept), else `when`, never earlier than the previous time (records read
        out of order)."""
        previous = _stamp_in(canonical, old_provenance)
        if old and set(old) == set(new):
            if previous is not None:
                done.times[canonical] = _canonical(previous.value)
            done.kept.append(canonical)
            return previous
        if previous is not None and _instant(previous.value) > _instant(when):
            when = previous.value
        done.written.append(result)
        done.times[canonical] = _canonical(when)
        return _stamp(when)

    def _full_renaming(self, sources: list[Source], plan: Plan, renaming: Renaming) -> Renaming:
        """The batch's renaming, completed with the view's names for what these sources
        (read back from the store) refer to."""
        known = set(renaming.canonical) | set(plan.canonical)
        referred = {
            t.object
            for s in sources
            for t in s.triples
            if isinstance(t.object, NamedNode) and t.object not in known
        }
        extra = self.identities.view_renaming(referred)
        if not extra:
            return renaming
        return Renaming({**extra, **renaming.canonical})

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

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Source graphs read more than once while one write's view is worked out are
        read once (an article's authors and journal are recomputed from the same
        records); never kept across a write."""
        self._read = OrderedDict()
        try:
            yield
        finally:
            self._read = None

    def _source_graphs(self, resources: Iterable[NamedNode]) -> list[NamedNode]:
        graphs = {g for r in resources for g in self.store.graphs_describing(r)}
        return sorted((g for g in graphs if not self.layout.is_view_graph(g)), key=str)

    def _has_statements(self, resource: NamedNode) -> bool:
        found = self.store.query(
            f"ASK {{ GRAPH {self.layout.provenance} {{ ?statement {RDF_SUBJECT} {resource} }} }}"
        )
        return bool(found)

    def _read_source(self, graph: NamedNode) -> Source | None:
        """A graph as a source record; None when the store does not hold it."""
        if self._read is not None and graph in self._read:
            self._read.move_to_end(graph)
            return self._read[graph]
        found = None
        if self.store.graph_exists(graph):
            found = source_of(graph, self.store.graph_triples(graph), self.layout.source_format)
        if self._read is not None:
            self._read[graph] = found
            if len(self._read) > READ_SOURCES:
                self._read.popitem(last=False)
        return found

    def _mark(self, resource: NamedNode) -> Triple:
        return Triple(resource, self.layout.pending_flag, PENDING_MARK)

    # --- writing --------------------------------------------------------------------------

    def _write(self, deletes: Quads, inserts: Quads, marks: Sequence[Triple]) -> None:
        """New descriptions in, then old ones out with the marks: two writes, each whole
        (what both would delete and insert is left as it is). A crash between them
        leaves the marks, and the provenance a marked graph's resources are found by, so
        the next run recomputes those resources (deleting whatever of theirs it finds)."""
        self._read = None  # the sources read are about to be out of date
        plain: list[tuple[NamedNode | None, Triple]] = []
        whole: list[InGraph] = []
        for quad in inserts:
            (whole if isinstance(quad, InGraph) else plain).append(quad)  # type: ignore[arg-type]
        removed = [q for q in deletes if not isinstance(q, InGraph)]
        if removed:  # inserted first, so what both hold is left out of both
            # A description can hold a removed triple only if its subject is the
            # resource or one of its `#` nodes: only those descriptions are read.
            owners = {w.resource.value for w in whole}
            subjects = {q[1].subject.value for q in removed if isinstance(q[1].subject, NamedNode)}
            read = {o for s in subjects for o in _owners(s) if o in owners}
            plain += [(w.graph, t) for w in whole if w.resource.value in read for t in w.triples]
            whole = [w for w in whole if w.resource.value not in read]
            both = set(removed).intersection(plain)
            if both:
                removed = [q for q in removed if q not in both]
                plain = [q for q in plain if q not in both]
        self.store.insert_quads(plain, [(w.graph, w.triples) for w in whole])
        self.store.remove_quads([*removed, *((self.layout.pending, m) for m in marks)])


def _owners(subject: str) -> list[str]:
    """The IRIs whose description a triple about `subject` can belong to: itself, and
    whatever precedes each `#` in it."""
    return [subject, *(subject[:i] for i, c in enumerate(subject) if c == "#")]


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


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _stamp(when: str) -> Literal:
    """The time as the store writes it back (UTC as `Z`, no trailing zeros in the
    seconds): Oxigraph keeps a dateTime by its value, so `+00:00` and `Z` are one triple
    to it but two to us, and a write that inserts one and deletes the other (the view's
    writes insert first) would lose the stamp."""
    instant = _instant(when)
    if instant.year == 1:
        return Literal(when, datatype=XSD_DATETIME)
    text = instant.isoformat()
    if "." in text[19:]:
        seconds, _, rest = text.partition(".")
        fraction, zone = rest[:6].rstrip("0"), rest[6:]
        text = f"{seconds}.{fraction}{zone}" if fraction else f"{seconds}{zone}"
    if text.endswith("+00:00"):
        text = text[: -len("+00:00")] + "Z"
    return Literal(text, datatype=XSD_DATETIME)


def _stamp_in(resource: NamedNode, provenance: Iterable[Triple]) -> Literal | None:
    for triple in provenance:
        if triple.subject == resource and triple.predicate == MODIFIED:
            return triple.object if isinstance(triple.object, Literal) else None
    return None


def _changed_at(changes: Iterable[Change], now: str) -> str:
    """When a change to a resource's description happened: the latest
    `prov:generatedAtTime` of the records written that touch it (so a resource made from
    one record changed when that record was read), else `now`, the write's one time (a
    removal, a recovery: every resource it changes changed at once)."""
    times = [t for c in changes if c.new is not None and (t := _generated_at(c.new))]
    return max(times, key=_instant) if times else now


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
