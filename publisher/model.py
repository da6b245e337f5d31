"""Typed records: the values that cross from the readers to the mapper.

A reader turns one source record into a `Record` and knows nothing of RDF; the mapper
turns a `Record` into triples and knows nothing of source formats. Values stay as the
source gave them (a DOI with bad syntax is kept, not dropped) so that validation can
name the field at fault instead of the data silently disappearing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True)
class SourceRef:
    """Where a record came from: shown in every report line about it."""

    path: str
    position: int  # 1-based number of the record within its file
    line: int | None = None  # 1-based line where the record starts, for text formats
    format: str = ""

    def describe(self) -> str:
        where = f"{self.path} record {self.position}"
        return f"{where} (line {self.line})" if self.line else where


@dataclass(frozen=True)
class Person:
    """A person named as an author; `name` is the display form ("Given Family")."""

    name: str
    family_name: str | None = None
    given_name: str | None = None
    orcid: str | None = None  # bare iD, 0000-0002-1825-0097; checksum checked by the reader
    affiliations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Organization:
    """A corporate body (a collective author, a sponsor, a funder): never a Person."""

    name: str
    same_as: tuple[str, ...] = ()  # e.g. the Crossref Funder Registry DOI URL


Agent = Person | Organization


@dataclass(frozen=True)
class Periodical:
    name: str
    issns: tuple[str, ...] = ()
    abbreviation: str | None = None  # ISO abbreviation (PubMed's ISOAbbreviation)


class DatePrecision(Enum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True)
class PartialDate:
    """A date as precise as the source: 2021, 2021-08 or 2021-08-15."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> DatePrecision:
        if self.day is not None:
            return DatePrecision.DAY
        if self.month is not None:
            return DatePrecision.MONTH
        return DatePrecision.YEAR

    def isoformat(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text


@dataclass(frozen=True)
class TrialId:
    """A clinical-trial registration number and the registry that issued it."""

    registry: str  # key of publisher.identifiers.TRIAL_REGISTRIES, e.g. "nct"
    value: str


@dataclass(frozen=True)
class SubjectTerm:
    """A heading from a controlled vocabulary (MeSH): published as a schema:DefinedTerm."""

    name: str
    identifier: str | None = None  # e.g. MeSH descriptor UI "D009369"
    vocabulary: str = "MeSH"


@dataclass(frozen=True)
class Funding:
    """A funder and the award numbers it gave (Crossref `funder`)."""

    funder: Organization
    awards: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnknownField:
    """A labelled field the reader does not understand: reported, never dropped silently."""

    label: str
    value: str


@dataclass
class Record:
    """One bibliographic record, as read from its source, before any RDF exists."""

    source: SourceRef
    title: str | None = None
    abstract: str | None = None
    # BCP 47 tag of the abstract when the source states it apart from the article's own
    # languages (MEDLINE's <Abstract> is English whatever the article's language); None:
    # the abstract is in the article's (first) language.
    abstract_language: str | None = None
    languages: list[str] = field(default_factory=list)  # BCP 47 tags
    authors: list[Agent] = field(default_factory=list)  # in the source's order
    contributors: list[Agent] = field(default_factory=list)
    periodical: Periodical | None = None
    volume: str | None = None
    issue: str | None = None
    page_start: str | None = None
    page_end: str | None = None
    # The source's page text when it says more than one first-last range or does not
    # split (`1787-8; discussion 1791`): published as schema:pagination.
    pagination: str | None = None
    date: PartialDate | None = None
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None  # PubMed Central id, `PMC3654245`
    source_id: str | None = None  # the record's id in its source (MARC 001, OAI id, PMID)
    source_id_local: bool = False  # source_id is unique only within its file (BibTeX key)
    subjects: list[str] = field(default_factory=list)
    subject_terms: list[SubjectTerm] = field(default_factory=list)
    funding: list[Funding] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)  # the source's own words ("Artikel")
    trials: list[TrialId] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    unknown_fields: list[UnknownField] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Intervention:
    name: str
    kind: str | None = None  # the registry's type word: DRUG, BIOLOGICAL, PROCEDURE, ...
    other_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    """A publication a trial registry record cites; joined to the article by DOI or PMID."""

    citation: str | None = None
    doi: str | None = None
    pmid: str | None = None
    kind: str | None = None  # RESULT, BACKGROUND, DERIVED


@dataclass
class TrialRecord:
    """One clinical-trial registry record (ClinicalTrials.gov API v2 study)."""

    source: SourceRef
    trial: TrialId
    title: str | None = None  # brief title
    official_title: str | None = None
    summary: str | None = None
    status: str | None = None
    start_date: PartialDate | None = None
    completion_date: PartialDate | None = None
    phases: list[str] = field(default_factory=list)
    study_type: str | None = None
    design: list[str] = field(default_factory=list)  # allocation, masking, model, purpose
    conditions: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    interventions: list[Intervention] = field(default_factory=list)
    sponsor: Organization | None = None
    collaborators: list[Organization] = field(default_factory=list)
    enrollment: int | None = None
    secondary_ids: list[TrialId] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    unknown_fields: list[UnknownField] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def display_title(self) -> str | None:
        return self.title or self.official_title


AnyRecord = Record | TrialRecord


@dataclass(frozen=True)
class ReadNotice:
    """Something a person should know about a file that is not a record's problem
    (an OAI-PMH resumptionToken: the harvest has more pages)."""

    source: SourceRef
    message: str


@dataclass(frozen=True)
class Skipped:
    """A record read whole that is not for publishing here: a book, a serial, a picture,
    a placeholder (Crossref's deleted-DOI listings, a record whose title is its own
    identifier). Not invalid, so counted apart from rejections: skipped records alone do
    not make an ingest fail. `message` says what the record is."""

    source: SourceRef
    message: str
    field: str | None = None


@dataclass(frozen=True)
class ReadError:
    """A record (or a whole file) that could not be read at all; counted as rejected."""

    source: SourceRef
    message: str
    field: str | None = None
