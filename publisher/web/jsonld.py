"""Triples -> compact, nested schema.org JSON-LD with an inline context.

Built as a dict rather than through a JSON-LD library: the output must be readable
by crawlers (nested objects, short schema.org terms) and must parse, with this very
context and no network, back into exactly the triples it came from.

Why `@vocab: https://schema.org/` and not schema.org's own context: the official
context maps terms to `http://schema.org/`, while our data uses `https://schema.org/`.
An inline `@vocab` keeps the terms short and the IRIs exactly those of the Turtle view,
and it needs no remote context document.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.mapping.vocab import RDF_FIRST, RDF_NIL, RDF_REST, RDF_TYPE, SCHEMA, XSD, prefixes

JsonObject = dict[str, Any]
_XSD_STRING = XSD + "string"


def context(base_uri: str) -> JsonObject:
    ctx: JsonObject = {"@vocab": SCHEMA}
    ctx.update({p: ns for p, ns in prefixes(base_uri).items() if p != "schema"})
    return ctx


class _Builder:
    def __init__(self, triples: list[Triple], base_uri: str) -> None:
        self.prefixes = sorted(
            ((p, ns) for p, ns in prefixes(base_uri).items() if p != "schema"),
            key=lambda kv: -len(kv[1]),
        )
        self.by_subject: dict[str, list[Triple]] = defaultdict(list)
        self.references: dict[str, int] = defaultdict(int)
        for triple in triples:
            self.by_subject[str(triple.subject)].append(triple)
            if isinstance(triple.object, BlankNode):
                self.references[str(triple.object)] += 1
        self.emitted: set[str] = set()

    def term(self, iri: str) -> str:
        if iri.startswith(SCHEMA):
            return iri[len(SCHEMA) :]
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace) and iri != namespace:
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def node(self, subject: NamedNode | BlankNode) -> JsonObject:
        key = str(subject)
        self.emitted.add(key)
        if isinstance(subject, BlankNode):
            obj: JsonObject = {} if self.references[key] == 1 else {"@id": f"_:{subject.value}"}
        else:
            obj = {"@id": subject.value}
        triples = self.by_subject.get(key, [])
        types = [
            self.term(t.object.value)
            for t in triples
            if t.predicate == RDF_TYPE and isinstance(t.object, NamedNode)
        ]
        if types:
            obj["@type"] = types[0] if len(types) == 1 else sorted(types)
        grouped: dict[str, list[Any]] = defaultdict(list)
        for triple in triples:
            if triple.predicate == RDF_TYPE and isinstance(triple.object, NamedNode):
                continue
            grouped[self.term(triple.predicate.value)].append(triple.object)
        for prop in sorted(grouped):
            values = [self.value(v) for v in sorted(grouped[prop], key=str)]
            obj[prop] = values[0] if len(values) == 1 else values
        return obj

    def value(self, obj: NamedNode | BlankNode | Literal) -> Any:
        if isinstance(obj, Literal):
            if obj.language:
                return {"@value": obj.value, "@language": obj.language}
            if obj.datatype.value == _XSD_STRING:
                return obj.value
            return {"@value": obj.value, "@type": self.term(obj.datatype.value)}
        key = str(obj)
        if obj == RDF_NIL:
            return {"@list": []}
        if isinstance(obj, BlankNode):
            items = self.as_list(obj)
            if items is not None:
                return {"@list": [self.value(item) for item in items]}
            if self.references[key] == 1 and key not in self.emitted:
                return self.node(obj)
            return {"@id": f"_:{obj.value}"}
        if key in self.by_subject and key not in self.emitted:
            return self.node(obj)
        return {"@id": obj.value}

    def as_list(self, head: BlankNode) -> list[Any] | None:
        """The items of a well-formed rdf:List starting at `head`, else None."""
        items: list[Any] = []
        cell: Any = head
        seen: set[str] = set()
        while cell != RDF_NIL:
            key = str(cell)
            triples = self.by_subject.get(key, [])
            firsts = [t.object for t in triples if t.predicate == RDF_FIRST]
            rests = [t.object for t in triples if t.predicate == RDF_REST]
            if (
                not isinstance(cell, BlankNode)
                or key in seen
                or len(triples) != 2
                or len(firsts) != 1
                or len(rests) != 1
                or self.references[key] != 1
            ):
                return None
            seen.add(key)
            items.append(firsts[0])
            cell = rests[0]
        self.emitted.update(seen)
        return items


def to_jsonld(triples: list[Triple], base_uri: str, main: NamedNode | None = None) -> JsonObject:
    """A JSON-LD document; `main` (if given) is the top object, the rest nested in it."""
    builder = _Builder(triples, base_uri)
    roots: list[JsonObject] = []
    if main is not None and str(main) in builder.by_subject:
        roots.append(builder.node(main))
    for key, subject_triples in builder.by_subject.items():
        subject = subject_triples[0].subject
        if key in builder.emitted or not isinstance(subject, NamedNode | BlankNode):
            continue
        if isinstance(subject, BlankNode) and builder.references[key]:
            continue
        roots.append(builder.node(subject))
    # Blank nodes only reachable from each other (cycles) still need a place.
    for key, subject_triples in builder.by_subject.items():
        subject = subject_triples[0].subject
        if key not in builder.emitted and isinstance(subject, NamedNode | BlankNode):
            roots.append(builder.node(subject))
    document: JsonObject = {"@context": context(base_uri)}
    if len(roots) == 1:
        document.update(roots[0])
    else:
        document["@graph"] = roots
    return document


def dumps(document: JsonObject) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)


def dumps_for_html(document: JsonObject) -> str:
    """JSON for a <script> element: `<`, `>` and `&` escaped so record text cannot end it."""
    text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
