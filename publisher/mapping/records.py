"""Record -> schema.org triples.

The output is a list of pyoxigraph `Triple`s: the store takes them as they are, and
validation converts them for pyshacl. Everything about one record (its article, people,
journal, volume, trials) is in its own list, so the record can be validated and
replaced as a unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.identifiers import (
    TRIAL_REGISTRIES,
    doi_url,
    find_trial_ids,
    is_valid_doi,
    trial_page,
)
from publisher.mapping.iris import IriMinter, article_key
from publisher.mapping.vocab import (
    BIBO_AUTHOR_LIST,
    FOAF,
    PROV,
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    SCHEMA_NAME,
    XSD_DATE,
    XSD_DATETIME,
    XSD_GYEAR,
    XSD_GYEARMONTH,
    XSD_INTEGER,
    ontology_namespace,
    schema,
)
from publisher.model import Agent, DatePrecision, Organization, PartialDate, Person, Record, TrialId

Subject = NamedNode | BlankNode
Object = NamedNode | BlankNode | Literal

MEDICAL_PUBLICATION_TYPES = {"Case Reports", "Clinical Trial", "Randomized Controlled Trial"}
_DATE_TYPES = {
    DatePrecision.DAY: XSD_DATE,
    DatePrecision.MONTH: XSD_GYEARMONTH,
    DatePrecision.YEAR: XSD_GYEAR,
}
UNDETERMINED_LANGUAGE = "und"


@dataclass(frozen=True)
class MappedRecord:
    """The triples of one record and the IRIs the rest of the pipeline needs."""

    record: Record
    article: NamedNode
    graph: NamedNode
    triples: list[Triple]


class RecordMapper:
    """Maps records under one base URI; holds nothing between records."""

    def __init__(self, base_uri: str) -> None:
        self.minter = IriMinter(base_uri)
        self.pub = ontology_namespace(base_uri)

    def map(self, record: Record) -> MappedRecord:
        key = article_key(record)
        article = NamedNode(self.minter.article(key))
        out = _Triples()
        self._article(out, article, record, key)
        graph = NamedNode(self.minter.graph(record.source.format, key))
        return MappedRecord(record, article, graph, out.triples)

    def provenance(self, mapped: MappedRecord, when: datetime | None = None) -> list[Triple]:
        """What we say about the named graph itself: where and when the record came from.

        Kept out of `map` so validation sees only the record, and so the same record
        maps to the same triples every time.
        """
        source = mapped.record.source
        out = _Triples()
        graph = mapped.graph
        out.add(graph, RDF_TYPE, NamedNode(self.pub + "SourceRecord"))
        out.add(graph, NamedNode(FOAF + "primaryTopic"), mapped.article)
        out.add(graph, NamedNode(self.pub + "sourceFormat"), Literal(source.format))
        out.add(graph, NamedNode(self.pub + "sourceFile"), Literal(_file_name(source.path)))
        out.add(
            graph,
            NamedNode(self.pub + "recordPosition"),
            Literal(str(source.position), datatype=XSD_INTEGER),
        )
        stamp = (when or datetime.now(UTC)).replace(microsecond=0).isoformat()
        out.add(graph, NamedNode(PROV + "generatedAtTime"), Literal(stamp, datatype=XSD_DATETIME))
        return out.triples

    def _article(self, out: _Triples, article: NamedNode, record: Record, key: str) -> None:
        out.add(article, RDF_TYPE, schema("ScholarlyArticle"))
        if MEDICAL_PUBLICATION_TYPES.intersection(record.publication_types):
            out.add(article, RDF_TYPE, schema("MedicalScholarlyArticle"))
        for publication_type in record.publication_types:
            out.add(article, schema("publicationType"), Literal(publication_type))
        if record.title:
            out.add(article, SCHEMA_NAME, Literal(record.title))
        language = record.languages[0] if record.languages else UNDETERMINED_LANGUAGE
        if record.abstract:
            out.add(article, schema("abstract"), Literal(record.abstract, language=language))
        for tag in record.languages:
            out.add(article, schema("inLanguage"), Literal(tag))
        if record.date:
            out.add(article, schema("datePublished"), _date_literal(record.date))
        for bound, value in (("pageStart", record.page_start), ("pageEnd", record.page_end)):
            if value:
                out.add(article, schema(bound), _page_literal(value))
        for subject in record.subjects:
            out.add(article, schema("keywords"), Literal(subject))
        if record.doi:
            self._doi(out, article, record.doi)
        for link in record.links:
            if iri := _iri_or_none(link):
                out.add(article, schema("url"), iri)
        self._agents(out, article, key, record.authors, "author", "")
        self._agents(out, article, key, record.contributors, "contributor", "c")
        self._container(out, article, record)
        for trial in _all_trials(record):
            out.add(article, schema("mentions"), self._trial(out, trial))

    def _doi(self, out: _Triples, article: NamedNode, doi: str) -> None:
        out.add(article, schema("identifier"), _property_value(out, "DOI", doi))
        if is_valid_doi(doi) and (iri := _iri_or_none(doi_url(doi))):
            out.add(article, schema("sameAs"), iri)

    def _agents(
        self, out: _Triples, article: NamedNode, key: str, agents: list[Agent], prop: str, role: str
    ) -> None:
        if not agents:
            return
        nodes: list[NamedNode] = []
        for position, agent in enumerate(agents, 1):
            node = self._agent(out, agent, key, role, position)
            out.add(article, schema(prop), node)
            nodes.append(node)
        if prop == "author":
            out.add(article, BIBO_AUTHOR_LIST, _rdf_list(out, nodes))

    def _agent(self, out: _Triples, agent: Agent, key: str, role: str, position: int) -> NamedNode:
        if isinstance(agent, Organization):
            node = NamedNode(self.minter.organization(key, role, position))
            out.add(node, RDF_TYPE, schema("Organization"))
            out.add(node, SCHEMA_NAME, Literal(agent.name))
            return node
        node = NamedNode(self.minter.person(key, role, position))
        _person(out, node, agent)
        return node

    def _container(self, out: _Triples, article: NamedNode, record: Record) -> None:
        """Article -> issue -> volume -> periodical, as deep as the source goes."""
        if record.periodical is None or not (record.periodical.name or record.periodical.issns):
            return
        periodical = NamedNode(self.minter.periodical(record.periodical))
        out.add(periodical, RDF_TYPE, schema("Periodical"))
        if record.periodical.name:
            out.add(periodical, SCHEMA_NAME, Literal(record.periodical.name))
        for issn in record.periodical.issns:
            out.add(periodical, schema("issn"), Literal(issn))
        parent = periodical
        if record.volume:
            volume = NamedNode(self.minter.volume(periodical.value, record.volume))
            out.add(volume, RDF_TYPE, schema("PublicationVolume"))
            out.add(volume, schema("volumeNumber"), Literal(record.volume))
            out.add(volume, schema("isPartOf"), parent)
            parent = volume
        if record.issue:
            issue = NamedNode(self.minter.issue(parent.value, record.issue))
            out.add(issue, RDF_TYPE, schema("PublicationIssue"))
            out.add(issue, schema("issueNumber"), Literal(record.issue))
            out.add(issue, schema("isPartOf"), parent)
            parent = issue
        out.add(article, schema("isPartOf"), parent)

    def _trial(self, out: _Triples, trial: TrialId) -> NamedNode:
        node = NamedNode(self.minter.trial(trial))
        out.add(node, RDF_TYPE, schema("MedicalTrial"))
        registry = TRIAL_REGISTRIES[trial.registry]
        out.add(node, schema("identifier"), _property_value(out, registry.name, trial.value))
        if iri := _iri_or_none(trial_page(trial)):
            out.add(node, schema("sameAs"), iri)
        return node


class _Triples:
    """An append-only triple list with a short `add`."""

    def __init__(self) -> None:
        self.triples: list[Triple] = []

    def add(self, subject: Subject, predicate: NamedNode, obj: Object) -> None:
        self.triples.append(Triple(subject, predicate, obj))


def _person(out: _Triples, node: NamedNode, person: Person) -> None:
    out.add(node, RDF_TYPE, schema("Person"))
    out.add(node, SCHEMA_NAME, Literal(person.name))
    if person.given_name:
        out.add(node, schema("givenName"), Literal(person.given_name))
    if person.family_name:
        out.add(node, schema("familyName"), Literal(person.family_name))
    if person.orcid and (iri := _iri_or_none(f"https://orcid.org/{person.orcid}")):
        out.add(node, schema("sameAs"), iri)


def _property_value(out: _Triples, property_id: str, value: str) -> BlankNode:
    node = BlankNode()
    out.add(node, RDF_TYPE, schema("PropertyValue"))
    out.add(node, schema("propertyID"), Literal(property_id))
    out.add(node, schema("value"), Literal(value))
    return node


def _rdf_list(out: _Triples, items: list[NamedNode]) -> BlankNode | NamedNode:
    """An rdf:List, so author order survives every serialisation (JSON-LD arrays do not)."""
    head: BlankNode | NamedNode = RDF_NIL
    for item in reversed(items):
        cell = BlankNode()
        out.add(cell, RDF_FIRST, item)
        out.add(cell, RDF_REST, head)
        head = cell
    return head


def _date_literal(date: PartialDate) -> Literal:
    return Literal(date.isoformat(), datatype=_DATE_TYPES[date.precision])


def _page_literal(value: str) -> Literal:
    """Page numbers are integers where they are numbers; article numbers (e0134826) stay text."""
    return Literal(value, datatype=XSD_INTEGER) if value.isdigit() else Literal(value)


def _all_trials(record: Record) -> list[TrialId]:
    """Trials the reader found plus any registration number named anywhere in the record."""
    texts = [record.title, record.abstract, *(f.value for f in record.unknown_fields)]
    found = list(record.trials)
    for trial in find_trial_ids(*texts):
        if trial not in found:
            found.append(trial)
    return found


def _iri_or_none(value: str) -> NamedNode | None:
    try:
        return NamedNode(value)
    except ValueError:
        return None


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
