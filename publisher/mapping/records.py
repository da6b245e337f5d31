"""Record -> schema.org triples.

The output is a list of pyoxigraph `Triple`s: the store takes them as they are, and
validation converts them for pyshacl. Everything about one record (its article, people,
journal, volume, trials) is in its own list, so the record can be validated and
replaced as a unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.identifiers import (
    TRIAL_REGISTRIES,
    doi_url,
    find_trial_ids,
    is_valid_doi,
    trial_page,
)
from publisher.mapping.iris import IriMinter, article_key, source_key, trial_key
from publisher.mapping.vocab import (
    BIBO_AUTHOR_LIST,
    FOAF,
    PROV,
    PUB,
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
    schema,
)
from publisher.model import (
    Agent,
    AnyRecord,
    DatePrecision,
    Funding,
    Intervention,
    Organization,
    PartialDate,
    Person,
    Record,
    Reference,
    SourceRef,
    SubjectTerm,
    TrialId,
    TrialRecord,
)

Subject = NamedNode | BlankNode
Object = NamedNode | BlankNode | Literal

MEDICAL_PUBLICATION_TYPES = {"Case Reports", "Clinical Trial", "Randomized Controlled Trial"}
_DATE_TYPES = {
    DatePrecision.DAY: XSD_DATE,
    DatePrecision.MONTH: XSD_GYEARMONTH,
    DatePrecision.YEAR: XSD_GYEAR,
}
SOFTWARE_NAME = "scholarly-publisher"
try:
    SOFTWARE_VERSION = version(SOFTWARE_NAME)
except PackageNotFoundError:  # running from a checkout that was never installed
    SOFTWARE_VERSION = "0+unknown"
MESH_BASE = "https://id.nlm.nih.gov/mesh/"


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def pmc_url(pmcid: str) -> str:
    return f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"


@dataclass(frozen=True)
class MappedRecord:
    """The triples of one record and the IRIs the rest of the pipeline needs."""

    record: AnyRecord
    article: NamedNode  # the record's main resource (an article, or a trial)
    graph: NamedNode
    triples: list[Triple]


class RecordMapper:
    """Maps records under one base URI; holds nothing between records."""

    def __init__(self, base_uri: str) -> None:
        self.minter = IriMinter(base_uri)

    def map(self, record: AnyRecord, key: str | None = None) -> MappedRecord:
        """Map one record; `key` overrides the article key (identity resolution found the
        article already published under another identifier, e.g. its DOI for a PMID)."""
        if isinstance(record, TrialRecord):
            return self._map_trial(record)
        key = key or article_key(record)
        article = NamedNode(self.minter.article(key))
        out = _Triples()
        self._article(out, article, record, key)
        graph = NamedNode(self.minter.graph(record.source.format, source_key(record) or key))
        return MappedRecord(record, article, graph, out.triples)

    def _map_trial(self, record: TrialRecord) -> MappedRecord:
        out = _Triples()
        trial = TrialMapper(self, out).map(record)
        graph = NamedNode(self.minter.graph(record.source.format, trial_key(record.trial)))
        return MappedRecord(record, trial, graph, out.triples)

    def provenance(self, mapped: MappedRecord, when: datetime | None = None) -> list[Triple]:
        """PROV-O about the named graph itself: which source record it was derived from,
        when, and by which software.

        Kept out of `map` so validation sees only the record, and so the same record
        maps to the same triples every time.
        """
        source = mapped.record.source
        out = _Triples()
        graph = mapped.graph
        stamp = (when or datetime.now(UTC)).replace(microsecond=0).isoformat()
        out.add(graph, RDF_TYPE, NamedNode(PUB + "SourceRecord"))
        out.add(graph, RDF_TYPE, NamedNode(PROV + "Entity"))
        out.add(graph, NamedNode(FOAF + "primaryTopic"), mapped.article)
        out.add(graph, NamedNode(PUB + "sourceFormat"), Literal(source.format))
        out.add(graph, NamedNode(PROV + "generatedAtTime"), Literal(stamp, datatype=XSD_DATETIME))
        origin = BlankNode()
        out.add(graph, NamedNode(PROV + "wasDerivedFrom"), origin)
        out.add(origin, RDF_TYPE, NamedNode(PROV + "Entity"))
        out.add(origin, NamedNode(PUB + "sourceFile"), Literal(_file_name(source.path)))
        position = Literal(str(source.position), datatype=XSD_INTEGER)
        out.add(origin, NamedNode(PUB + "recordPosition"), position)
        if source_id := getattr(mapped.record, "source_id", None):
            out.add(origin, NamedNode(PUB + "sourceId"), Literal(source_id))
        activity = BlankNode()
        out.add(graph, NamedNode(PROV + "wasGeneratedBy"), activity)
        out.add(activity, RDF_TYPE, NamedNode(PROV + "Activity"))
        out.add(activity, NamedNode(PROV + "used"), origin)
        out.add(activity, NamedNode(PROV + "endedAtTime"), Literal(stamp, datatype=XSD_DATETIME))
        software = BlankNode()
        out.add(activity, NamedNode(PROV + "wasAssociatedWith"), software)
        out.add(software, RDF_TYPE, NamedNode(PROV + "SoftwareAgent"))
        # schema:name and schema:softwareVersion are SoftwareApplication's properties.
        out.add(software, RDF_TYPE, schema("SoftwareApplication"))
        out.add(software, SCHEMA_NAME, Literal(SOFTWARE_NAME))
        out.add(software, schema("softwareVersion"), Literal(SOFTWARE_VERSION))
        return out.triples

    def _article(self, out: _Triples, article: NamedNode, record: Record, key: str) -> None:
        out.add(article, RDF_TYPE, schema("ScholarlyArticle"))
        if MEDICAL_PUBLICATION_TYPES.intersection(record.publication_types):
            out.add(article, RDF_TYPE, schema("MedicalScholarlyArticle"))
        for publication_type in record.publication_types:
            out.add(article, schema("publicationType"), Literal(publication_type))
        if record.title:
            out.add(article, SCHEMA_NAME, Literal(record.title))
            # What search engines read as the article's title (their Article guidance).
            out.add(article, schema("headline"), Literal(record.title))
        language = _language_tag(
            record.abstract_language or (record.languages[0] if record.languages else None)
        )
        if record.abstract:
            out.add(article, schema("abstract"), Literal(record.abstract, language=language))
        for tag in record.languages:
            out.add(article, schema("inLanguage"), Literal(tag))
        if record.date:
            out.add(article, schema("datePublished"), _date_literal(record.date))
        pages = (
            ("pageStart", record.page_start),
            ("pageEnd", record.page_end),
            ("pagination", record.pagination),
        )
        for name, value in pages:
            if value:
                # Text, never a number: `026002` keeps its zero, `e123` is a page too.
                out.add(article, schema(name), Literal(value))
        for subject in record.subjects:
            out.add(article, schema("keywords"), Literal(subject))
        if record.doi:
            self._doi(out, article, record.doi)
        if record.pmid:
            out.add(article, schema("identifier"), _property_value(out, "PMID", record.pmid))
            if iri := _iri_or_none(pubmed_url(record.pmid)):
                out.add(article, schema("sameAs"), iri)
        if record.pmcid:
            out.add(article, schema("identifier"), _property_value(out, "PMCID", record.pmcid))
            if iri := _iri_or_none(pmc_url(record.pmcid)):
                out.add(article, schema("sameAs"), iri)
        for term in record.subject_terms:
            out.add(article, schema("about"), _defined_term(out, term))
        self._funding(out, article, key, record.funding)
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
            # The author's page here: what search engines want as author.url (ORCID: sameAs).
            out.add(node, schema("url"), node)
            nodes.append(node)
        if prop == "author":
            out.add(article, BIBO_AUTHOR_LIST, _rdf_list(out, nodes))

    def _agent(self, out: _Triples, agent: Agent, key: str, role: str, position: int) -> NamedNode:
        if isinstance(agent, Organization):
            node = NamedNode(self.minter.organization(key, role, position))
            _organization(out, node, agent)
            return node
        node = NamedNode(self.minter.person(key, role, position))
        _person(out, node, agent)
        return node

    def _funding(self, out: _Triples, article: NamedNode, key: str, funding: list[Funding]) -> None:
        """Funders as Organizations; each award number as a schema:Grant they gave.

        The award number is an identifier entry (propertyID "award") like every other
        schema:identifier here, so a consumer reads all identifiers one way.
        """
        for position, entry in enumerate(funding, 1):
            funder = NamedNode(self.minter.organization(key, "f", position))
            _organization(out, funder, entry.funder)
            out.add(article, schema("funder"), funder)
            for award in entry.awards:
                grant = BlankNode()
                out.add(grant, RDF_TYPE, schema("Grant"))
                out.add(grant, schema("identifier"), _property_value(out, "award", award))
                out.add(grant, schema("funder"), funder)
                out.add(article, schema("funding"), grant)

    def _container(self, out: _Triples, article: NamedNode, record: Record) -> None:
        """Article -> issue -> volume -> periodical, as deep as the source goes."""
        if record.periodical is None or not (record.periodical.name or record.periodical.issns):
            return
        periodical = NamedNode(self.minter.periodical(record.periodical))
        out.add(periodical, RDF_TYPE, schema("Periodical"))
        if record.periodical.name:
            out.add(periodical, SCHEMA_NAME, Literal(record.periodical.name))
        if record.periodical.abbreviation:
            out.add(periodical, schema("alternateName"), Literal(record.periodical.abbreviation))
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

    def trial_node(self, out: _Triples, trial: TrialId) -> NamedNode:
        return self._trial(out, trial)

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
    for affiliation in person.affiliations:
        place = BlankNode()
        out.add(place, RDF_TYPE, schema("Organization"))
        out.add(place, SCHEMA_NAME, Literal(affiliation))
        out.add(node, schema("affiliation"), place)


def _organization(out: _Triples, node: NamedNode, organization: Organization) -> None:
    out.add(node, RDF_TYPE, schema("Organization"))
    out.add(node, SCHEMA_NAME, Literal(organization.name))
    for same in organization.same_as:
        if iri := _iri_or_none(same):
            out.add(node, schema("sameAs"), iri)


def _defined_term(out: _Triples, term: SubjectTerm) -> NamedNode | BlankNode:
    """MeSH headings are NLM's own resources: we use their IRIs, id.nlm.nih.gov/mesh/D…."""
    node: NamedNode | BlankNode = BlankNode()
    if term.identifier and term.vocabulary == "MeSH":
        node = _iri_or_none(MESH_BASE + term.identifier) or node
    out.add(node, RDF_TYPE, schema("DefinedTerm"))
    out.add(node, SCHEMA_NAME, Literal(term.name))
    if term.identifier:
        out.add(node, schema("termCode"), Literal(term.identifier))
    if term.vocabulary == "MeSH":
        out.add(node, schema("inDefinedTermSet"), NamedNode(MESH_BASE))
    return node


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


