"""The fast path of validation: the shapes compiled into checks that decide conformance.

pyshacl costs about 0.1 s per record with our shapes (mostly its SPARQL constraints run
per focus node in rdflib), so at ingest it is the bottleneck by far. This module reads
the shapes graph once and compiles it into:

* core checks (targets, paths, sh:minCount, sh:datatype, sh:or, ...) evaluated in
  Python over an index of one record's pyoxigraph triples, and
* the SHACL-SPARQL constraints, each rewritten once into a query over a batch of
  records loaded into an in-memory Oxigraph store, one named graph per record, so one
  query finds the offending records of the whole batch.

It only answers "does this record conform?". A record it cannot pass is validated by
pyshacl itself, which writes the report and the messages; so reports stay exactly
pyshacl's, and the fast path only has to be sound: whenever it says "conforms", pyshacl
would have said so too (tests/test_fast_validation.py compares both on every corpus
record and on many broken ones). A shapes graph using anything this compiler does not
know is refused as a whole (`Unsupported`), and the validator then runs pyshacl on
every record, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, QuerySolutions, Triple
from pyoxigraph import Store as OxStore
from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.paths import NegatedPath, Path
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node, Variable

Term = NamedNode | BlankNode | Literal | Triple  # Triple: RDF-star quoted triples
Index = dict[Term, dict[NamedNode, list[Term]]]
Check = Callable[[Index, Term], bool]

RDF_TYPE = NamedNode(str(RDF.type))
SUBCLASS_OF = NamedNode(str(RDFS.subClassOf))
_STRING = NamedNode(str(XSD.string))
_LANG_STRING = NamedNode(str(RDF.langString))
_INTEGER = NamedNode(str(XSD.integer))
_SUBJECT = NamedNode(str(RDF.subject))  # keys of the per-predicate index
_OBJECT = NamedNode(str(RDF.object))

# Predicates a shape may carry that do not change what conforms.
_INERT = {
    SH.message, SH.name, SH.description, SH.order, SH.group, SH.severity, SH.defaultValue,
    RDF.type, RDFS.comment, RDFS.label, RDFS.seeAlso,
}  # fmt: skip
_TARGETS = {SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf}


class Unsupported(Exception):
    """The shapes use a feature the fast path does not compile; pyshacl does it all."""


def ox(term: Node) -> Term:
    """An rdflib term from the shapes graph as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return NamedNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return Literal(str(term), language=term.language)
        if term.datatype is not None:
            return Literal(str(term), datatype=NamedNode(str(term.datatype)))
        return Literal(str(term))
    raise Unsupported(f"unexpected term in a constraint: {term!r}")


@lru_cache(maxsize=65536)
def _well_typed(lexical: str, datatype: str) -> bool:
    """Whether pyshacl's sh:datatype accepts this literal: rdflib's parse of the lexical
    form, then pyshacl's own check of the parsed value (its code, not a copy of it)."""
    literal = RdfLiteral(lexical, datatype=URIRef(datatype))
    if getattr(literal, "ill_typed", None) is True:
        return False
    accepts = DatatypeConstraintComponent._assert_actual_datatype
    return bool(accepts(None, literal, URIRef(datatype)))  # type: ignore[no-untyped-call, arg-type]


def _datatype(rule: NamedNode) -> Check:
    def check(_: Index, v: Term) -> bool:
        if not isinstance(v, Literal):
            return False
        if v.language:
            return rule == _LANG_STRING
        if v.datatype != rule:
            return False
        return rule == _STRING or _well_typed(v.value, rule.value)

    return check


def _node_kind(kind: Node) -> Check:
    kinds: dict[Node, tuple[type, ...]] = {
        SH.IRI: (NamedNode,),
        SH.BlankNode: (BlankNode,),
        SH.Literal: (Literal,),
        SH.BlankNodeOrIRI: (BlankNode, NamedNode),
        SH.BlankNodeOrLiteral: (BlankNode, Literal),
        SH.IRIOrLiteral: (NamedNode, Literal),
    }
    if kind not in kinds:
        raise Unsupported(f"sh:nodeKind {kind}")
    allowed = kinds[kind]
    return lambda _, v: isinstance(v, allowed)


def _class(cls: NamedNode) -> Check:
    # Subclasses in the data send the record to pyshacl before any check runs (`_core`).
    return lambda index, v: not isinstance(v, Literal) and cls in index.get(v, {}).get(RDF_TYPE, ())


def _min_length(length: int) -> Check:
    return lambda _, v: isinstance(v, NamedNode | Literal) and len(v.value) >= length


def _pattern(regex: re.Pattern[str]) -> Check:
    # pyshacl tries match() then search(): together, exactly search().
    return lambda _, v: isinstance(v, NamedNode | Literal) and regex.search(v.value) is not None


