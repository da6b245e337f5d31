"""Several source records about one resource -> one description people can trust.

Every source record keeps its own named graph. The published view holds, for each
resource, one consolidated description made from all the source graphs that describe it,
by the rules below; this module is those rules, as a pure function of the sources (no
store, no order: the same sources in any order give the same triples).

* **Single-valued properties** (a title, a date, an author list, a person's names, a
  journal's name: every path the shapes limit to one value, plus the author list) get one
  value. Values that *agree* (the same after normalising case, punctuation, diacritics and
  whitespace; dates where one is a prefix of the other; author lists where one extends
  the other) are one claim, written in its best form: the most precise date, the longest
  author list, else the form of the most trusted source. Between claims that disagree the
  most trusted source wins (`FORMAT_RANK`: registries and publishers' metadata over
  library catalogues over reference-manager exports over catalogue pages), then the claim
  more sources make, then the smallest source graph IRI: never the order of ingest.
* **Multi-valued properties** are the union without duplicates: identifiers compared
  normalised (DOI without case, ISSN without hyphen, PMID as a number; one node per scheme
  and value), `sameAs` links to doi.org without case, structured values (affiliations,
  subject terms, grants) by their content.
* Nothing in the published view is a blank node: the structures a resource owns get IRIs
  under it (`{resource}#id-doi-…`, `{resource}#authors-1`), so a description can be
  replaced exactly, in any store, and dumps are byte-identical for identical content.
* **Provenance as data**: the resource is `prov:wasDerivedFrom` each source graph. When
  there are several, every value (the ones published and the ones that lost) is also an
  `rdf:Statement` naming its sources with `prov:wasDerivedFrom`, and `pub:published` true
  or false. With one source every value comes from it, and statements would only repeat
  that (they would be 5 triples for each published one). Plain RDF 1.1 reification, so
  every SPARQL store takes it (RDF 1.2 triple terms are not yet handled by Virtuoso).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.mapping.vocab import (
    BIBO_AUTHOR_LIST,
    PROV,
    RDF,
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    SCHEMA_NAME,
    XSD,
    schema,
)

Term = NamedNode | BlankNode | Literal | Triple  # RDF 1.2 triple terms pass through untouched

# Lower is more trusted: registries and publishers' own metadata, then library
# catalogues (MARC, OAI-PMH), then reference-manager exports, then catalogue pages.
FORMAT_RANK: dict[str, int] = {
    "ctgov-json": 0,
    "crossref-json": 0,
    "pubmed-xml": 0,
    "marc21": 1,
    "marcxml": 1,
    "marc-json": 1,
    "oai-pmh": 1,
    "csl-json": 2,
    "ris": 2,
    "wos-tagged": 2,
    "bibtex": 2,
    "vufind-text": 3,
}
UNKNOWN_RANK = 4


@dataclass(frozen=True)
class Precedence:
    """Which source's value wins when sources disagree: by format, per property where
    the configuration says so (`[precedence]` in the TOML file, see docs/dataset.md),
    else by `FORMAT_RANK`; ties go to the value more sources give, then to the least
    source graph IRI. Never the order of ingest."""

    default: Mapping[str, int] = field(default_factory=lambda: dict(FORMAT_RANK))
    by_property: Mapping[NamedNode, Mapping[str, int]] = field(default_factory=dict)

    @classmethod
    def from_table(cls, table: Mapping[str, Sequence[str]]) -> Precedence:
        """From the configuration's lists of formats, most trusted first: `default`
        replaces the default order; any other key names a property (`headline`,
        `datePublished`, `authorList`, ...) and orders the formats for it alone (formats
        it does not list come after, in the default order). Raises ValueError on an
        unknown format or property."""
        default = dict(FORMAT_RANK)
        by_property: dict[NamedNode, dict[str, int]] = {}
        for key, formats in table.items():
            unknown = [f for f in formats if f not in FORMAT_RANK]
            if unknown:
                known = ", ".join(sorted(FORMAT_RANK))
                raise ValueError(f"precedence.{key}: unknown format {unknown[0]!r}; known: {known}")
            ranks = {fmt: n for n, fmt in enumerate(formats)}
            if key == "default":
                default = {fmt: ranks.get(fmt, len(formats)) for fmt in FORMAT_RANK}
                continue
            predicate = _property(key)
            by_property[predicate] = ranks
        return cls(default, by_property)

    def rank(self, predicate: NamedNode, source: Source) -> tuple[int, int, str]:
        listed = self.by_property.get(predicate)
        first = listed.get(source.format, len(listed)) if listed is not None else 0
        return first, self.default.get(source.format, UNKNOWN_RANK), source.graph.value


DEFAULT_PRECEDENCE = Precedence()


def _property(name: str) -> NamedNode:
    if name == "authorList":
        return BIBO_AUTHOR_LIST
    predicate = schema(name)
    if predicate not in SINGLE_VALUED:
        names = ", ".join(sorted(_local(p) for p in SINGLE_VALUED))
        raise ValueError(f"precedence.{name}: not a single-valued property (one of: {names})")
    return predicate


# One value each (every path the shapes give sh:maxCount 1, and the author list).
SINGLE_VALUED = frozenset(
    schema(name)
    for name in (
        "name",
        "headline",
        "abstract",
        "datePublished",
        "pageStart",
        "pageEnd",
        "pagination",
        "isPartOf",
        "inLanguage",
        "givenName",
        "familyName",
        "volumeNumber",
        "issueNumber",
        "startDate",
        "endDate",
        "status",
        "description",
    )
) | {BIBO_AUTHOR_LIST}

RDF_STATEMENT = NamedNode(RDF + "Statement")
RDF_SUBJECT = NamedNode(RDF + "subject")
RDF_PREDICATE = NamedNode(RDF + "predicate")
RDF_OBJECT = NamedNode(RDF + "object")
PROV_DERIVED = NamedNode(PROV + "wasDerivedFrom")
XSD_BOOLEAN = NamedNode(XSD + "boolean")
TRUE = Literal("true", datatype=XSD_BOOLEAN)
FALSE = Literal("false", datatype=XSD_BOOLEAN)
SCHEMA_AUTHOR = schema("author")
SCHEMA_IDENTIFIER = schema("identifier")
SCHEMA_SAME_AS = schema("sameAs")
SCHEMA_PROPERTY_ID = schema("propertyID")
SCHEMA_VALUE = schema("value")
SCHEMA_DATE_PUBLISHED = schema("datePublished")


@dataclass(frozen=True)
class Source:
    """One source record's named graph (all its triples) and the format it was read from."""

    graph: NamedNode
    format: str
    triples: Sequence[Triple]

    @property
    def rank(self) -> tuple[int, str]:
        return FORMAT_RANK.get(self.format, UNKNOWN_RANK), self.graph.value

    @cached_property
    def by_subject(self) -> dict[Term, list[Triple]]:
        """The triples by subject: read once however many resources the record holds."""
        return _index(self.triples)

    @cached_property
    def resources(self) -> frozenset[NamedNode]:
        """The resources the record describes (its graph's own IRI aside)."""
        return frozenset(s for s in self.by_subject if isinstance(s, NamedNode) and s != self.graph)


