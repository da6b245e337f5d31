"""View models for the HTML pages: plain dataclasses built from triples.

The templates only lay these out; every decision about what a page shows is here,
where it can be tested without a browser.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeGuard

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from publisher.mapping.vocab import (
    BIBO_AUTHOR_LIST,
    PROV,
    PUB,
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
from publisher.web import words

Term = NamedNode | BlankNode | Literal


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class PropertyRow:
    property: str  # in words: "Published in"
    values: list[Link]
    term: str = ""  # as the RDF says it: "schema:isPartOf"


@dataclass(frozen=True)
class SourceLine:
    """One source record the description was made from."""

    link: Link
    format: str
    read: str | None  # when it was read (prov:generatedAtTime)


@dataclass(frozen=True)
class Difference:
    """A property the sources disagree on: the published value and the others."""

    property: str  # as the RDF says it: "schema:isPartOf"
    published: str
    published_by: str  # the formats of the sources that gave it
    others: list[tuple[str, str]]  # (value, formats)
    label: str = ""  # in words: "Published in"


@dataclass(frozen=True)
class Level:
    """One step of where an article was published: the journal, its volume, its issue."""

    kind: str  # its class: "Periodical", "PublicationVolume" or "PublicationIssue"
    link: Link
    node: NamedNode
    triples: list[Triple]


@dataclass
class ResourceView:
    iri: str
    title: str
    types: list[str]  # in words: "Case report", "Clinical trial"
    sources: list[SourceLine] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    is_article: bool = False
    authors: list[Link] = field(default_factory=list)
    container: str | None = None  # "Frontiers in oncology, vol. 11"
    part_of: list[Link] = field(default_factory=list)  # journal, volume, issue: each linked
    levels: list[Level] = field(default_factory=list)
    date: str | None = None  # as published: 2021-08
    date_words: str | None = None  # August 2021
    pages: str | None = None
    language: str | None = None
    doi: Link | None = None
    identifiers: list[Link] = field(default_factory=list)
    abstract: str | None = None
    keywords: list[str] = field(default_factory=list)
    subjects: list[Link] = field(default_factory=list)
    trials: list[Link] = field(default_factory=list)
    facts: list[PropertyRow] = field(default_factory=list)  # what the page leads with
    rows: list[PropertyRow] = field(default_factory=list)  # the other statements


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
        """Everything the page shows, in words: the header (for an article: authors in
        order, where it was published, identifiers, abstract, subjects, trials; for
        anything else: its leading facts), then the statements not shown already."""
        index = _Index(triples)
        type_iris = sorted(t.value for t in index.values(iri, RDF_TYPE) if isinstance(t, NamedNode))
        view = ResourceView(iri.value, index.label(iri) or "", words.type_labels(type_iris))
        view.is_article = SCHEMA + "ScholarlyArticle" in type_iris
        if {SCHEMA + "PublicationVolume", SCHEMA + "PublicationIssue"} & set(type_iris):
            view.levels = self._levels(iri)
        elif view.is_article:
            view.levels = self._levels(index.first(iri, schema("isPartOf")))
        view.part_of = [level.link for level in view.levels]
        view.container = ", ".join(link.text for link in view.part_of) or None
        if not view.title:
            view.title = view.container or self._untitled(index, iri, view.types)
        if view.is_article:
            self._article(view, index, iri)
            shown = ARTICLE_HEADER
        else:
            view.facts = self._rows(index, iri, lambda p: p in FACTS)
            shown = FACTS
        view.rows = self._rows(index, iri, lambda p: p not in shown and p not in HIDDEN)
        self._drop_repeats(view)
        return view

    def _article(self, view: ResourceView, index: _Index, iri: NamedNode) -> None:
        publication_types = sorted(
            (
                v.value
                for v in index.values(iri, schema("publicationType"))
                if isinstance(v, Literal)
            ),
            key=lambda t: (words.publication_type_rank(t), t),
        )
        labelled = [words.publication_type(t) for t in publication_types]
        view.types = list(dict.fromkeys([*labelled, *view.types]))
        authors = index.first(iri, BIBO_AUTHOR_LIST)
        ordered = (
            index.items(authors) if authors is not None else index.values(iri, schema("author"))
        )
        view.authors = [self.link(index, a) for a in ordered]
        date = index.first(iri, schema("datePublished"))
        if isinstance(date, Literal):
            view.date, view.date_words = date.value, words.date(date.value)
        first, last = (index.first(iri, schema(p)) for p in ("pageStart", "pageEnd"))
        if isinstance(first, Literal) and isinstance(last, Literal):
            view.pages = f"pp. {first.value}\u2013{last.value}"
        elif isinstance(first, Literal):
            view.pages = f"p. {first.value}"
        languages = [
            v.value for v in index.values(iri, schema("inLanguage")) if isinstance(v, Literal)
        ]
        view.language = ", ".join(words.language(tag) for tag in sorted(languages)) or None
        view.identifiers = [
            self.describe_value(index, SCHEMA + "identifier", node)
            for node in index.values(iri, schema("identifier"))
        ]
        view.identifiers.sort(
            key=lambda link: (IDENTIFIER_ORDER.get(link.text.split(" ")[0], 9), link.text)
        )
        view.doi = self._doi(index, iri)
        abstract = index.first(iri, schema("abstract"))
        view.abstract = abstract.value if isinstance(abstract, Literal) else None
        view.keywords = sorted(
            v.value for v in index.values(iri, schema("keywords")) if isinstance(v, Literal)
        )
        view.subjects = sorted(
            (self.link(index, v) for v in index.values(iri, schema("about"))),
            key=lambda link: link.text.lower(),
        )
        view.trials = [
            self.link(index, t) for t in sorted(index.values(iri, schema("mentions")), key=str)
        ]

    def _rows(
        self, index: _Index, iri: NamedNode, wanted: Callable[[str], bool]
    ) -> list[PropertyRow]:
        """The resource's statements whose property is `wanted`, labelled, in the order
        of `words.PROPERTIES` (the author list in its order, other values by text)."""
        grouped: dict[str, list[Link]] = defaultdict(list)
        for triple in index.by_subject.get(str(iri), []):
            predicate = triple.predicate.value
            if _is_term(triple.object) and wanted(predicate):
                grouped[predicate].append(self.describe_value(index, predicate, triple.object))
        rows = []
        for predicate in sorted(grouped, key=words.property_rank):
            values = grouped[predicate]
            if predicate != BIBO_AUTHOR_LIST.value:
                values = sorted(set(values), key=lambda link: link.text.lower())
            rows.append(PropertyRow(words.property_label(predicate), values, self.curie(predicate)))
        return rows

    def _drop_repeats(self, view: ResourceView) -> None:
        """The statements table leaves out values the page shows above it already (the
        DOI's link as `sameAs`, the name as `headline`), and rows left empty."""
        header = view.part_of if view.is_article else []  # an issue's page: in its facts
        shown_links = {
            link.href
            for link in (
                *view.authors,
                *header,
                *view.identifiers,
                *view.subjects,
                *view.trials,
            )
            if link.href
        }
        facts = []
        for row in view.facts:  # a trial's `sameAs` is its identifier's link, shown once
            values = [v for v in row.values if not v.href or v.href not in shown_links]
            shown_links |= {v.href for v in values if v.href}
            if values:
                facts.append(PropertyRow(row.property, values, row.term))
        view.facts = facts
        shown_links.add(self.href(view.iri))
        shown_text = {view.title, *view.keywords}
        rows = []
        for row in view.rows:
            values = [
                v
                for v in row.values
                if (v.href or None) not in shown_links and v.text not in shown_text
            ]
            if values:
                rows.append(PropertyRow(row.property, values, row.term))
        view.rows = rows

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
                    Link(self.href(graph.value), self.href(graph.value)),
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
                differences.append(
                    Difference(
                        self.curie(prop),
                        value,
                        ", ".join(sorted(by)),
                        lost,
                        words.property_label(prop),
                    )
                )
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

    def describe_value(self, index: _Index, predicate: str, value: Term) -> Link:
        """One value of `predicate` in words: a code or language tag as words, a date
        written out, a resource by its name (linked), a node of this description by what
        it says (an identifier as `DOI 10.1/x`, linked to its resolver)."""
        if isinstance(value, Literal):
            if predicate in DATE_PROPERTIES:
                return Link(words.date(value.value))
            return Link(words.literal_in_words(predicate, value.value))
        if _owned(value, index):
            if index.first(value, RDF_FIRST) is not None:
                return Link(", ".join(self.link(index, i).text for i in index.items(value)))
            if predicate == SCHEMA + "identifier":
                return self._identifier(index, value)
            name = index.label(value)
            if name is not None:
                kind = index.first(value, NamedNode(PUB + "interventionType"))
                return Link(
                    f"{name} ({words.code(kind.value)})" if isinstance(kind, Literal) else name
                )
            parts = [
                f"{words.property_label(t.predicate.value)}: "
                f"{self.describe_value(index, t.predicate.value, t.object).text}"
                for t in index.by_subject.get(str(value), [])
                if t.predicate != RDF_TYPE and _is_term(t.object)
            ]
            return Link("; ".join(sorted(parts)))
        return self.link(index, value)

    def link(self, index: _Index, node: Term) -> Link:
        """A resource by its name, linked: ours within the site, others as they are;
        without a name, what it is (`Volume 367`, `DOI 10.1/x`), never a bare IRI when
        anything better is known."""
        if isinstance(node, NamedNode):
            label = index.label(node) or self._unnamed(index, node)
            return Link(label, self.href(node.value))
        return Link(str(node))

    def _untitled(self, index: _Index, iri: NamedNode, types: list[str]) -> str:
        """A title for what has no name: its kind and identifier (`Clinical trial
        NCT02349698`), else what `_unnamed` says."""
        for node in index.values(iri, schema("identifier")):
            value = index.first(node, schema("value"))
            if isinstance(value, Literal):
                return f"{types[0]} {value.value}" if types else value.value
        return self._unnamed(index, iri)

    def _unnamed(self, index: _Index, node: NamedNode) -> str:
        iri = node.value
        if iri.startswith(SCHEMA):
            return words.type_label(iri)  # schema:RandomizedTrial: "Randomized trial"
        for prefix, (name, key) in EXTERNAL.items():
            if iri.startswith(prefix) and len(iri) > len(prefix):
                return f"{name} {iri[len(prefix) :].strip('/')}" if key else name
        types = [t.value for t in index.values(node, RDF_TYPE) if isinstance(t, NamedNode)]
        if iri.startswith(self.base_uri) and types:  # "Volume 367", "Clinical trial NCT…"
            return f"{words.type_labels(types)[0]} {words.local_name(iri)}"
        return self.curie(iri)

    def href(self, iri: str) -> str:
        """Our own IRIs link within the site (so a page works on any host); others as they are."""
        return "/" + iri[len(self.base_uri) :] if iri.startswith(self.base_uri) else iri

    def curie(self, iri: str) -> str:
        for prefix, namespace in self.curies:
            if iri.startswith(namespace) and iri != namespace:
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    def _identifier(self, index: _Index, node: Term) -> Link:
        kind, value = index.first(node, schema("propertyID")), index.first(node, schema("value"))
        if not isinstance(value, Literal):
            return Link(str(node))
        name = kind.value if isinstance(kind, Literal) else "Identifier"
        resolver = RESOLVERS.get(name.upper())
        return Link(f"{name} {value.value}", resolver.format(value.value) if resolver else None)

    def _doi(self, index: _Index, iri: NamedNode) -> Link | None:
        for node in index.values(iri, schema("identifier")):
            kind, value = (
                index.first(node, schema("propertyID")),
                index.first(node, schema("value")),
            )
            if isinstance(kind, Literal) and kind.value == "DOI" and isinstance(value, Literal):
                return Link(value.value, "https://doi.org/" + value.value)
        return None

    def _levels(self, node: Term | None) -> list[Level]:
        """Where an article appeared, journal first: walks issue -> volume -> periodical
        through their own descriptions in the published view."""
        levels: list[Level] = []
        layout = Layout(self.base_uri)
        for _ in range(4):
            if not isinstance(node, NamedNode):
                break
            triples = self.store.describe_view(node, layout.provenance).triples
            index = _Index(triples)
            types = {t.value for t in index.values(node, RDF_TYPE) if isinstance(t, NamedNode)}
            for kind, number, prefix in LEVELS:
                if SCHEMA + kind in types:
                    value = index.first(node, schema(number)) if number else None
                    if number and isinstance(value, Literal):
                        text = prefix + value.value
                    else:
                        text = index.label(node) or self._unnamed(index, node)
                    levels.insert(0, Level(kind, Link(text, self.href(node.value)), node, triples))
                    break
            node = index.first(node, schema("isPartOf"))
        return levels


# What the article header shows (the statements table leaves them out).
ARTICLE_HEADER = {
    SCHEMA + "name",
    SCHEMA + "headline",
    SCHEMA + "author",
    BIBO_AUTHOR_LIST.value,
    SCHEMA + "isPartOf",
    SCHEMA + "datePublished",
    SCHEMA + "pageStart",
    SCHEMA + "pageEnd",
    SCHEMA + "identifier",
    SCHEMA + "inLanguage",
    SCHEMA + "publicationType",
    SCHEMA + "abstract",
    SCHEMA + "keywords",
    SCHEMA + "about",
    SCHEMA + "mentions",
    RDF_TYPE.value,
}
# What other pages lead with, under the title.
FACTS = {
    SCHEMA + "alternateName",
    SCHEMA + "affiliation",
    SCHEMA + "sameAs",
    SCHEMA + "issn",
    SCHEMA + "publisher",
    SCHEMA + "isPartOf",
    SCHEMA + "volumeNumber",
    SCHEMA + "issueNumber",
    SCHEMA + "identifier",
    PUB + "trialPhase",
    PUB + "studyType",
    SCHEMA + "trialDesign",
    PUB + "design",
    SCHEMA + "status",
    SCHEMA + "startDate",
    SCHEMA + "endDate",
    PUB + "enrollment",
    SCHEMA + "healthCondition",
    PUB + "intervention",
    SCHEMA + "sponsor",
    PUB + "collaborator",
    SCHEMA + "citation",
    SCHEMA + "mentions",
    SCHEMA + "about",
    SCHEMA + "keywords",
    SCHEMA + "datePublished",
    SCHEMA + "description",
}
# Said by the page's title and type line, or the resource itself.
HIDDEN = {SCHEMA + "name", RDF_TYPE.value, BIBO_AUTHOR_LIST.value}
DATE_PROPERTIES = {SCHEMA + p for p in ("datePublished", "startDate", "endDate", "dateModified")}
# (class, its number property, how a citation writes the number)
LEVELS = [
    ("PublicationIssue", "issueNumber", "no. "),
    ("PublicationVolume", "volumeNumber", "vol. "),
    ("Periodical", None, ""),
]
# Where an identifier resolves (as the mapping writes the same links as `sameAs`).
RESOLVERS = {
    "DOI": "https://doi.org/{}",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/{}/",
    "PMCID": "https://www.ncbi.nlm.nih.gov/pmc/articles/{}/",
    "CLINICALTRIALS.GOV": "https://clinicaltrials.gov/study/{}",
    "ORCID": "https://orcid.org/{}",
    "ISSN": "https://portal.issn.org/resource/ISSN/{}",
}
IDENTIFIER_ORDER = {"DOI": 0, "PMID": 1, "PMCID": 2}
# Links out without a name in the data: what they are, and whether the rest is a key.
EXTERNAL = {
    "https://doi.org/": ("DOI", True),
    "https://pubmed.ncbi.nlm.nih.gov/": ("PubMed", True),
    "https://orcid.org/": ("ORCID", True),
    "https://clinicaltrials.gov/study/": ("ClinicalTrials.gov", True),
    "https://portal.issn.org/resource/ISSN/": ("ISSN", True),
    "https://id.nlm.nih.gov/mesh/": ("MeSH", True),
    "https://ror.org/": ("ROR", True),
    "https://www.wikidata.org/entity/": ("Wikidata", True),
}


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