def _language_tag(tag: str | None) -> str | None:
    """The abstract's language tag, or None (a plain string, no tag at all) when the
    source's is none that RDF allows (BCP 47, as pyoxigraph checks it): a bad tag must
    not cost the record its abstract (the mapping fuzz test found `languages=['']`
    failing the whole record). Not `und`: an unknown language is said by saying nothing,
    and Jena's RDF/XML parser warns about `und` ("Bad language tag")."""
    if tag:
        try:
            Literal("", language=tag)
            return tag
        except ValueError:
            pass
    return None


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


class TrialMapper:
    """A registry record -> the schema:MedicalTrial it describes (the same IRI articles
    use when they mention the trial, so both meet at one resource)."""

    def __init__(self, mapper: RecordMapper, out: _Triples) -> None:
        self.mapper = mapper
        self.minter = mapper.minter
        self.out = out

    def map(self, record: TrialRecord) -> NamedNode:
        out = self.out
        trial = self.mapper.trial_node(out, record.trial)
        key = trial_key(record.trial)
        for secondary in record.secondary_ids:
            if secondary.registry in TRIAL_REGISTRIES:
                name = TRIAL_REGISTRIES[secondary.registry].name
                out.add(trial, schema("identifier"), _property_value(out, name, secondary.value))
        if record.title:
            out.add(trial, SCHEMA_NAME, Literal(record.title))
        if record.official_title and record.official_title != record.title:
            out.add(trial, schema("alternateName"), Literal(record.official_title))
        if record.summary:
            out.add(trial, schema("description"), Literal(record.summary))
        if record.status:
            out.add(trial, schema("status"), Literal(record.status))
        for prop, date in (("startDate", record.start_date), ("endDate", record.completion_date)):
            if date:
                out.add(trial, schema(prop), _date_literal(date))
        for phase in record.phases:
            out.add(trial, NamedNode(PUB + "trialPhase"), Literal(phase))
        if record.study_type:
            out.add(trial, NamedNode(PUB + "studyType"), Literal(record.study_type))
        for design in record.design:
            self._design(trial, design)
        for condition in record.conditions:
            node = BlankNode()
            out.add(node, RDF_TYPE, schema("MedicalCondition"))
            out.add(node, SCHEMA_NAME, Literal(condition))
            out.add(trial, schema("healthCondition"), node)
        for keyword in record.keywords:
            out.add(trial, schema("keywords"), Literal(keyword))
        for intervention in record.interventions:
            out.add(trial, NamedNode(PUB + "intervention"), self._intervention(intervention))
        if record.sponsor:
            sponsor = NamedNode(self.minter.organization(key, "sponsor", 1))
            _organization(out, sponsor, record.sponsor)
            out.add(trial, schema("sponsor"), sponsor)
        for position, collaborator in enumerate(record.collaborators, 1):
            member = NamedNode(self.minter.organization(key, "collaborator", position))
            _organization(out, member, collaborator)
            out.add(trial, NamedNode(PUB + "collaborator"), member)
        if record.enrollment is not None:
            enrollment = Literal(str(record.enrollment), datatype=XSD_INTEGER)
            out.add(trial, NamedNode(PUB + "enrollment"), enrollment)
        for reference in record.references:
            if (cited := self._reference(reference)) is not None:
                out.add(trial, schema("citation"), cited)
        return trial

    def _design(self, trial: NamedNode, design: str) -> None:
        """CT.gov design words -> schema.org's MedicalTrialDesign members where one exists."""
        member = TRIAL_DESIGNS.get(design.upper())
        if member:
            self.out.add(trial, schema("trialDesign"), schema(member))
        else:
            self.out.add(trial, NamedNode(PUB + "design"), Literal(design))

    def _intervention(self, intervention: Intervention) -> BlankNode:
        node = BlankNode()
        kind = INTERVENTION_CLASSES.get((intervention.kind or "").upper(), "MedicalEntity")
        self.out.add(node, RDF_TYPE, schema(kind))
        self.out.add(node, SCHEMA_NAME, Literal(intervention.name))
        for other in intervention.other_names:
            self.out.add(node, schema("alternateName"), Literal(other))
        if intervention.kind:
            self.out.add(node, NamedNode(PUB + "interventionType"), Literal(intervention.kind))
        return node

    def _reference(self, reference: Reference) -> NamedNode | None:
        """A cited publication gets the IRI its own record would mint (DOI, else PMID)."""
        stub = Record(SourceRef("", 0), doi=reference.doi, pmid=reference.pmid)
        if not (reference.doi or reference.pmid):
            return None
        article = NamedNode(self.minter.article(article_key(stub)))
        self.out.add(article, RDF_TYPE, schema("CreativeWork"))
        if reference.doi:
            self.mapper._doi(self.out, article, reference.doi)
        if reference.pmid:
            pmid = _property_value(self.out, "PMID", reference.pmid)
            self.out.add(article, schema("identifier"), pmid)
        if reference.citation:
            self.out.add(article, schema("description"), Literal(reference.citation))
        return article


# ClinicalTrials.gov designModule words -> schema:MedicalTrialDesign members.
TRIAL_DESIGNS = {
    "RANDOMIZED": "RandomizedTrial",
    "NONE": "OpenTrial",  # masking NONE: open label
    "OPEN_LABEL": "OpenTrial",
    "SINGLE": "SingleBlindedTrial",
    "DOUBLE": "DoubleBlindedTrial",
    "TRIPLE": "TripleBlindedTrial",
    "PLACEBO_CONTROLLED": "PlaceboControlledTrial",
}
# ClinicalTrials.gov intervention types -> schema.org classes.
INTERVENTION_CLASSES = {
    "DRUG": "Drug",
    "BIOLOGICAL": "Drug",
    "PROCEDURE": "MedicalProcedure",
    "RADIATION": "MedicalTherapy",
    "DEVICE": "MedicalDevice",
    "BEHAVIORAL": "MedicalTherapy",
    "DIETARY_SUPPLEMENT": "DietarySupplement",
    "GENETIC": "MedicalTherapy",
}
