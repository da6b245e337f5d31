"""VuFind record pages copied as plain text, with German or English labels.

A page looks like this (the founding example, shortened)::

    Successful Treatment of ... : A Case Report          <- title
                                                          <- blank
    In recent decades, survival was ...                  <- teaser (truncated abstract)
    Ausführliche Beschreibung                             <- user-interface text
    Gespeichert in:
    Bibliographische Detailangaben                        <- start of the record body
    Veröffentlicht in:Frontiers in oncology 2021-08, Vol.11
    Hauptverfasser: Htun, Kyaw Thu, Gong, Qiang, ...
    ISSN:2234-943X
    2234-943X                                             <- continues the field above
    DOI:10.3389/fonc.2021.699946

Several pages may follow one another in one file. The rule: the first non-blank line
of the file is a title (unless it is the teaser, the paragraph right before the
"Full description" link: then the page has no title); after a record body has begun,
a non-blank line starts a new record when it (a) follows a blank line, (b) is not a
field line (a known `Label:`) nor user-interface text, (c) is followed by a blank
line or a user-interface line, and (d) has a field line somewhere after it.
Everything from one title to the next is one record. Inside a body, a line without
a known label continues the field above.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import IO

from publisher.dates import parse_partial_date
from publisher.identifiers import clean_doi, clean_issn
from publisher.languages import to_bcp47
from publisher.model import (
    Agent,
    Organization,
    Periodical,
    ReadError,
    Record,
    Skipped,
    SourceRef,
    UnknownField,
)
from publisher.names import split_inverted_name_list
from publisher.readers.base import ReadItem, decode_text, first_undecodable, set_pages
from publisher.text import mentions_case_report, page_bounds

FORMAT_NAME = "vufind-text"


class Field(Enum):
    PUBLISHED_IN = auto()
    MAIN_AUTHORS = auto()
    OTHER_AUTHORS = auto()
    CORPORATE = auto()
    FORMAT = auto()
    LANGUAGE = auto()
    SUBJECTS = auto()
    SUMMARY = auto()
    ISSN = auto()
    DOI = auto()
    ONLINE_ACCESS = auto()
    TAGS = auto()
    NOTES = auto()


# VuFind's own labels (de.ini / en.ini), see shared/samples/vufind/record_labels_de_en.csv.
LABELS: dict[str, Field] = {
    "Veröffentlicht in": Field.PUBLISHED_IN,
    "Published in": Field.PUBLISHED_IN,
    "Hauptverfasser": Field.MAIN_AUTHORS,
    "Main Authors": Field.MAIN_AUTHORS,
    "1. Verfasser": Field.MAIN_AUTHORS,
    "Main Author": Field.MAIN_AUTHORS,
    "Verfasser": Field.MAIN_AUTHORS,
    "Author": Field.MAIN_AUTHORS,
    "Authors": Field.MAIN_AUTHORS,
    "Autoren": Field.MAIN_AUTHORS,
    "Weitere Verfasser": Field.OTHER_AUTHORS,
    "Other Authors": Field.OTHER_AUTHORS,
    "Contributors": Field.OTHER_AUTHORS,
    "Körperschaft": Field.CORPORATE,
    "Körperschaften": Field.CORPORATE,
    "Corporate Author": Field.CORPORATE,
    "Corporate Authors": Field.CORPORATE,
    "Format": Field.FORMAT,
    "Sprache": Field.LANGUAGE,
    "Language": Field.LANGUAGE,
    "Schlagworte": Field.SUBJECTS,
    "Subjects": Field.SUBJECTS,
    "Zusammenfassung": Field.SUMMARY,
    "Summary": Field.SUMMARY,
    "ISSN": Field.ISSN,
    "DOI": Field.DOI,
    "Online-Zugang": Field.ONLINE_ACCESS,
    "Online Access": Field.ONLINE_ACCESS,
    "Tags": Field.TAGS,
    "Anmerkungen": Field.NOTES,
    "Notes": Field.NOTES,
}
FULL_DESCRIPTION_LINKS = {"Ausführliche Beschreibung", "Full description"}
# Lines that are the page's furniture, not data (exact, whole line).
UI_LINES = {
    *FULL_DESCRIPTION_LINKS,
    "Gespeichert in:",
    "Saved in:",
    "Beschreibung",
    "Description",
    "Keine Tags, Fügen Sie den ersten Tag hinzu!",
    "No Tags, Be the first to tag this record!",
    "Internformat",
    "Staff View",
    "Exemplare",
    "Holdings",
    "Ähnliche Einträge",
    "Similar Items",
}
BODY_CAPTIONS = {"Bibliographische Detailangaben", "Bibliographic Details"}
ONLINE_LINK_TEXTS = {"volltext", "full text"}
ARTICLE_FORMATS = {
    "artikel",
    "article",
    "aufsatz",
    "elektronischer aufsatz",
    "e-article",
    "journal article",
    "zeitschriftenartikel",
    "fallbericht",
    "case report",
    "case reports",
}
PROSE_FIELDS = {Field.SUMMARY, Field.NOTES}

_KNOWN_LABEL = re.compile(
    r"^(?P<label>"
    + "|".join(re.escape(k) for k in sorted(LABELS, key=len, reverse=True))
    + r")\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_LABEL_BY_LOWER = {k.lower(): v for k, v in LABELS.items()}
# A short capitalised phrase and a colon: a field VuFind shows that we do not map.
_OTHER_LABEL = re.compile(r"^(?P<label>[A-ZÄÖÜ][\w\- ./()äöüßÄÖÜ]{0,38}?)\s*:\s*(?P<value>.*)$")


class LineKind(Enum):
    BLANK = auto()
    FIELD = auto()
    CAPTION = auto()
    UI = auto()
    TEXT = auto()


def classify(line: str) -> LineKind:
    stripped = line.strip()
    if not stripped:
        return LineKind.BLANK
    if stripped in BODY_CAPTIONS:
        return LineKind.CAPTION
    if stripped in UI_LINES:
        return LineKind.UI
    if _KNOWN_LABEL.match(stripped):
        return LineKind.FIELD
    return LineKind.TEXT


class VufindTextReader:
    name = FORMAT_NAME
    description = "VuFind record page copied as text (German or English labels)"

    def sniff(self, head: bytes) -> bool:
        try:
            text = head.decode("utf-8-sig", errors="strict")
        except UnicodeDecodeError:
            # The head may cut a multi-byte character in half.
            text = head[:-3].decode("utf-8-sig", errors="ignore")
        kinds = [classify(line) for line in text.splitlines()]
        return LineKind.FIELD in kinds and (
            LineKind.CAPTION in kinds or kinds.count(LineKind.FIELD) >= 2
        )

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        # Record pages are small text files: read whole, then split into pages. Bytes
        # that are not UTF-8 (a Latin-1 page pasted in) cost only the page holding them.
        text = decode_text(stream.read(), path, FORMAT_NAME, errors="surrogateescape")
        if isinstance(text, ReadError):
            yield text
            return
        lines = text.splitlines()
        starts = record_starts(lines)
        if not starts:
            yield ReadError(
                SourceRef(path, 1, format=FORMAT_NAME), "the file holds no record (it is empty)"
            )
            return
        for position, (start, end) in enumerate(
            zip(starts, [*starts[1:], len(lines)], strict=True), 1
        ):
            source = SourceRef(path, position, start + 1, FORMAT_NAME)
            page = lines[start:end]
            bad = first_undecodable(page)
            yield parse_page(page, source) if bad is None else _not_utf8(page, source, *bad)


def record_starts(lines: list[str]) -> list[int]:
    """Indexes of the title lines, by the rule in the module docstring."""
    kinds = [classify(line) for line in lines]
    field_after = [False] * (len(lines) + 1)
    for i in range(len(lines) - 1, -1, -1):
        field_after[i] = field_after[i + 1] or kinds[i] is LineKind.FIELD
    starts: list[int] = []
    in_body = False
    for i, kind in enumerate(kinds):
        if kind is LineKind.BLANK:
            continue
        if not starts:
            starts.append(i)
            in_body = kind in (LineKind.FIELD, LineKind.CAPTION)
            continue
        if kind in (LineKind.FIELD, LineKind.CAPTION):
            in_body = True
        elif (
            in_body
            and kind is LineKind.TEXT
            and kinds[i - 1] is LineKind.BLANK
            and (
                i + 1 == len(lines)
                or kinds[i + 1] in (LineKind.BLANK, LineKind.UI, LineKind.CAPTION)
            )
            and field_after[i + 1]
        ):
            starts.append(i)
            in_body = False
    return starts


@dataclass
class _RawField:
    label: str
    kind: Field | None
    values: list[str] = field(default_factory=list)


def parse_page(lines: list[str], source: SourceRef) -> Record | ReadError | Skipped:
    """One page's lines -> Record; problems become warnings or kept unknown fields.

    A page of another format (a book, a journal) is a ReadError: publishing it as an
    article would be wrong, and other formats have no mapping yet.
    """
    record = Record(source=source)
    first = lines[0].strip()
    body_from = 0
    if classify(first) is LineKind.TEXT and not _is_teaser(lines, 0):
        record.title = first
        body_from = 1
    teaser: list[str] = []
    fields: list[_RawField] = []
    in_body = False
    for raw in lines[body_from:]:
        line = raw.strip()
        kind = classify(line)
        if kind in (LineKind.BLANK, LineKind.UI):
            continue
        if kind is LineKind.CAPTION:
            in_body = True
            continue
        known = _KNOWN_LABEL.match(line)
        if known:
            in_body = True
            label = known.group("label")
            fields.append(
                _RawField(label, _LABEL_BY_LOWER[label.lower()], [known.group("value").strip()])
            )
            continue
        if not in_body:
            teaser.append(line)
            continue
        other = _OTHER_LABEL.match(line)
        previous = fields[-1].kind if fields else None
        if other and previous not in PROSE_FIELDS and len(other.group("label").split()) <= 4:
            fields.append(_RawField(other.group("label"), None, [other.group("value").strip()]))
        elif fields:
            fields[-1].values.append(line)
    for raw_field in fields:
        _apply_field(record, raw_field)
    _finish(record, teaser)
    others = [f for f in record.formats if f.lower() not in ARTICLE_FORMATS]
    if others:
        message = f"format {', '.join(others)!r} is not an article: only articles are published"
        return Skipped(source, message, field="Format")
    return record


def _not_utf8(page: list[str], source: SourceRef, index: int, column: int) -> ReadError:
    """The page holds a byte that is not UTF-8: name its line, column and field."""
    line = (source.line or 1) + index
    raw = page[index].encode("utf-8", "surrogateescape")
    # The label itself may be the Latin-1 part ("Veröffentlicht in"), or only the value.
    readings = (raw.decode("latin-1"), raw.decode("utf-8", "replace"))
    labels = [m.group("label") for text in readings if (m := _KNOWN_LABEL.match(text.strip()))]
    where = labels[0] if labels else ("title" if index == 0 else None)
    message = f"line {line} is not UTF-8 text (bad byte at column {column}; Latin-1?)"
    return ReadError(source, message, field=where)


def _is_teaser(lines: list[str], index: int) -> bool:
    """The teaser is the one paragraph followed by the "Full description" link."""
    following = (line.strip() for line in lines[index + 1 :])
    next_line = next((line for line in following if line), "")
    return next_line in FULL_DESCRIPTION_LINKS


def _apply_field(record: Record, raw: _RawField) -> None:
    values = [v for v in raw.values if v]
    joined = " ".join(values)
    match raw.kind:
        case None:
            record.unknown_fields.append(UnknownField(raw.label, "\n".join(values)))
        case Field.PUBLISHED_IN:
            _apply_published_in(record, joined)
        case Field.MAIN_AUTHORS | Field.OTHER_AUTHORS:
            people, warnings = split_inverted_name_list(joined)
            agents: list[Agent] = list(people)
            (record.authors if raw.kind is Field.MAIN_AUTHORS else record.contributors).extend(
                agents
            )
            record.warnings.extend(f"{raw.label}: {w}" for w in warnings)
        case Field.CORPORATE:
            record.authors.extend(Organization(v) for v in _split_list(values, ";"))
        case Field.FORMAT:
            _apply_format(record, joined)
        case Field.LANGUAGE:
            for value in _split_list(values, ";,"):
                tag = to_bcp47(value)
                if tag is None:
                    record.warnings.append(f"{raw.label}: unknown language {value!r} not published")
                elif tag not in record.languages:
                    record.languages.append(tag)
        case Field.SUBJECTS:
            for heading in _split_list(values, ";"):
                if heading not in record.subjects:
                    record.subjects.append(heading)
        case Field.SUMMARY:
            record.abstract = "\n".join(values) or None
        case Field.ISSN:
            issns = [clean_issn(v) for v in _split_list(values, ";,")]
            _add_issns(record, issns)
        case Field.DOI:
            if joined:
                record.doi = clean_doi(joined)
        case Field.ONLINE_ACCESS:
            record.links.extend(v for v in values if v.lower().startswith(("http://", "https://")))
        case Field.TAGS:
            pass  # user tags are page furniture ("Tag hinzufügen"), not bibliographic data
        case Field.NOTES:
            record.unknown_fields.append(UnknownField(raw.label, "\n".join(values)))


def _split_list(values: list[str], separators: str) -> list[str]:
    pattern = "[" + re.escape(separators) + "]"
    return [part.strip() for value in values for part in re.split(pattern, value) if part.strip()]


_PUBLISHED_IN = re.compile(
    r"^(?P<journal>.*?)(?:\s+(?P<date>\d{4}(?:-\d{1,2}){0,2}))?\s*"
    r"(?:,\s*(?P<rest>(?:Vol|Jg|Bd|pp?|S|No|Nr|\()[^\n]*))?$",
    re.IGNORECASE,
)
_VOLUME = re.compile(r"(?:Vol|Jg|Bd)\.?\s*([^\s,(]+)", re.IGNORECASE)
_ISSUE = re.compile(r"\(([^)]+)\)")
_PAGES = re.compile(
    r"(?:^|[\s,])(?:pp?|S)\.?\s*([^\s,\-\u2013]+)(?:\s*[-\u2013]\s*([^\s,]+))?", re.IGNORECASE
)


def _apply_published_in(record: Record, value: str) -> None:
    """`Frontiers in oncology 2021-08, Vol.11 (5), p.439-448` -> journal, date, volume, ..."""
    match = _PUBLISHED_IN.match(value)
    if not match or not match.group("journal").strip():
        record.warnings.append(f"Published in: could not read {value!r}")
        return
    name = match.group("journal").strip().rstrip(",")
    issns = record.periodical.issns if record.periodical else ()
    record.periodical = Periodical(name, issns)
    if match.group("date"):
        date = parse_partial_date(match.group("date"))
        if date is None:
            record.warnings.append(f"Published in: {match.group('date')!r} is not a date")
        record.date = date
    rest = match.group("rest") or ""
    if volume := _VOLUME.search(rest):
        record.volume = volume.group(1)
    if issue := _ISSUE.search(rest):
        record.issue = issue.group(1).strip()
    if pages := _PAGES.search(rest):
        set_pages(record, page_bounds(pages.group(1), pages.group(2)))


def _add_issns(record: Record, issns: list[str]) -> None:
    current = record.periodical or Periodical("")
    merged = tuple(dict.fromkeys([*current.issns, *issns]))
    record.periodical = Periodical(current.name, merged)


def _apply_format(record: Record, value: str) -> None:
    formats = _split_list([value], ";,")
    record.formats.extend(formats)
    if (
        any(mentions_case_report(f) for f in formats)
        and "Case Reports" not in record.publication_types
    ):
        record.publication_types.append("Case Reports")


def _finish(record: Record, teaser: list[str]) -> None:
    """Decisions that need the whole page: teaser, journal without title, case reports."""
    if record.abstract is None and teaser:
        text = " ".join(teaser)
        if text.endswith(("...", "…")):
            record.warnings.append("only a truncated teaser, no Summary: no abstract published")
        else:
            record.abstract = text
    if record.periodical is not None and not record.periodical.name:
        issns = ", ".join(record.periodical.issns)
        record.warnings.append(f"ISSN {issns} given without a journal title: not published")
        record.periodical = None
    if mentions_case_report(record.title) and "Case Reports" not in record.publication_types:
        record.publication_types.append("Case Reports")
