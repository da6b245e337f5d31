"""Web of Science tagged export ("Plain text" / "Other file format"), read with rispy's
WoS parser one record at a time (see `publisher.readers.tagged`).

A file starts `FN Clarivate Analytics Web of Science` and `VR 1.0`; each record runs
from `PT` to `ER`, the file ends with `EF`. A tag is two characters and a space;
continuation lines start with three spaces (one author, address or reference a line).

Only journal records (`PT J`) are published so far; books, series, patents and
conference records are rejected naming `PT`. The document type (`DT`: Article, Review,
Letter...) is kept as the record's format words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from rispy import WokParser
from rispy.config import WOK_TAG_KEY_MAPPING

from publisher.dates import make_partial_date, month_number
from publisher.identifiers import (
    clean_doi,
    clean_orcid,
    find_issns,
    find_pmid,
    orcid_checksum_ok,
)
from publisher.languages import to_language_tag
from publisher.model import (
    Agent,
    Funding,
    Organization,
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
from publisher.readers.tagged import Entry, first, parser_options, read_tagged, values
from publisher.text import Pages, mentions_case_report, page_bounds, parse_pages

FORMAT_NAME = "wos-tagged"
PUBLICATION_TYPES = {"J": "journal", "B": "book", "S": "book in series", "P": "patent"}
# Read below; or bibliometrics (citation and usage counts, cited references, subject
# categories), the reprint address and e-mails, and delivery numbers: not published.
HANDLED = {
    "PT", "ER", "AU", "AF", "CA", "TI", "SO", "JI", "J9", "LA", "DT", "DE", "ID", "AB",
    "C1", "OI", "FU", "SN", "EI", "PD", "PY", "VL", "IS", "BP", "EP", "AR", "DI", "PM", "PS",
    "UT", "RP", "EM", "RI", "CR", "NR", "TC", "Z9", "U1", "U2", "PU", "PI", "PA", "PG",
    "WC", "SC", "GA", "DA", "OA", "HC", "HP", "EA", "EY", "FN", "VR", "EF",
}  # fmt: skip
_HEADER = re.compile(r"^(?:FN [^\n]*\n(?:VR [^\n]*\n)?\s*)?PT [A-Z]\s*\n[A-Z][A-Z0-9] ")
_AFFILIATION = re.compile(r"^\[(?P<names>[^\]]*)\]\s*(?P<place>.+)$")
_FUNDER = re.compile(r"^(?P<name>[^\[]+?)\s*(?:\[(?P<awards>[^\]]*)\])?$")


class WosReader:
    name = FORMAT_NAME
    description = "Web of Science tagged export (FN/VR header, PT ... ER records)"

    def sniff(self, head: bytes) -> bool:
        text = head.decode("utf-8-sig", errors="ignore").replace("\r\n", "\n").lstrip()
        return bool(_HEADER.match(text))

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        parser = WokParser(**parser_options(list(WOK_TAG_KEY_MAPPING), ("PT", "ER")))
        yield from read_tagged(stream, path, parser, FORMAT_NAME, parse_entry)


def _joined(entry: Entry, tag: str) -> str:
    """A value wrapped over continuation lines, joined with spaces."""
    return " ".join(values(entry, tag))


def parse_entry(entry: Entry, where: SourceRef, seen_ids: set[str]) -> ReadItem:
    """One WoS record (tag -> list of lines) -> Record."""
    kind = str(entry.get("PT") or "").strip().upper()
    if kind != "J":
        what = PUBLICATION_TYPES.get(kind, f"type {kind!r}")
        message = f"PT {kind or '(empty)'} is a {what} record, not a journal article"
        return Skipped(where, f"{message}: only articles are published", "PT")
    title = _joined(entry, "TI")
    if not title:
        return ReadError(where, "the record has no title (TI)", "TI")
    record = Record(source=where, title=title)
    record.formats = [t.strip() for t in _joined(entry, "DT").split(";") if t.strip()]
    record.authors = _authors(record, entry)
    _periodical(record, entry)
    record.volume = first(entry, "VL")
    record.issue = first(entry, "IS")
    set_pages(record, _pages(entry))
    record.date = _date(record, entry)
    if doi := first(entry, "DI"):
        record.doi = clean_doi(doi)
    # MEDLINE records say their PMID in UT (`MEDLINE:16735938`) when PM is missing.
    record.pmid = first(entry, "PM") or find_pmid(first(entry, "UT"))
    record.abstract = _joined(entry, "AB") or None
    for language in _joined(entry, "LA").split(";"):
        if language.strip():
            tag = to_language_tag(language)
            if tag is None:
                record.warnings.append(f"LA: unknown language {language.strip()!r} not published")
            elif tag not in record.languages:
                record.languages.append(tag)
    for keyword in [*_joined(entry, "DE").split(";"), *_joined(entry, "ID").split(";")]:
        if keyword.strip() and keyword.strip() not in record.subjects:
            record.subjects.append(keyword.strip())
    record.funding = _funding(_joined(entry, "FU"))
    claim_source_id(record, first(entry, "UT"), seen_ids, "UT")
    if any(mentions_case_report(text) for text in [record.title, *record.formats]):
        record.publication_types.append("Case Reports")
    for tag, value in entry.items():
        if tag not in HANDLED and isinstance(value, list) and (text := " ".join(value).strip()):
            record.unknown_fields.append(UnknownField(tag, text))
        elif isinstance(value, dict):  # tags rispy does not know
            for other, lines in value.items():
                if other and other not in HANDLED and (text := " ".join(lines).strip()):
                    record.unknown_fields.append(UnknownField(str(other), text))
    return record


def _authors(record: Record, entry: Entry) -> list[Agent]:
    """Full names (AF) where given, else the short ones (AU); group authors (CA) after.
    ORCID iDs (OI `Name/iD;`) and bracketed addresses (C1 `[Name; Name] Place`) are
    matched to the authors by name."""
    names = _names(entry, "AF") or _names(entry, "AU")
    short = _names(entry, "AU")
    orcids = _by_name(_joined(entry, "OI"), record)
    places: dict[str, list[str]] = {}
    for line in values(entry, "C1"):
        if match := _AFFILIATION.match(line):
            for name in match.group("names").split(";"):
                places.setdefault(_key(name), []).append(match.group("place").strip())
        else:
            record.unknown_fields.append(UnknownField("C1", line))  # not tied to an author
    agents: list[Agent] = []
    for index, name in enumerate(names):
        family, comma, given = name.partition(",")  # WoS writes every name inverted
        if not comma and isinstance(agent := agent_from_name(name), Organization):
            agents.append(agent)  # a group name among the authors, in its place
            continue
        person = person_from_parts(family, given) if comma else Person(" ".join(name.split()))
        keys = {_key(name), _key(short[index]) if index < len(short) else ""}
        orcid = next((orcids[k] for k in keys if k in orcids), None)
        found = tuple(dict.fromkeys(p for k in keys for p in places.get(k, [])))
        agents.append(Person(person.name, person.family_name, person.given_name, orcid, found))
    agents.extend(Organization(name) for name in values(entry, "CA"))
    return agents


def _pages(entry: Entry) -> Pages:
    """BP/EP (first, last page), else AR (article number), else PS (the page text of
    MEDLINE-sourced records, abbreviated as MEDLINE writes it: `411-22`)."""
    if first(entry, "BP"):
        return page_bounds(first(entry, "BP"), first(entry, "EP"))
    if article := first(entry, "AR"):
        return Pages(article)
    return parse_pages(first(entry, "PS"))


def _names(entry: Entry, tag: str) -> list[str]:
    """One name a line; exports made from MEDLINE put several on one line, separated by
    `;` (`AU Joffe, Hadine; Hall, Janet E; ...`)."""
    return [n.strip() for line in values(entry, tag) for n in line.split(";") if n.strip()]


def _key(name: str) -> str:
    return " ".join(name.replace(".", " ").split()).casefold()


def _by_name(text: str, record: Record) -> dict[str, str]:
    """`Law, Christopher/0000-0002-1825-0097; ...` -> name key -> checked iD."""
    found: dict[str, str] = {}
    for part in text.split(";"):
        name, _, raw = part.rpartition("/")
        if not name.strip() or not raw.strip():
            continue
        orcid = clean_orcid(raw)
        if orcid and orcid_checksum_ok(orcid):
            found[_key(name)] = orcid
        else:
            record.warnings.append(
                f"OI: ORCID {raw.strip()!r} of {name.strip()} fails its checksum"
            )
    return found


def _periodical(record: Record, entry: Entry) -> None:
    name = _joined(entry, "SO")
    short = first(entry, "JI")
    issns = [*find_issns(first(entry, "SN")), *find_issns(first(entry, "EI"))]
    if name:
        abbreviation = short if short and short != name else None
        record.periodical = Periodical(name, tuple(dict.fromkeys(issns)), abbreviation)


def _date(record: Record, entry: Entry) -> PartialDate | None:
    """PY the year; PD `JUN 8`, `JUN`, `2004 JUN 8` or a season (year only)."""
    year_text = first(entry, "PY")
    if not year_text or not year_text.isdigit():
        return None
    words = [w for w in (first(entry, "PD") or "").split() if w != year_text]
    month = month_number(words[0]) if words else None
    day = int(words[1]) if month and len(words) > 1 and words[1].isdigit() else None
    date = make_partial_date(int(year_text), month, day)
    if date is None:
        record.warnings.append(
            f"PD: {first(entry, 'PD')!r} is not a date: only the year is published"
        )
        date = make_partial_date(int(year_text))
    return date


def _funding(text: str) -> list[Funding]:
    """`NIGMS NIH HHS [GM-52002]; NIDDK NIH HHS [DK035090, DK0001]` -> funders, awards."""
    funding: list[Funding] = []
    for part in re.split(r";\s*(?![^\[]*\])", text):
        match = _FUNDER.match(part.strip())
        if not match or not match.group("name").strip():
            continue
        awards = tuple(a.strip() for a in (match.group("awards") or "").split(",") if a.strip())
        funding.append(Funding(Organization(match.group("name").strip()), awards))
    return funding
