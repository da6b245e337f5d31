"""Finding, in a store's source graphs, which resources are one thing
(`publisher.mapping.identity`), and what a write changes about that.

Keys are read from the source graphs only (never from the view, which is made from
them), with one query per round for a whole batch: the resources a round found, their
keys, then the resources with those keys, until no new one turns up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, QuerySolutions

from publisher.mapping.consolidate import (
    SCHEMA_IDENTIFIER,
    SCHEMA_PERSON,
    SCHEMA_PROPERTY_ID,
    SCHEMA_SAME_AS,
    SCHEMA_VALUE,
)
from publisher.mapping.identity import (
    ORCID_PREFIX,
    OWL_SAME_AS,
    Identity,
    Key,
    drop_ambiguous_orcids,
    keys_from_row,
)
from publisher.mapping.vocab import RDF_TYPE, schema
from publisher.store.base import Store, in_graph
from publisher.store.layout import Layout

ISSN = schema("issn")
TRIAL = schema("MedicalTrial")
ROUNDS = 50  # a component larger than this many hops is cut there (never seen in data)


@dataclass
class Plan:
    """The components a write touches: each canonical IRI with its members (the
    source-level IRIs that are that thing), what every involved IRI is now called, and
    what the view called it before (empty: the view did not have it; more than one name
    only after a run stopped between a write's two halves). The view's names and aliases
    are looked up only for IRIs of the kinds that can be joined (`Identity.may_be_alias`):
    an article or an organisation is always its own name, alias of nothing, so `before`
    leaves it empty (which the plan reads as it would its own name)."""

    units: dict[NamedNode, frozenset[NamedNode]] = field(default_factory=dict)
    canonical: dict[NamedNode, NamedNode] = field(default_factory=dict)
    before: dict[NamedNode, frozenset[NamedNode]] = field(default_factory=dict)
    old_members: dict[NamedNode, set[NamedNode]] = field(default_factory=dict)
    forced: set[NamedNode] = field(default_factory=set)  # units to recompute in any case

    def renamed(self, member: NamedNode) -> bool:
        """Whether the view called this IRI otherwise before the write."""
        before = self.before.get(member, frozenset())
        return bool(before) and before != {self.canonical.get(member)}

    def known_as(self, member: NamedNode, canonical: NamedNode) -> bool:
        """Whether the view had the member under this canonical IRI, or not at all."""
        return self.before.get(member, frozenset()) <= {canonical}


class Identities:
    """The identity keys of a store's resources, and the components they make."""

    def __init__(self, store: Store, base_uri: str) -> None:
        self.store = store
        self.layout = Layout(base_uri)
        self.rules = Identity(base_uri)

    # --- planning a write --------------------------------------------------------------

    def plan(self, touched: Iterable[NamedNode]) -> Plan:
        """Every component a write of these (source-level) resources changes, and the
        resources that refer to a renamed IRI (their view must say the new name)."""
        plan = Plan()
        frontier = set(touched)
        referring: set[NamedNode] = set()
        for _ in range(ROUNDS):
            if not frontier:
                break
            found = self._components(frontier)
            for canonical, members in found.items():
                plan.units[canonical] = plan.units.get(canonical, frozenset()) | members
                for member in members:
                    plan.canonical[member] = canonical
            new_units = [c for c in found if c not in plan.old_members]
            plan.old_members.update({c: set() for c in new_units})
            plan.old_members.update(self.view_aliases(filter(self.rules.may_be_alias, new_units)))
            lost = {a for c in new_units for a in plan.old_members[c]}  # may have left
            new = {m for members in found.values() for m in members} - set(plan.before)
            plan.before.update({m: frozenset() for m in new})
            plan.before.update(self.view_names(filter(self.rules.may_be_alias, new)))
            renamed = {m for m in new if plan.renamed(m)}
            was = {b for m in renamed for b in plan.before[m]}
            frontier = set(was) | lost
            frontier |= {a for aliases in self.view_aliases(was).values() for a in aliases}
            referrers = self.referrers(renamed)
            referring |= referrers
            frontier |= referrers
            frontier -= set(plan.canonical)
        plan.forced = {plan.canonical[r] for r in referring if r in plan.canonical}
        return plan

    def _components(self, resources: set[NamedNode]) -> dict[NamedNode, frozenset[NamedNode]]:
        """Each resource's component, by shared keys; parts of periodicals by their
        periodical's component; other resources alone."""
        wholes: dict[NamedNode, tuple[NamedNode, str]] = {}
        for resource in resources:
            found = self.rules.whole_of(resource)
            if found is not None:
                wholes[resource] = found
        keyed_components = self._keyed(
            (resources - set(wholes)) | {whole for whole, _ in wholes.values()}
        )
        result: dict[NamedNode, frozenset[NamedNode]] = {}
        for resource in resources - set(wholes):
            canonical, members = keyed_components[resource]
            result[canonical] = result.get(canonical, frozenset()) | members
        for part, (whole, rest) in sorted(wholes.items(), key=lambda item: item[0].value):
            canonical_whole, whole_members = keyed_components[whole]
            candidates = {NamedNode(m.value + rest) for m in whole_members}
            members = frozenset(c for c in candidates if c == part or self._described(c))
            canonical = NamedNode(canonical_whole.value + rest)
            result[canonical] = result.get(canonical, frozenset()) | members
        return result

    def _keyed(
        self, resources: set[NamedNode]
    ) -> dict[NamedNode, tuple[NamedNode, frozenset[NamedNode]]]:
        """For each resource: its component's canonical IRI and members."""
        keys_of: dict[NamedNode, set[Key]] = {}
        todo = set(resources)
        for _ in range(ROUNDS):
            if not todo:
                break
            found = self.keys(todo)
            for resource in todo:
                keys_of[resource] = found.get(resource, set())
            new_keys = {k for r in todo for k in keys_of[r]}
            todo = self.holders(new_keys) - set(keys_of)
        drop_ambiguous_orcids(keys_of)
        # Union-find over shared keys.
        parent: dict[NamedNode, NamedNode] = {r: r for r in keys_of}

        def root(node: NamedNode) -> NamedNode:
            while parent[node] != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        first_holder: dict[Key, NamedNode] = {}
        for resource in sorted(keys_of, key=str):
            for key in sorted(keys_of[resource]):
                holder = first_holder.setdefault(key, resource)
                parent[root(resource)] = root(holder)
        groups: dict[NamedNode, set[NamedNode]] = {}
        for resource in keys_of:
            groups.setdefault(root(resource), set()).add(resource)
        result: dict[NamedNode, tuple[NamedNode, frozenset[NamedNode]]] = {}
        for members in groups.values():
            keys = {k for m in members for k in keys_of[m]}
            canonical = self.rules.canonical(members, keys)
            for member in members:
                result[member] = (canonical, frozenset(members))
        return result

    # --- queries ------------------------------------------------------------------------

    def _source_filter(self) -> str:
        views = ", ".join(
            str(g) for g in (self.layout.published, self.layout.provenance, self.layout.pending)
        )
        return f"FILTER (?g NOT IN ({views}))"

    def keys(self, resources: Iterable[NamedNode]) -> dict[NamedNode, set[Key]]:
        """The identity keys the source graphs state for these resources. Only the IRIs
        the mapper mints for what can have keys are asked (`Identity.may_be_alias`:
        periodicals, persons, trials); an article, the bulk of a batch, is not. (One
        query with the kinds as a UNION inside GRAPH: Virtuoso 7 fails to compile a
        UNION of per-kind VALUES blocks.)"""
        keyed = sorted(filter(self.rules.may_be_alias, resources), key=str)
        values = " ".join(str(r) for r in keyed)
        if not values:
            return {}
        rows = self.store.query(
            f"""SELECT DISTINCT ?r ?kind ?scheme ?v WHERE {{ VALUES ?r {{ {values} }}
              GRAPH ?g {{
                {{ ?r {ISSN} ?v BIND("issn" AS ?kind) }}
                UNION {{ ?r {SCHEMA_SAME_AS} ?v ; {RDF_TYPE} {SCHEMA_PERSON} BIND("orcid" AS ?kind)
                        FILTER (STRSTARTS(STR(?v), "{ORCID_PREFIX}")) }}
                UNION {{ ?r {RDF_TYPE} {TRIAL} ; {SCHEMA_IDENTIFIER} ?id .
                        ?id {SCHEMA_PROPERTY_ID} ?scheme ; {SCHEMA_VALUE} ?v
                        BIND("trial" AS ?kind) }}
              }} {self._source_filter()} }}"""
        )
        assert isinstance(rows, QuerySolutions)
        found: dict[NamedNode, set[Key]] = {}
        for row in rows:
            scheme = row["scheme"].value if row["scheme"] is not None else ""
            key = keys_from_row(row["kind"].value, scheme, row["v"].value)
            if key is not None and isinstance(row["r"], NamedNode):
                found.setdefault(row["r"], set()).add(key)
        return found

    def holders(self, keys: Iterable[Key]) -> set[NamedNode]:
        """The resources the source graphs give any of these keys."""
        keys = list(keys)
        if not keys:
            return set()
        parts = []
        issns = " ".join(str(Literal(k.value)) for k in keys if k.kind == "issn")
        if issns:
            parts.append(f"{{ VALUES ?v {{ {issns} }} ?r {ISSN} ?v }}")
        orcids = " ".join(f"<{ORCID_PREFIX}{k.value}>" for k in keys if k.kind == "orcid")
        if orcids:
            parts.append(
                f"{{ VALUES ?o {{ {orcids} }} ?r {SCHEMA_SAME_AS} ?o ;"
                f" {RDF_TYPE} {SCHEMA_PERSON} }}"
            )
        trials = " ".join(
            f"({Literal(k.scheme)} {Literal(k.value)})" for k in keys if k.kind == "trial"
        )
        if trials:
            parts.append(
                f"{{ VALUES (?scheme ?v) {{ {trials} }}"
                f" ?id {SCHEMA_PROPERTY_ID} ?scheme ; {SCHEMA_VALUE} ?v ."
                f" ?r {SCHEMA_IDENTIFIER} ?id ; {RDF_TYPE} {TRIAL} }}"
            )
        rows = self.store.query(
            f"SELECT DISTINCT ?r WHERE {{ GRAPH ?g {{ {' UNION '.join(parts)} }}"
            f" {self._source_filter()} }}"
        )
        assert isinstance(rows, QuerySolutions)
        return {row["r"] for row in rows if isinstance(row["r"], NamedNode)}

    def referrers(self, resources: Iterable[NamedNode]) -> set[NamedNode]:
        """The resources whose source records point at any of these."""
        values = " ".join(str(r) for r in sorted(resources, key=str))
        if not values:
            return set()
        rows = self.store.query(
            f"SELECT DISTINCT ?s WHERE {{ VALUES ?o {{ {values} }} GRAPH ?g {{ ?s ?p ?o }}"
            f" FILTER (isIRI(?s) && ?s != ?g) {self._source_filter()} }}"
        )
        assert isinstance(rows, QuerySolutions)
        return {row["s"] for row in rows if isinstance(row["s"], NamedNode)}

    def view_names(self, resources: Iterable[NamedNode]) -> dict[NamedNode, frozenset[NamedNode]]:
        """What the view calls each resource now: its canonical IRI when it is an alias,
        itself when it has a description of its own, nothing when the view lacks it."""
        resources = sorted(set(resources), key=str)
        if not resources:
            return {}
        values = " ".join(str(r) for r in resources)
        view = self.store.view_graph
        names: dict[NamedNode, set[NamedNode]] = {r: set() for r in resources}
        rows = self.store.query(
            f"SELECT ?r ?c WHERE {{ VALUES ?r {{ {values} }}"
            f" {in_graph(view, f'?r {OWL_SAME_AS} ?c')} }}"
        )
        assert isinstance(rows, QuerySolutions)
        for row in rows:
            if isinstance(row["c"], NamedNode):
                names[row["r"]].add(row["c"])
        described = self.store.query(
            f"SELECT DISTINCT ?r WHERE {{ VALUES ?r {{ {values} }}"
            f" {in_graph(view, f'?r {RDF_TYPE} ?type')} }}"
        )
        assert isinstance(described, QuerySolutions)
        for row in described:
            names[row["r"]].add(row["r"])
        return {r: frozenset(n) for r, n in names.items()}

    def view_aliases(self, canonicals: Iterable[NamedNode]) -> dict[NamedNode, set[NamedNode]]:
        """The IRIs the view says are each of these (their aliases), in one query."""
        values = " ".join(str(c) for c in sorted(set(canonicals), key=str))
        found: dict[NamedNode, set[NamedNode]] = {c: set() for c in canonicals}
        if not values:
            return found
        pattern = in_graph(self.store.view_graph, f"?a {OWL_SAME_AS} ?c")
        rows = self.store.query(f"SELECT ?a ?c WHERE {{ VALUES ?c {{ {values} }} {pattern} }}")
        assert isinstance(rows, QuerySolutions)
        for row in rows:
            if isinstance(row["a"], NamedNode):
                found.setdefault(row["c"], set()).add(row["a"])
        return found

    def view_renaming(self, terms: Iterable[NamedNode]) -> dict[NamedNode, NamedNode]:
        """Aliases among these IRIs, as the view has them (before this write)."""
        wanted = [t for t in set(terms) if self.rules.may_be_alias(t)]
        renaming = {}
        for term, names in self.view_names(wanted).items():
            others = sorted(names - {term}, key=str)
            if others and term not in names:
                renaming[term] = others[0]
        return renaming

    def _described(self, resource: NamedNode) -> bool:
        return bool(self.store.graphs_describing(resource))