def source_of(graph: NamedNode, triples: Sequence[Triple], format_property: NamedNode) -> Source:
    """A source record from its graph's triples; the format is what the graph says of
    itself (`pub:sourceFormat`), "" when it says nothing (not a source record)."""
    formats = [
        t.object.value
        for t in triples
        if t.subject == graph and t.predicate == format_property and isinstance(t.object, Literal)
    ]
    return Source(graph, formats[0] if formats else "", triples)


@dataclass
class Consolidated:
    resource: NamedNode
    triples: list[Triple]  # the published description: subjects the resource and its `#` nodes
    provenance: list[Triple]  # statements about where each value came from
    sources: tuple[NamedNode, ...]


# --- values as they can be compared ------------------------------------------------------


@dataclass(frozen=True)
class Structure:
    """A blank node's content, read recursively: comparable and hashable."""

    pairs: tuple[tuple[NamedNode, Value], ...]


@dataclass(frozen=True)
class ListValue:
    """An RDF list's members in order (the author list)."""

    items: tuple[Term, ...]


Value = NamedNode | BlankNode | Literal | Triple | Structure | ListValue


def _fold(text: str) -> str:
    """Case, diacritics, punctuation and spacing left out: `Anne E.` == `anne e`."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", bare.casefold()).split())


def identifier_key(scheme: str, value: str) -> tuple[str, str]:
    """An identifier as compared: DOI without case, ISSN without hyphen, PMID as a number,
    trial numbers upper-case."""
    scheme_key = scheme.strip().casefold()
    text = value.strip()
    if scheme_key == "doi":
        text = text.casefold()
    elif scheme_key in ("issn", "issn-l", "eissn", "pissn"):
        text = text.replace("-", "").upper()
    elif scheme_key == "pmid":
        text = text.lstrip("0") or "0"
    else:
        text = text.upper()
    return scheme_key, text


def _same_as_key(iri: NamedNode) -> str:
    value = iri.value
    for prefix in ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/"):
        if value.startswith(prefix):
            return "https://doi.org/" + value[len(prefix) :].casefold()
    return value


def _structure_key(value: Structure) -> object:
    """Identifiers are one node per scheme and normalised value; other structures are
    compared by their whole content."""
    pairs = dict(value.pairs)
    scheme, text = pairs.get(SCHEMA_PROPERTY_ID), pairs.get(SCHEMA_VALUE)
    if isinstance(scheme, Literal) and isinstance(text, Literal):
        return ("identifier", *identifier_key(scheme.value, text.value))
    return value


def value_key(predicate: NamedNode, value: Value) -> object:
    """What makes two values of a multi-valued property the same value."""
    if isinstance(value, Structure):
        return _structure_key(value)
    if predicate == SCHEMA_SAME_AS and isinstance(value, NamedNode):
        return _same_as_key(value)
    return value


def agree(predicate: NamedNode, a: Value, b: Value) -> bool:
    """Whether two values of a single-valued property say the same thing."""
    if a == b:
        return True
    if isinstance(a, ListValue) and isinstance(b, ListValue):
        shorter, longer = sorted((a.items, b.items), key=len)
        return longer[: len(shorter)] == shorter
    if isinstance(a, Literal) and isinstance(b, Literal):
        if predicate == SCHEMA_DATE_PUBLISHED:
            shorter_date, longer_date = sorted((a.value, b.value), key=len)
            return longer_date.startswith(shorter_date)
        if a.language != b.language:
            return False
        return _fold(a.value) == _fold(b.value)
    return False


_DATE_TYPES = frozenset(NamedNode(XSD + name) for name in ("gYear", "gYearMonth", "date"))


def _precision(value: Value) -> int:
    """Among agreeing values, more is better: the longer author list, the finer date.
    Other agreeing values keep the form of the most trusted source."""
    if isinstance(value, ListValue):
        return len(value.items)
    if isinstance(value, Literal) and value.datatype in _DATE_TYPES:
        return len(value.value)
    return 0


# --- reading a source's description of the resource --------------------------------------


def _index(triples: Iterable[Triple]) -> dict[Term, list[Triple]]:
    by_subject: dict[Term, list[Triple]] = defaultdict(list)
    for triple in triples:
        by_subject[triple.subject].append(triple)
    return by_subject


def _read_value(term: Term, by_subject: Mapping[Term, list[Triple]], depth: int = 0) -> Value:
    if isinstance(term, BlankNode):
        if depth > 8:  # a cycle of blank nodes: shapes never let one through
            return Literal("")
        first = [t.object for t in by_subject.get(term, []) if t.predicate == RDF_FIRST]
        if first:
            return ListValue(tuple(_list_items(term, by_subject)))
        pairs = sorted(
            ((t.predicate, _read_value(t.object, by_subject, depth + 1)) for t in by_subject[term]),
            key=lambda pair: (pair[0].value, _sort_text(pair[1])),
        )
        return Structure(tuple(pairs))
    return term


def _list_items(head: Term, by_subject: Mapping[Term, list[Triple]]) -> list[Term]:
    items: list[Term] = []
    seen: set[Term] = set()
    cell: Term = head
    while cell != RDF_NIL and cell not in seen:
        seen.add(cell)
        cell_triples = by_subject.get(cell, [])
        items += [t.object for t in cell_triples if t.predicate == RDF_FIRST]
        rest = [t.object for t in cell_triples if t.predicate == RDF_REST]
        if not rest:
            break
        cell = rest[0]
    return items


def claims_of(resource: NamedNode, source: Source) -> dict[NamedNode, list[Value]]:
    """What one source says about the resource, property by property."""
    by_subject = source.by_subject
    said: dict[NamedNode, list[Value]] = defaultdict(list)
    for triple in by_subject.get(resource, []):
        value = _read_value(triple.object, by_subject)
        if value not in said[triple.predicate]:
            said[triple.predicate].append(value)
    return said


# --- choosing ------------------------------------------------------------------------------


@dataclass
class Claim:
    """One value (up to agreement) and the sources that give it."""

    value: Value
    sources: list[Source]

    def best_rank(self, predicate: NamedNode, precedence: Precedence) -> tuple[int, int, str]:
        return min(precedence.rank(predicate, source) for source in self.sources)


def _group(
    predicate: NamedNode,
    offers: list[tuple[Value, Source]],
    single: bool,
    precedence: Precedence,
) -> list[Claim]:
    claims: list[Claim] = []
    keyed: dict[object, Claim] = {}
    ordered = sorted(
        offers, key=lambda offer: (precedence.rank(predicate, offer[1]), _sort_text(offer[0]))
    )
    for value, source in ordered:
        if single:
            match = next((c for c in claims if agree(predicate, c.value, value)), None)
        else:
            match = keyed.get(value_key(predicate, value))
        if match is None:
            claim = Claim(value, [source])
            claims.append(claim)
            if not single:
                keyed[value_key(predicate, value)] = claim
            continue
        if source not in match.sources:
            match.sources.append(source)
        if single and _precision(value) > _precision(match.value):
            match.value = value  # agreeing, and finer: the longer list, the fuller date
    return claims


def _winner(claims: list[Claim], predicate: NamedNode, precedence: Precedence) -> Claim:
    def order(claim: Claim) -> tuple[int, int, int, str, str]:
        first, second, graph = claim.best_rank(predicate, precedence)
        return first, second, -len(claim.sources), graph, _sort_text(claim.value)

    return min(claims, key=order)


def _sort_text(value: Value) -> str:
    return repr(value) if isinstance(value, Structure | ListValue) else str(value)


# --- writing ---------------------------------------------------------------------------------


def _local(predicate: NamedNode) -> str:
    return re.split(r"[/#]", predicate.value)[-1] or "node"


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(repr, parts)).encode()).hexdigest()[:12]


class _Writer:
    def __init__(self, resource: NamedNode) -> None:
        self.resource = resource
        self.triples: dict[Triple, None] = {}

    def term(self, predicate: NamedNode, value: Value, stem: str) -> Term:
        """The value as a term; the nodes of structures and lists are written with IRIs
        starting with `stem` (`{resource}#` at the top, `{node}-` inside a node)."""
        if isinstance(value, ListValue):
            return self._list(value, f"{stem}{_local(predicate)}")
        if isinstance(value, Structure):
            key = _structure_key(value)
            if isinstance(key, tuple) and key[0] == "identifier":
                scheme = re.sub(r"[^a-z0-9]+", "-", str(key[1])).strip("-") or "id"
                node = NamedNode(f"{stem}id-{scheme}-{_digest(key)}")
            else:
                node = NamedNode(f"{stem}{_local(predicate)}-{_digest(value)}")
            for inner_predicate, inner in value.pairs:
                self.add(node, inner_predicate, self.term(inner_predicate, inner, node.value + "-"))
            return node
        return value

    def _list(self, value: ListValue, stem: str) -> NamedNode:
        if not value.items:
            return RDF_NIL
        cells = [NamedNode(f"{stem}-{n}") for n in range(1, len(value.items) + 1)]
        for n, (cell, item) in enumerate(zip(cells, value.items, strict=True)):
            self.add(cell, RDF_FIRST, item)
            self.add(cell, RDF_REST, cells[n + 1] if n + 1 < len(cells) else RDF_NIL)
        return cells[0]

    def add(self, subject: NamedNode, predicate: NamedNode, obj: Term) -> None:
        self.triples[Triple(subject, predicate, obj)] = None


def consolidate(
    resource: NamedNode,
    sources: Sequence[Source],
    published_flag: NamedNode,
    precedence: Precedence | None = None,
) -> Consolidated:
    """The resource's published description and its provenance, from its sources.

    `published_flag` is the property (in our vocabulary) telling whether a statement's
    value is the one published."""
    precedence = precedence or DEFAULT_PRECEDENCE
    ordered, someone_else = _same_person(
        resource, sorted(sources, key=lambda s: s.rank), precedence
    )
    offers: dict[NamedNode, list[tuple[Value, Source]]] = defaultdict(list)
    for source in ordered:
        for predicate, values in claims_of(resource, source).items():
            offers[predicate] += [(value, source) for value in values]
    writer = _Writer(resource)
    provenance = _Writer(resource)
    chosen_list: ListValue | None = None
    for predicate in sorted(offers, key=lambda p: p.value):
        if predicate == SCHEMA_AUTHOR:
            continue  # follows the chosen author list, below
        single = predicate in SINGLE_VALUED
        claims = _group(predicate, offers[predicate], single, precedence)
        published = [_winner(claims, predicate, precedence)] if single else claims
        for claim in claims:
            is_published = any(claim is p for p in published)
            if is_published:
                obj = writer.term(predicate, claim.value, resource.value + "#")
                writer.add(resource, predicate, obj)
                if isinstance(claim.value, ListValue) and predicate == BIBO_AUTHOR_LIST:
                    chosen_list = claim.value
            else:
                obj = _unpublished(provenance, predicate, claim.value, resource.value)
            if len(sources) > 1:
                _statement(provenance, resource, predicate, obj, claim, is_published,
                           published_flag)  # fmt: skip
    _authors(writer, provenance if len(sources) > 1 else None, resource,
             offers.get(SCHEMA_AUTHOR, []), chosen_list, published_flag,
             precedence)  # fmt: skip
    for source in someone_else:  # named otherwise at this place in the list: not them
        for predicate, values in claims_of(resource, source).items():
            for value in values:
                obj = _unpublished(provenance, predicate, value, resource.value)
                _statement(provenance, resource, predicate, obj, Claim(value, [source]),
                           False, published_flag)  # fmt: skip
    graphs = tuple(sorted({s.graph for s in ordered}, key=lambda g: g.value))
    for graph in graphs:
        provenance.add(resource, PROV_DERIVED, graph)
    return Consolidated(resource, list(writer.triples), list(provenance.triples), graphs)


SCHEMA_PERSON = schema("Person")
SCHEMA_FAMILY_NAME = schema("familyName")
SCHEMA_GIVEN_NAME = schema("givenName")


def _same_person(
    resource: NamedNode, sources: list[Source], precedence: Precedence
) -> tuple[list[Source], list[Source]]:
    """The sources that describe the same person as the most trusted one, and the others.

    A person of an article is minted by their place in its author list, so two sources
    whose lists differ (an author left out, another order) can put two people at one
    place. Names that are compatible (the same family name; given names that agree up to
    initials, diacritics, hyphens: `Anne E.` ~ `Anne Elizabeth` ~ `A. E.`) are one
    person; a source naming someone else there is kept out of the description (and
    recorded in the provenance as not published)."""
    names = {id(s): _person_name(resource, s) for s in sources}
    named = [s for s in sources if names[id(s)] is not None]
    if len(named) < 2:
        return sources, []
    anchor = min(named, key=lambda s: precedence.rank(SCHEMA_NAME, s))
    anchor_name = names[id(anchor)]
    assert anchor_name is not None
    same: list[Source] = []
    others: list[Source] = []
    for source in sources:
        name = names[id(source)]
        (same if name is None or compatible_names(name, anchor_name) else others).append(source)
    return same, others


def _person_name(resource: NamedNode, source: Source) -> tuple[str, list[str]] | None:
    """(family name, given names) of a person as one source gives them; None when the
    resource is no person there, or unnamed."""
    triples = source.by_subject.get(resource, [])
    if not any(t.predicate == RDF_TYPE and t.object == SCHEMA_PERSON for t in triples):
        return None
    said = {t.predicate: t.object.value for t in triples if isinstance(t.object, Literal)}
    family, given = said.get(SCHEMA_FAMILY_NAME), said.get(SCHEMA_GIVEN_NAME, "")
    if family is None:
        full = said.get(SCHEMA_NAME)
        if not full:
            return None
        if "," in full:
            family, given = (part.strip() for part in full.split(",", 1))
        else:
            *first, family = full.split()
            given = " ".join(first)
    return _fold(family).replace(" ", ""), _fold(given).split()


def compatible_names(a: tuple[str, list[str]], b: tuple[str, list[str]]) -> bool:
    """Whether two (family, given names) can be one person: the same family name, and
    given names that agree as far as both go, an initial agreeing with a full name
    (MEDLINE's run-together initials too: `AE` ~ `Anne Elizabeth`)."""
    if a[0] != b[0]:
        return False
    if _agree_as_far_as_both_go(a[1], b[1]):
        return True
    for x, y in ((a[1], b[1]), (b[1], a[1])):
        if len(x) == 1 and len(x[0]) <= 3 and len(y) > 1:
            return _agree_as_far_as_both_go(list(x[0]), y)
    return False


def _agree_as_far_as_both_go(x: list[str], y: list[str]) -> bool:
    return all(a.startswith(b) or b.startswith(a) for a, b in zip(x, y, strict=False))


def _authors(
    writer: _Writer,
    provenance: _Writer | None,
    resource: NamedNode,
    offers: list[tuple[Value, Source]],
    chosen_list: ListValue | None,
    published_flag: NamedNode,
    precedence: Precedence,
) -> None:
    """`schema:author` is the members of the published author list (a source without a
    list contributes its authors only when no source has one)."""
    claims = _group(SCHEMA_AUTHOR, offers, False, precedence)
    members = set(chosen_list.items) if chosen_list is not None else None
    for claim in claims:
        published = members is None or claim.value in members
        if published:
            obj = writer.term(SCHEMA_AUTHOR, claim.value, resource.value + "#")
            writer.add(resource, SCHEMA_AUTHOR, obj)
        if provenance is None:
            continue
        if not published:
            obj = _unpublished(provenance, SCHEMA_AUTHOR, claim.value, resource.value)
        _statement(provenance, resource, SCHEMA_AUTHOR, obj, claim, published, published_flag)


def _unpublished(provenance: _Writer, predicate: NamedNode, value: Value, owner: str) -> Term:
    """A value that lost. A structure or list is written under a node of its own in the
    provenance (not in the published view), so the statement can still say what it was."""
    if not isinstance(value, ListValue | Structure):
        return value
    return provenance.term(predicate, value, f"{owner}#other-{_digest(value)}-")


def claim_node(resource: NamedNode, predicate: NamedNode, obj: Term) -> NamedNode:
    """The provenance statement of one value of the resource: named by its content, so
    a source that gives the same value adds itself to the same statement."""
    return NamedNode(f"{resource.value}#claim-{_digest(predicate, obj)}")


def _statement(
    out: _Writer,
    resource: NamedNode,
    predicate: NamedNode,
    obj: Term,
    claim: Claim,
    published: bool,
    published_flag: NamedNode,
) -> None:
    node = claim_node(resource, predicate, obj)
    out.add(node, RDF_TYPE, RDF_STATEMENT)
    out.add(node, RDF_SUBJECT, resource)
    out.add(node, RDF_PREDICATE, predicate)
    out.add(node, RDF_OBJECT, obj)
    out.add(node, published_flag, TRUE if published else FALSE)
    for source in sorted(claim.sources, key=lambda s: s.graph.value):
        out.add(node, PROV_DERIVED, source.graph)
