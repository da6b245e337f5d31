"""RIS (Research Information Systems) tagged files, as reference managers export them.

Each record runs from a `TY  - ` line to an `ER  - ` line; a line is a two-character
tag, two spaces, a hyphen, a space and the value. The file is read line by line and
each record's lines are handed to rispy's parser on their own, so memory stays
bounded however many records a file holds; lines outside records (numbering such as
`1.`, blank lines) are skipped as rispy skips them.

Only journal articles are published so far: `TY` JOUR, EJOUR (electronic article),
ABST (abstract) and INPR (in press). Any other type is rejected naming `TY`; note
that RIS `CASE` is a legal case (a court decision), not a case report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

import rispy
from rispy.config import TAG_KEY_MAPPING

from publisher.dates import make_partial_date, parse_partial_date
from publisher.identifiers import clean_doi, find_issns, find_pmcid, find_pmid
from publisher.languages import to_language_tag
from publisher.model import (
    Agent,
    PartialDate,
    Periodical,
    Person,
    ReadError,
    Record,
    Skipped,
    SourceRef,
    UnknownField,
)
from publisher.names import agent_from_name, person_from_parts
from publisher.readers.base import ReadItem, claim_source_id, set_pages
from publisher.readers.tagged import UNKNOWN, Entry, first, parser_options, read_tagged, values
from publisher.text import mentions_case_report, page_bounds, parse_pages, strip_markup

FORMAT_NAME = "ris"
ARTICLE_TYPES = {
    "JOUR": "journal article",
    "EJOUR": "electronic article",
    "ABST": "abstract",
    "INPR": "in press",
}
TYPE_NAMES = {"CASE": "a legal case (court decision)"}
TITLE_TAGS = ("TI", "T1")
AUTHOR_TAGS = ("AU", "A1")
CONTRIBUTOR_TAGS = ("A2", "A3", "A4", "ED")
JOURNAL_TAGS = ("JF", "T2", "JO")
ABBREVIATION_TAGS = ("JA", "J2", "J1")
DATE_TAGS = ("PY", "Y1", "DA")
ABSTRACT_TAGS = ("AB", "N2")
ID_TAGS = ("AN", "U1", "U2", "N1", "M2", "C2", "C7")  # where PMIDs and PMCIDs hide
# Read above or deliberately not published (attachments, access date, database, short title).
HANDLED = {
    "TY", "ER", *TITLE_TAGS, *AUTHOR_TAGS, *CONTRIBUTOR_TAGS, *JOURNAL_TAGS,
    *ABBREVIATION_TAGS, *DATE_TAGS, *ABSTRACT_TAGS, "SN", "VL", "IS", "CP", "SP", "EP",
    "DO", "UR", "KW", "LA", "ID", "AN", "M3", "L1", "L2", "L4", "Y2", "DB", "DP", "ST",
}  # fmt: skip
_TAG_LINE = re.compile(r"^[A-Z][A-Z0-9]  - ?")
# A record tag with the spaces misplaced (`TY -  BOOK`, seen in commonmeta's tests):
# still the start (or end) of a record, written back the standard way before parsing.
_LOOSE_RECORD_TAG = re.compile(rb"^(TY|ER) ?- ?(?= |\r?$)")
_DATE = re.compile(r"^(\d{4})(?:/(\d{0,2})(?:/(\d{0,2}))?)?(?:/.*)?$")


class RisReader:
    name = FORMAT_NAME
    description = "RIS tagged records (TY ... ER), journal articles"

    def sniff(self, head: bytes) -> bool:
        lines = head.decode("utf-8-sig", errors="ignore").splitlines()[:200]
        text = [standard_record_tag(line.encode()).decode() for line in lines]
        tags = [line for line in text if _TAG_LINE.match(line)]
        return len(tags) >= 2 and tags[0].startswith("TY  -")

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        parser = rispy.RisParser(**parser_options(list(TAG_KEY_MAPPING), ("TY", "ER")))
        lines = (standard_record_tag(line) for line in stream)
        yield from read_tagged(lines, path, parser, FORMAT_NAME, parse_entry)


def standard_record_tag(line: bytes) -> bytes:
    """`TY -  BOOK` -> `TY  - BOOK`: a start or end tag with its spaces misplaced is still
    one, so the record is read (and skipped or published) instead of lost."""
    match = _LOOSE_RECORD_TAG.match(line)
    if match is None or line.startswith((b"TY  -", b"ER  -")):
        return line
    return line[:2] + b"  - " + line[match.end() :].lstrip(b" ")


def parse_entry(entry: Entry, where: SourceRef, seen_ids: set[str]) -> ReadItem:
    """One record as rispy gives it (tag -> list of values) -> Record."""
    kind = str(entry.get("TY") or "").strip().upper()
    if kind not in ARTICLE_TYPES:
        what = TYPE_NAMES.get(kind, f"type {kind!r}" if kind else "no type")
        return Skipped(
            where,
            f"TY {kind or '(empty)'} is {what}, not a journal article: only articles are published",
            "TY",
        )
    title = first(entry, *TITLE_TAGS)
    if not title:
        return ReadError(where, "the record has no title (TI or T1)", "TI")
    record = Record(source=where, title=strip_markup(title))
    record.authors = _agents(values(entry, *AUTHOR_TAGS))
    record.contributors = _agents(values(entry, *CONTRIBUTOR_TAGS))
    _periodical(record, entry)
    record.volume = first(entry, "VL")
    record.issue = first(entry, "IS", "CP")
    pages = parse_pages(first(entry, "SP"))
    if (end := first(entry, "EP")) and not pages.end and not pages.pagination:
        pages = page_bounds(pages.start, end)  # `SP 377`, `EP 86`: pages 377-386
    set_pages(record, pages)
    record.date = _date(record, entry)
    _doi_and_links(record, entry)
    # A continuation line is a wrapped line of the same value: joined with a space.
    abstract = " ".join(values(entry, "AB")) or " ".join(values(entry, "N2"))
    record.abstract = strip_markup(abstract) or None
    for keyword in values(entry, "KW"):
        if keyword not in record.subjects:
            record.subjects.append(keyword)
    for value in values(entry, "LA"):
        for part in re.split(r"[;,]", value):
            if not part.strip():
                continue
            tag = to_language_tag(part)
            if tag is None:
                record.warnings.append(f"LA: unknown language {part.strip()!r} not published")
            elif tag not in record.languages:
                record.languages.append(tag)
    _hidden_ids(record, entry)
    # AN is the database's accession number; ID is the exporting library's own number.
    accession = first(entry, "AN")
    if accession:
        claim_source_id(record, accession, seen_ids, "AN")
    else:
        claim_source_id(record, first(entry, "ID"), seen_ids, "ID", local=True)
    if any(mentions_case_report(v) for v in [record.title, *values(entry, "M3")]):
        record.publication_types.append("Case Reports")
    _unknown(record, entry)
    return record


def _hidden_ids(record: Record, entry: Entry) -> None:
    """PMID and PMCID where exporters hide them: `U1 26957754[pmid]`, `AN PMC3654245`,
    `N1 PMID: ...` (a bare number is not taken for a PMID)."""
    for value in values(entry, *ID_TAGS):
        record.pmid = record.pmid or find_pmid(value)
        record.pmcid = record.pmcid or find_pmcid(value)


def _agents(names: list[str]) -> list[Agent]:
    """`Family, Given[, Suffix]` is a person; a name without a comma is kept whole, as
    an organization when `is_organization_name` says it is one ("SPRINT Research
    Group"), else as a person known by that name alone."""
    agents: list[Agent] = []
    for name in names:
        if "," in name:
            family, given, *suffix = (part.strip() for part in name.split(",", 2))
            person = person_from_parts(family, given)
            if suffix and suffix[0]:
                person = Person(f"{person.name} {suffix[0]}", person.family_name, person.given_name)
            agents.append(person)
        else:
            agents.append(agent_from_name(name))
    return agents


def _periodical(record: Record, entry: Entry) -> None:
    name = first(entry, *JOURNAL_TAGS)
    abbreviation = first(entry, *ABBREVIATION_TAGS)
    issns: list[str] = []
    for value in values(entry, "SN"):
        found = find_issns(value)
        if not found:
            record.warnings.append(f"SN: {value!r} is not an ISSN (an ISBN?): not published")
        issns.extend(issn for issn in found if issn not in issns)
    if not name and abbreviation:
        name, abbreviation = abbreviation, None
    if name:
        short = abbreviation if abbreviation and abbreviation != name else None
        record.periodical = Periodical(name, tuple(issns), short)
    elif issns:
        record.warnings.append(
            f"SN {', '.join(issns)} given without a journal title: not published"
        )


def _date(record: Record, entry: Entry) -> PartialDate | None:
    """PY/Y1 give the year (`2014///`); DA, when it agrees, may add month and day."""
    best: PartialDate | None = None
    for tag in DATE_TAGS:
        for value in values(entry, tag):
            date = parse_ris_date(value)
            if date is None:
                record.warnings.append(f"{tag}: {value!r} is not a date: not published")
            elif best is None or (date.year == best.year and _rank(date) > _rank(best)):
                best = date
    return best


def _rank(date: PartialDate) -> int:
    return (date.month is not None) + (date.day is not None)


def parse_ris_date(text: str) -> PartialDate | None:
    """`2014`, `2014///`, `2014/02/`, `2014/02/11/Spring` (RIS), or ISO `2014-02-11`."""
    match = _DATE.match(text.strip())
    if not match:
        return parse_partial_date(text)
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if month is None and day is not None:
        return None
    return make_partial_date(year, month, day)


def _doi_and_links(record: Record, entry: Entry) -> None:
    if doi := first(entry, "DO"):
        record.doi = clean_doi(doi)
    for value in values(entry, "UR"):
        for url in value.split():  # some exporters put several URLs on one line
            cleaned = clean_doi(url)
            if cleaned != url.strip() and url.lower().startswith(("http", "doi:")):
                record.doi = record.doi or cleaned
            elif url.lower().startswith(("http://", "https://")) and url not in record.links:
                record.links.append(url)


def _unknown(record: Record, entry: Entry) -> None:
    """Tags we do not publish are reported (notes are scanned for trial numbers)."""
    for tag, value in entry.items():
        if tag == UNKNOWN and isinstance(value, dict):
            for other, texts in value.items():
                if other and other not in HANDLED:
                    text = "\n".join(v for v in texts if isinstance(v, str) and v.strip())
                    record.unknown_fields.append(UnknownField(str(other), text))
        elif tag not in HANDLED:
            text = "\n".join(values(entry, tag))
            if text:
                record.unknown_fields.append(UnknownField(tag, text))