def _min_inclusive(bound: Term) -> Check:
    if not (isinstance(bound, Literal) and bound.datatype == _INTEGER):
        raise Unsupported("sh:minInclusive other than an xsd:integer")
    low = int(bound.value)

    def check(_: Index, v: Term) -> bool:
        # Only a well-formed integer passes here; anything else is left to pyshacl.
        return (
            isinstance(v, Literal)
            and v.datatype == _INTEGER
            and re.fullmatch(r"[+-]?[0-9]+", v.value) is not None
            and int(v.value) >= low
        )

    return check


@dataclass
class SparqlCheck:
    """One SHACL-SPARQL constraint rewritten to find, in a batch, the failing records."""

    query: str
    # The predicates its patterns can match (None: any, e.g. a variable predicate): only
    # those triples need loading, the query cannot see the others.
    predicates: frozenset[NamedNode] | None


def _predicates(query: str) -> frozenset[NamedNode] | None:
    """Every IRI of the parsed query (a superset of the predicates its patterns and
    paths match), or None when a pattern has a variable predicate or a negated path."""
    found: set[NamedNode] = set()
    anything = False

    def walk(node: object) -> None:
        nonlocal anything
        if isinstance(node, URIRef):
            found.add(NamedNode(str(node)))
        elif isinstance(node, NegatedPath):
            anything = True
        elif isinstance(node, Path):
            walk(vars(node))
        elif isinstance(node, CompValue):
            if node.name == "BGP" and any(isinstance(t[1], Variable) for t in node["triples"]):
                anything = True
            walk(dict(node))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list | tuple | set):
            for item in node:
                walk(item)

    walk(prepareQuery(query).algebra)
    return None if anything else frozenset(found)


@dataclass
class Shape:
    """A node or property shape, compiled: what a focus node must satisfy."""

    path: list[NamedNode] | None = None  # a property shape's (sequence) path
    value_checks: list[Check] = field(default_factory=list)  # on each value node
    min_count: int | None = None
    max_count: int | None = None
    properties: list[Shape] = field(default_factory=list)
    deactivated: bool = False

    def conforms(self, index: Index, focus: Term) -> bool:
        if self.deactivated:
            return True
        values = [focus] if self.path is None else _values(index, focus, self.path)
        if self.min_count is not None and len(values) < self.min_count:
            return False
        if self.max_count is not None and len(values) > self.max_count:
            return False
        for value in values:
            for check in self.value_checks:
                if not check(index, value):
                    return False
        return all(p.conforms(index, focus) for p in self.properties)


def _values(index: Index, focus: Term, path: list[NamedNode]) -> list[Term]:
    current: list[Term] = [focus]
    for predicate in path:
        found: dict[Term, None] = {}
        for node in current:
            for value in index.get(node, {}).get(predicate, ()):
                found[value] = None
        current = list(found)
    return current


@dataclass
class Target:
    """A node shape with targets: where its focus nodes come from."""

    shape: Shape
    classes: list[NamedNode]
    nodes: list[Term]
    objects_of: list[NamedNode]
    subjects_of: list[NamedNode]

    def focus_nodes(self, by_type: Index, by_predicate: Index) -> set[Term]:
        """`by_type`: class -> rdf:type -> its instances; `by_predicate`: predicate ->
        rdf:subject / rdf:object -> the subjects / objects of its triples."""
        focus: set[Term] = set(self.nodes)
        for cls in self.classes:
            focus.update(by_type.get(cls, {}).get(RDF_TYPE, ()))
        for predicate in self.objects_of:
            focus.update(by_predicate.get(predicate, {}).get(_OBJECT, ()))
        for predicate in self.subjects_of:
            focus.update(by_predicate.get(predicate, {}).get(_SUBJECT, ()))
        return focus

    def sparql_pattern(self) -> str:
        """The same focus nodes as a SPARQL pattern binding ?this (inside GRAPH ?g)."""
        if self.nodes:
            raise Unsupported("sh:targetNode on a shape with SPARQL constraints")
        parts = [f"{{ ?this a {c} }}" for c in self.classes]
        parts += [f"{{ ?anyS {p} ?this }}" for p in self.objects_of]
        parts += [f"{{ ?this {p} ?anyO }}" for p in self.subjects_of]
        return " UNION ".join(parts)


