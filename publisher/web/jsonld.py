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

import re
from collections import defaultdict
from typing import Any

import orjson
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.mapping.vocab import RDF_FIRST, RDF_NIL, RDF_REST, RDF_TYPE, SCHEMA, XSD, prefixes

JsonObject = dict[str, Any]
_XSD_STRING = XSD + "string"
_XSD_INTEGER = XSD + "integer"
_POSITION = NamedNode(SCHEMA + "position")
# A JSON integer is read back as xsd:integer in canonical form (orjson: 64-bit at most).
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,17}")


# Properties whose values are links: written as plain strings ("url": "https://...", as
# search engines' examples have them), which the context declares to be IRIs.
LINK_TERMS = ("url", "sameAs")
# Date properties: written as plain strings when every value in the document has the
# same datatype, which the document's context then declares (`"@type": "xsd:gYearMonth"`).
DATE_TERMS = frozenset({"datePublished", "dateModified", "dateCreated", "startDate", "endDate"})


def context(dates: dict[str, str] | None = None) -> JsonObject:
    ctx: JsonObject = {"@vocab": SCHEMA}
    ctx.update({p: ns for p, ns in prefixes().items() if p != "schema"})
    for term in LINK_TERMS:
        ctx[term] = {"@id": SCHEMA + term, "@type": "@id"}
    for term, datatype in sorted((dates or {}).items()):
        ctx[term] = {"@id": SCHEMA + term, "@type": datatype}
    return ctx


class _Builder:
    def __init__(self, triples: list[Triple]) -> None:
        self.prefixes = sorted(
            ((p, ns) for p, ns in prefixes().items() if p != "schema"),
            key=lambda kv: -len(kv[1]),
        )
        self.by_subject: dict[str, list[Triple]] = defaultdict(list)
        self.references: dict[str, int] = defaultdict(int)
        for triple in triples:
            self.by_subject[str(triple.subject)].append(triple)
            if isinstance(triple.object, BlankNode):
                self.references[str(triple.object)] += 1
        self.emitted: set[str] = set()
        self.dates = self._date_types(triples)

    def _date_types(self, triples: list[Triple]) -> dict[str, str]:
        """Date term -> the one datatype all its values have here (else not coerced)."""
        seen: dict[str, set[str]] = defaultdict(set)
        for triple in triples:
            term = self.term(triple.predicate.value)
            if term not in DATE_TERMS:
                continue
            obj = triple.object
            if isinstance(obj, Literal) and not obj.language and obj.datatype.value != _XSD_STRING:
                seen[term].add(self.term(obj.datatype.value))
            else:
                seen[term].add("")  # an IRI, a blank node or a plain string: no coercion
        return {
            term: types.pop() for term, types in seen.items() if len(types) == 1 and "" not in types
        }

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
            values = [self.value(v, prop) for v in sorted(grouped[prop], key=self.order)]
            obj[prop] = values[0] if len(values) == 1 else values
        return obj

    def order(self, obj: NamedNode | BlankNode | Literal) -> tuple[int, int, str]:
        """Values in a stable order: list items by `schema:position`, other blank nodes by
        what they say (their labels change from one store, or request, to the next)."""
        if not isinstance(obj, BlankNode):
            return 0, 0, str(obj)
        triples = self.by_subject.get(str(obj), [])
        positions = [
            t.object.value
            for t in triples
            if t.predicate == _POSITION and isinstance(t.object, Literal)
        ]
        position = positions[0] if positions else ""
        content = sorted(
            f"{t.predicate} {t.object}" for t in triples if not isinstance(t.object, BlankNode)
        )
        return 1, int(position) if position.isdigit() else 0, "\n".join(content)

    def value(self, obj: NamedNode | BlankNode | Literal, prop: str = "") -> Any:
        """The JSON for one object of `prop` (whose context entry may coerce it)."""
        if isinstance(obj, Literal):
            datatype = obj.datatype.value
            if obj.language:
                return {"@value": obj.value, "@language": obj.language}
            if datatype == _XSD_STRING:
                # A plain string under a link term would be read as an IRI.
                return {"@value": obj.value} if prop in LINK_TERMS else obj.value
            if self.dates.get(prop) == self.term(datatype):
                return obj.value
            if datatype == _XSD_INTEGER and _CANONICAL_INTEGER.fullmatch(obj.value):
                return int(obj.value)  # a JSON number is read back as this very literal
            return {"@value": obj.value, "@type": self.term(datatype)}
        key = str(obj)
        if obj == RDF_NIL:
            return {"@list": []}
        if isinstance(obj, BlankNode):
            items = self.as_list(obj)
            if items is not None:
                return {"@list": [self.value(item, prop) for item in items]}
            if self.references[key] == 1 and key not in self.emitted:
                return self.node(obj)
            return {"@id": f"_:{obj.value}"}
        if key in self.by_subject and key not in self.emitted:
            return self.node(obj)
        return obj.value if prop in LINK_TERMS else {"@id": obj.value}

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


def to_jsonld(triples: list[Triple], main: NamedNode | None = None) -> JsonObject:
    """A JSON-LD document; `main` (if given) is the top object, the rest nested in it."""
    builder = _Builder(triples)
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
    document: JsonObject = {"@context": context(builder.dates)}
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


def script_element(document: JsonObject) -> str:
    """The `<script type="application/ld+json">` element HTML pages embed."""
    return f'<script type="application/ld+json">\n{dumps_for_html(document)}\n</script>'
