"""View models for the HTML pages: plain dataclasses built from triples.

The templates only lay these out; every decision about what a page shows is here,
where it can be tested without a browser.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TypeGuard

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from publisher.mapping.vocab import (
    BIBO_AUTHOR_LIST,
    PROV,
    RDF,
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
from publisher.store.layout import Layout

Term = NamedNode | BlankNode | Literal


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class PropertyRow:
    property: str
    values: list[Link]


@dataclass(frozen=True)
class SourceLine:
    """One source record the description was made from."""

    link: Link
    format: str
    read: str | None  # when it was read (prov:generatedAtTime)


@dataclass(frozen=True)
class Difference:
    """A property the sources disagree on: the published value and the others."""

    property: str
    published: str
    published_by: str  # the formats of the sources that gave it
    others: list[tuple[str, str]]  # (value, formats)


@dataclass
class ResourceView:
    iri: str
    title: str
    types: list[str]
    sources: list[SourceLine] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
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
        self.curies = sorted(prefixes().items(), key=lambda kv: -len(kv[1]))

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

    def provenance(self, view: ResourceView) -> None:
        """The page's sources section: the source records, and, where they disagree,
        which value was published from which sources and what the others said."""
        layout = Layout(self.base_uri)
        node = NamedNode(view.iri)
        rows = self.store.query(
            f"""SELECT ?g ?format ?read WHERE {{
                GRAPH {layout.provenance} {{ {node} <{PROV}wasDerivedFrom> ?g }}
                OPTIONAL {{ GRAPH ?g {{ ?g {layout.source_format} ?format }} }}
                OPTIONAL {{ GRAPH ?g {{ ?g <{PROV}generatedAtTime> ?read }} }}
            }} ORDER BY ?g"""
        )
        assert isinstance(rows, QuerySolutions)
        formats: dict[str, str] = {}
        for row in rows:
            graph, fmt, read = row["g"], row["format"], row["read"]
            if not isinstance(graph, NamedNode):
                continue
            formats[graph.value] = fmt.value if isinstance(fmt, Literal) else ""
            view.sources.append(
                SourceLine(
                    Link(graph.value, self.href(graph.value)),
                    formats[graph.value],
                    read.value if isinstance(read, Literal) else None,
                )
            )
        if len(view.sources) > 1:
            view.differences = self._differences(node, layout, formats)

    def _differences(
        self, node: NamedNode, layout: Layout, formats: dict[str, str]
    ) -> list[Difference]:
        rows = self.store.query(
            f"""SELECT ?p ?v ?published ?g WHERE {{ GRAPH {layout.provenance} {{
                ?st <{RDF}subject> {node} ; <{RDF}predicate> ?p ; <{RDF}object> ?v ;
                    {layout.published_flag} ?published ; <{PROV}wasDerivedFrom> ?g }} }}"""
        )
        assert isinstance(rows, QuerySolutions)
        claims: dict[str, dict[tuple[str, bool], set[str]]] = defaultdict(lambda: defaultdict(set))
        for row in rows:
            prop, value, flag, graph = row["p"], row["v"], row["published"], row["g"]
            if not isinstance(prop, NamedNode) or not isinstance(graph, NamedNode):
                continue
            shown = self._shown(value)
            published = isinstance(flag, Literal) and flag.value == "true"
            claims[prop.value][(shown, published)].add(formats.get(graph.value, graph.value))
        differences = []
        for prop, values in sorted(claims.items()):
            won = [(v, fs) for (v, flag), fs in values.items() if flag]
            lost = [
                (v, ", ".join(sorted(fs))) for (v, flag), fs in sorted(values.items()) if not flag
            ]
            if won and lost:
                value, by = won[0]
                if len(won) > 1:  # a multi-valued property: the values that were left out
                    value, by = f"{len(won)} values", {f for _, fs in won for f in fs}
                differences.append(Difference(self.curie(prop), value, ", ".join(sorted(by)), lost))
        return differences

    def _shown(self, value: object) -> str:
        """A claimed value in words: text cut at 200 characters, a resource by its name,
        a list by its length."""
        if isinstance(value, Literal):
            text = " ".join(value.value.split())
            return text if len(text) <= 200 else text[:199] + "…"
        if not isinstance(value, NamedNode):
            return str(value)
        rows = self.store.query(
            f"""SELECT (COUNT(?cell) AS ?n) (SAMPLE(?name) AS ?label) WHERE {{
                {{ GRAPH ?g {{ {value} <{RDF}rest>* ?cell . ?cell <{RDF}first> ?x }} }}
                UNION {{ GRAPH ?g {{ {value} {SCHEMA_NAME} ?name }} }}
                UNION {{ {value} <{RDF}rest>* ?cell . ?cell <{RDF}first> ?x }}
                UNION {{ {value} {SCHEMA_NAME} ?name }} }}"""
        )
        assert isinstance(rows, QuerySolutions)
        for row in rows:
            label, cells = row["label"], row["n"]
            if isinstance(label, Literal):
                return label.value
            if isinstance(cells, Literal) and cells.value != "0":
                return f"a list of {cells.value}"
        return self.curie(value.value)

    def describe_value(self, index: _Index, value: Term) -> Link:
        if isinstance(value, Literal):
            suffix = f" @{value.language}" if value.language else ""
            return Link(value.value + suffix)
        if _owned(value, index):
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
            layout = Layout(self.base_uri)
            index = _Index(self.store.describe_view(node, layout.provenance).triples)
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


def _owned(value: Term, index: _Index) -> bool:
    """A blank node, or a node the published view names under its resource
    (`{resource}#id-doi-...`, `{resource}#authorList-1`): shown as its content."""
    if isinstance(value, BlankNode):
        return True
    return "#" in value.value and str(value) in index.by_subject


def _is_term(value: object) -> TypeGuard[Term]:
    return isinstance(value, NamedNode | BlankNode | Literal)


def schema_local(iri: str) -> str:
    return iri[len(SCHEMA) :] if iri.startswith(SCHEMA) else iri