class CompiledShapes:
    """A shapes graph compiled once; `conforming` decides a batch of records."""

    def __init__(self, shapes: Graph) -> None:
        self.graph = shapes
        self._shapes: dict[Node, Shape] = {}
        self.targets: list[Target] = []
        self.sparql: list[SparqlCheck] = []
        self._compile()

    # --- compiling -----------------------------------------------------------

    def _compile(self) -> None:
        g = self.graph
        if (None, SH.rule, None) in g or (None, SH.target, None) in g:
            raise Unsupported("SHACL rules or SPARQL targets")
        for kind in (RDFS.Class, OWL.Class):
            for node in g.subjects(RDF.type, kind):
                if (node, RDF.type, SH.NodeShape) in g:
                    raise Unsupported("implicit class targets")
        shape_nodes = set(g.subjects(RDF.type, SH.NodeShape)) | set(
            g.subjects(RDF.type, SH.PropertyShape)
        )
        for predicate in _TARGETS:
            shape_nodes |= set(g.subjects(predicate, None))
        for node in sorted(shape_nodes, key=str):
            if any((node, t, None) in g for t in _TARGETS):
                self._target(node)

    def _target(self, node: Node) -> None:
        g = self.graph
        shape = self._shape(node)
        target = Target(
            shape,
            classes=[NamedNode(str(c)) for c in g.objects(node, SH.targetClass)],
            nodes=[ox(n) for n in g.objects(node, SH.targetNode)],
            objects_of=[NamedNode(str(p)) for p in g.objects(node, SH.targetObjectsOf)],
            subjects_of=[NamedNode(str(p)) for p in g.objects(node, SH.targetSubjectsOf)],
        )
        self.targets.append(target)
        self._sparql_of(node, target, None)
        for prop in g.objects(node, SH.property):
            self._sparql_of(prop, target, self._path(prop))

    def _shape(self, node: Node) -> Shape:
        if node in self._shapes:
            return self._shapes[node]
        g = self.graph
        shape = Shape()
        self._shapes[node] = shape  # before recursing: shapes may refer to each other
        if (node, SH.path, None) in g:
            shape.path = self._path(node)
        for predicate, obj in g.predicate_objects(node):
            self._constraint(shape, node, predicate, obj)
        return shape

    def _constraint(self, shape: Shape, node: Node, predicate: Node, obj: Node) -> None:
        if predicate in _INERT or predicate in _TARGETS or predicate in (SH.path, SH.sparql):
            return
        if predicate == SH.deactivated:
            shape.deactivated = bool(getattr(obj, "value", False))
        elif predicate == SH.property:
            shape.properties.append(self._shape(obj))
        elif predicate == SH.minCount:
            shape.min_count = int(obj)  # type: ignore[call-overload]
        elif predicate == SH.maxCount:
            shape.max_count = int(obj)  # type: ignore[call-overload]
        elif predicate == SH.pattern:
            if (node, SH.flags, None) in self.graph:
                raise Unsupported("sh:flags")
            shape.value_checks.append(_pattern(re.compile(str(obj))))
        else:
            shape.value_checks.append(self._value_check(predicate, obj, shape.path))

    def _value_check(self, predicate: Node, obj: Node, path: list[NamedNode] | None) -> Check:
        if predicate == SH.datatype:
            return _datatype(NamedNode(str(obj)))
        if predicate == SH["class"]:
            return _class(NamedNode(str(obj)))
        if predicate == SH.nodeKind:
            return _node_kind(obj)
        if predicate == SH.minLength:
            return _min_length(int(obj))  # type: ignore[call-overload]
        if predicate == SH.minInclusive:
            return _min_inclusive(ox(obj))
        if predicate == SH["in"]:
            allowed = {ox(member) for member in Collection(self.graph, obj)}
            return lambda _, v: v in allowed
        if predicate == SH.node:
            inner = self._shape(obj)
            self._no_sparql(obj, path)
            return lambda index, v: inner.conforms(index, v)
        if predicate == SH["or"]:
            members = [self._shape(m) for m in Collection(self.graph, obj)]
            for member in Collection(self.graph, obj):
                self._no_sparql(member, path)
            return lambda index, v: any(m.conforms(index, v) for m in members)
        raise Unsupported(f"constraint {predicate}")

    def _no_sparql(self, node: Node, path: list[NamedNode] | None) -> None:
        """Shapes reached through sh:node / sh:or run on value nodes, where the compiled
        SPARQL checks do not run, unless the shape's own targets reach those values anyway
        (values of path `p` are objects of `p`: sh:targetObjectsOf p covers them)."""
        nodes = [node, *self.graph.objects(node, SH.property)]
        if not any((n, SH.sparql, None) in self.graph for n in nodes):
            return
        single = path is not None and len(path) == 1
        if single and (node, SH.targetObjectsOf, URIRef(path[0].value)) in self.graph:  # type: ignore[index]
            return
        raise Unsupported("a SPARQL constraint in a shape reached without its targets")

    def _path(self, node: Node) -> list[NamedNode]:
        path = self.graph.value(node, SH.path)
        if isinstance(path, URIRef):
            return [NamedNode(str(path))]
        if isinstance(path, BNode) and (path, RDF.first, None) in self.graph:
            members = list(Collection(self.graph, path))
            if all(isinstance(m, URIRef) for m in members):
                return [NamedNode(str(m)) for m in members]
        raise Unsupported(f"sh:path {path!r}")

    def _sparql_of(self, node: Node, target: Target, path: list[NamedNode] | None) -> None:
        for constraint in self.graph.objects(node, SH.sparql):
            if (constraint, SH.deactivated, RdfLiteral(True)) in self.graph:
                continue
            select = self.graph.value(constraint, SH.select)
            if select is None:
                raise Unsupported("a SPARQL constraint without sh:select")
            query = self._batch_query(constraint, str(select), target, path)
            self.sparql.append(SparqlCheck(query, _predicates(query)))

    def _batch_query(
        self, constraint: Node, select: str, target: Target, path: list[NamedNode] | None
    ) -> str:
        """The constraint's SELECT, with $this bound by the shape's targets and $PATH
        substituted (as pyshacl does), run inside GRAPH ?g so each record stays alone."""
        if re.search(r"\$(currentShape|shapesGraph|value)\b", select):
            raise Unsupported("a SPARQL constraint using $value, $currentShape or $shapesGraph")
        modifiers = r"\b(LIMIT|OFFSET|ORDER\s+BY|GROUP\s+BY|HAVING|VALUES|SERVICE)\b"
        if re.search(modifiers, select, re.I):
            raise Unsupported("a SPARQL constraint with solution modifiers or VALUES")
        text = select
        if "$PATH" in text:
            if path is None:
                raise Unsupported("$PATH in a node shape's SPARQL constraint")
            text = text.replace("$PATH", "/".join(str(p) for p in path))
        body_start = re.search(r"\bWHERE\s*\{", text, re.I)
        if body_start is None or not text.rstrip().endswith("}"):
            raise Unsupported("a SPARQL constraint not of the form SELECT ... WHERE { ... }")
        body = text[body_start.end() : text.rstrip().rfind("}")]
        body = body.replace("$this", "?this")
        return (
            f"{self._prologue(constraint)}\nSELECT DISTINCT ?g WHERE {{ GRAPH ?g {{\n"
            f"{target.sparql_pattern()}\n{body}\n}} }}"
        )

    def _prologue(self, constraint: Node) -> str:
        lines = []
        for ontology in self.graph.objects(constraint, SH.prefixes):
            for declaration in self.graph.objects(ontology, SH.declare):
                prefix = self.graph.value(declaration, SH.prefix)
                namespace = self.graph.value(declaration, SH.namespace)
                lines.append(f"PREFIX {prefix}: <{namespace}>")
        return "\n".join(lines)

    # --- checking ------------------------------------------------------------

    def conforming(self, records: Sequence[Sequence[Triple]]) -> list[bool]:
        """For each record (its triples), True when it surely conforms to the shapes;
        False when pyshacl must decide (it is broken, or the fast path cannot tell)."""
        verdicts = [self._core(triples) for triples in records]
        if self.sparql:
            for failing in self._sparql_failures(records, verdicts):
                verdicts[failing] = False
        return verdicts

    def _core(self, triples: Sequence[Triple]) -> bool:
        index: Index = {}
        by_type: Index = {}
        by_predicate: Index = {}
        for t in triples:
            subject, predicate, obj = t.subject, t.predicate, t.object
            if predicate == SUBCLASS_OF:
                return False  # class checks would need inference over the data
            index.setdefault(subject, {}).setdefault(predicate, []).append(obj)
            if predicate == RDF_TYPE:
                by_type.setdefault(obj, {}).setdefault(RDF_TYPE, []).append(subject)
            ends = by_predicate.setdefault(predicate, {})
            ends.setdefault(_SUBJECT, []).append(subject)
            ends.setdefault(_OBJECT, []).append(obj)
        for target in self.targets:
            for focus in target.focus_nodes(by_type, by_predicate):
                if not target.shape.conforms(index, focus):
                    return False
        return True

    def _sparql_failures(
        self, records: Sequence[Sequence[Triple]], verdicts: list[bool]
    ) -> set[int]:
        wanted: set[NamedNode] | None = set()
        for check in self.sparql:
            if check.predicates is None or wanted is None:
                wanted = None
            else:
                wanted |= check.predicates
        store = OxStore()
        store.extend(
            [
                Quad(t.subject, t.predicate, t.object, NamedNode(f"urn:record:{i}"))
                for i, triples in enumerate(records)
                if verdicts[i]
                for t in triples
                if wanted is None or t.predicate in wanted
            ]
        )
        failing: set[int] = set()
        for check in self.sparql:
            result = store.query(check.query)
            assert isinstance(result, QuerySolutions)
            for row in result:
                graph = row["g"]
                if isinstance(graph, NamedNode):
                    failing.add(int(graph.value.rsplit(":", 1)[1]))
        return failing
