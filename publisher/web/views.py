"""View models for the HTML pages: plain dataclasses built from triples.

The templates only lay these out; every decision about what a page shows is here,
where it can be tested without a browser.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeGuard

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.mapping.vocab import (
    BIBO_AUTHOR_LIST,
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    RDFS_LABEL,
    SCHEMA,
    SCHEMA_NAME,
    prefixes,
    schema,
)
from publisher.store.base import Store

Term = NamedNode | BlankNode | Literal


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class PropertyRow:
    property: str
    values: list[Link]


@dataclass
class ResourceView:
    iri: str
    title: str
    types: list[str]
    authors: list[Link] = field(default_factory=list)
    container: str | None = None
    date: str | None = None
    doi: Link | None = None
    abstract: str | None = None
    keywords: list[str] = field(default_factory=list)
    trials: list[Link] = field(default_factory=list)
    rows: list[PropertyRow] = field(default_factory=list)


class _Index:
    def __init__(self, triples: list[Triple]) -> None:
        self.by_subject: dict[str, list[Triple]] = defaultdict(list)
        for triple in triples:
            self.by_subject[str(triple.subject)].append(triple)

    def values(self, subject: Term, predicate: NamedNode) -> list[Term]:
        triples = self.by_subject.get(str(subject), [])
        return [t.object for t in triples if t.predicate == predicate and _is_term(t.object)]

    def first(self, subject: Term, predicate: NamedNode) -> Term | None:
        values = self.values(subject, predicate)
        return sorted(values, key=str)[0] if values else None

    def label(self, node: Term) -> str | None:
        for predicate in (SCHEMA_NAME, RDFS_LABEL):
            value = self.first(node, predicate)
            if isinstance(value, Literal):
                return value.value
        return None

    def items(self, head: Term) -> list[Term]:
        out: list[Term] = []
        while head != RDF_NIL and len(out) < 10_000:
            first, rest = self.first(head, RDF_FIRST), self.first(head, RDF_REST)
            if first is None or rest is None:
                break
            out.append(first)
            head = rest
        return out


class ViewBuilder:
    def __init__(self, base_uri: str, store: Store) -> None:
        self.base_uri = base_uri
        self.store = store
        self.curies = sorted(prefixes(base_uri).items(), key=lambda kv: -len(kv[1]))

    def resource(self, iri: NamedNode, triples: list[Triple]) -> ResourceView:
        index = _Index(triples)
        types = [
            self.curie(t.value) for t in index.values(iri, RDF_TYPE) if isinstance(t, NamedNode)
        ]
        view = ResourceView(
            iri.value, index.label(iri) or iri.value.rsplit("/", 1)[-1], sorted(types)
        )
        authors = index.first(iri, BIBO_AUTHOR_LIST)
        ordered = (
            index.items(authors) if authors is not None else index.values(iri, schema("author"))
        )
        view.authors = [self.link(index, a) for a in ordered]
        view.container = self._container(index.first(iri, schema("isPartOf")))
        date = index.first(iri, schema("datePublished"))
        view.date = date.value if isinstance(date, Literal) else None
        view.doi = self._doi(index, iri)
        abstract = index.first(iri, schema("abstract"))
        view.abstract = abstract.value if isinstance(abstract, Literal) else None
        view.keywords = sorted(
            v.value for v in index.values(iri, schema("keywords")) if isinstance(v, Literal)
        )
        view.trials = [
            self.link(index, t) for t in sorted(index.values(iri, schema("mentions")), key=str)
        ]
        view.rows = self._rows(index, iri)
        return view

    def _rows(self, index: _Index, iri: NamedNode) -> list[PropertyRow]:
        grouped: dict[str, list[Link]] = defaultdict(list)
        for triple in index.by_subject.get(str(iri), []):
            if _is_term(triple.object):
                value = self.describe_value(index, triple.object)
                grouped[self.curie(triple.predicate.value)].append(value)
        return [
            PropertyRow(p, sorted(v, key=lambda link: link.text))
            for p, v in sorted(grouped.items())
        ]

    def describe_value(self, index: _Index, value: Term) -> Link:
        if isinstance(value, Literal):
            suffix = f" @{value.language}" if value.language else ""
            return Link(value.value + suffix)
        if isinstance(value, BlankNode):
            if index.first(value, RDF_FIRST) is not None:
                return Link(", ".join(self.link(index, i).text for i in index.items(value)))
            parts = [
                f"{self.curie(t.predicate.value)}: {self.describe_value(index, t.object).text}"
                for t in index.by_subject.get(str(value), [])
                if t.predicate != RDF_TYPE and _is_term(t.object)
            ]
            return Link("; ".join(sorted(parts)))
        return self.link(index, value)

    def link(self, index: _Index, node: Term) -> Link:
        if isinstance(node, NamedNode):
            text = index.label(node) or self.curie(node.value)
            return Link(text, self.href(node.value))
        return Link(str(node))

    def href(self, iri: str) -> str:
        """Our own IRIs link within the site (so a page works on any host); others as they are."""
        return "/" + iri[len(self.base_uri) :] if iri.startswith(self.base_uri) else iri

    def curie(self, iri: str) -> str:
        for prefix, namespace in self.curies:
            if iri.startswith(namespace) and iri != namespace:
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def _doi(self, index: _Index, iri: NamedNode) -> Link | None:
        for node in index.values(iri, schema("identifier")):
            kind, value = (
                index.first(node, schema("propertyID")),
                index.first(node, schema("value")),
            )
            if isinstance(kind, Literal) and kind.value == "DOI" and isinstance(value, Literal):
                return Link(value.value, "https://doi.org/" + value.value)
        return None

    def _container(self, node: Term | None) -> str | None:
        """`Frontiers in oncology, vol. 11, no. 5`: walks issue -> volume -> periodical."""
        parts: list[str] = []
        for _ in range(4):
            if not isinstance(node, NamedNode):
                break
            index = _Index(self.store.describe(node))
            for predicate, prefix in (
                (schema("issueNumber"), "no. "),
                (schema("volumeNumber"), "vol. "),
            ):
                number = index.first(node, predicate)
                if isinstance(number, Literal):
                    parts.insert(0, prefix + number.value)
            if name := index.label(node):
                parts.insert(0, name)
            node = index.first(node, schema("isPartOf"))
        return ", ".join(parts) or None


def _is_term(value: object) -> TypeGuard[Term]:
    return isinstance(value, NamedNode | BlankNode | Literal)


def schema_local(iri: str) -> str:
    return iri[len(SCHEMA) :] if iri.startswith(SCHEMA) else iri
