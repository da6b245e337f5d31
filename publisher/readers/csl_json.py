"""CSL-JSON (citeproc JSON): one item object, or an array of items (Zotero, pandoc,
citation.js, `application/vnd.citationstyles.csl+json` from doi.org).

An array is read with ijson one item at a time, so memory stays bounded however many
items it holds. Only `article-journal` items are published so far; any other `type` is
rejected naming `type`. Item fields follow the CSL 1.0.2 schema
(https://github.com/citation-style-language/schema/blob/master/schemas/input/csl-data.json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

from publisher.dates import from_date_parts, parse_partial_date
from publisher.identifiers import (
    clean_doi,
    clean_orcid,
    clean_pmcid,
    find_issns,
    find_pmcid,
    orcid_checksum_ok,
)
from publisher.languages import to_language_tag
from publisher.model import (
    Agent,
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
from publisher.names import person_from_parts
from publisher.readers.base import ReadItem, Utf8Repair, claim_source_id, set_pages
from publisher.readers.crossref import is_crossref_work_shape
from publisher.readers.json_stream import (
    JsonBroken,
    JsonItem,
    JsonRest,
    JsonShape,
    first_replaced,
    json_shape,
    stream_items,
    text_value,
)
from publisher.text import mentions_case_report, parse_pages, strip_markup

FORMAT_NAME = "csl-json"
ARTICLE_TYPES = {"article-journal"}
# The CSL 1.0.2 item types: how a CSL item is recognised (Crossref says "journal-article").
CSL_TYPES = {
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book",
    "broadcast", "chapter", "classic", "collection", "dataset", "document", "entry",
    "entry-dictionary", "entry-encyclopedia", "event", "figure", "graphic", "hearing",
    "interview", "legal_case", "legislation", "manuscript", "map", "motion_picture",
    "musical_score", "pamphlet", "paper-conference", "patent", "performance", "periodical",
    "personal_communication", "post", "post-weblog", "regulation", "report", "review",
    "review-book", "software", "song", "speech", "standard", "thesis", "treaty", "webpage",
}  # fmt: skip
NOT_CSL_KEYS = {"@context", "@type", "protocolSection", "leader", "fields", "message-type"}
BIBLIOGRAPHIC_KEYS = {"title", "author", "issued", "container-title", "DOI"}
# Fields read below, or deliberately not published (access date, archive location...).
HANDLED = {
    "id", "type", "title", "author", "editor", "container-title", "container-title-short",
    "journalAbbreviation", "ISSN", "volume", "issue", "page", "page-first", "issued", "DOI",
    "URL", "abstract", "language", "keyword", "categories", "PMID", "accessed", "source",
    "title-short", "shortTitle", "license", "publisher", "publisher-place", "citation-key",
    "archive", "archive_location", "call-number", "translator", "collection-title",
}  # fmt: skip
_NOTE_PMID = re.compile(r"^\s*PMID:\s*(\d+)\s*$", re.MULTILINE)
_NOTE_PMCID = re.compile(r"^\s*PMCID:\s*PMC\d+\s*$", re.MULTILINE)


def is_csl_item_shape(shape: JsonShape, prefix: str) -> bool:
    """The object at `prefix` ("" or "item") has a CSL type and bibliographic keys."""
    keys = shape.keys_at(prefix)
    kind = shape.strings.get(f"{prefix}.type" if prefix else "type")
    return (
        kind in CSL_TYPES
        and bool(keys & BIBLIOGRAPHIC_KEYS)
        and not keys & NOT_CSL_KEYS
        and not is_crossref_work_shape(shape, prefix)
    )


class CslJsonReader:
    name = FORMAT_NAME
    description = "CSL-JSON (citeproc) item or array of items, article-journal"

    def sniff(self, head: bytes) -> bool:
        shape = json_shape(head)
        if shape is None:
            return False
        return is_csl_item_shape(shape, "item" if shape.top == "array" else "")

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        repair = Utf8Repair(stream)
        seen_ids: set[str] = set()
        for event in stream_items(repair, ()):
            if isinstance(event, JsonItem):
                where = SourceRef(path, event.position, None, FORMAT_NAME)
                yield _item(event.value, where, repair, seen_ids)
            elif isinstance(event, JsonBroken):
                where = SourceRef(path, event.items + 1, None, FORMAT_NAME)
                after = f" after item {event.items}" if event.items else ""
                yield ReadError(where, f"{event.message}{after}")
            elif isinstance(event, JsonRest):
                yield from _rest(event, path, repair, seen_ids)


def _rest(event: JsonRest, path: str, repair: Utf8Repair, seen: set[str]) -> Iterator[ReadItem]:
    where = SourceRef(path, 1, None, FORMAT_NAME)
    if event.top == "object":
        yield _item(event.value, where, repair, seen)
    elif event.items == 0:
        yield ReadError(where, "the CSL-JSON array holds no item")


def _item(value: Any, where: SourceRef, repair: Utf8Repair, seen: set[str]) -> ReadItem:
    if repair.replaced and (bad := first_replaced(value)) is not None:
        return ReadError(where, f"{bad} holds bytes that are not UTF-8 (Latin-1?)", bad)
    if not isinstance(value, dict):
        return ReadError(where, f"a CSL item is a JSON object, not {json.dumps(value)[:40]}")
    try:
        return parse_item(value, where, seen)
    except Exception as error:  # an item we cannot read must not stop the file
        return ReadError(where, f"could not read the item: {error!r}")


def parse_item(
    item: dict[str, Any], where: SourceRef, seen_ids: set[str]
) -> Record | ReadError | Skipped:
    """One CSL item -> Record."""
    kind = text_value(item.get("type"))
    if kind not in ARTICLE_TYPES:
        return Skipped(
            where,
            f"type {kind!r} is not a journal article: only article-journal items are published",
            "type",
        )
    title = strip_markup(text_value(item.get("title")) or "")
    if not title:
        return ReadError(where, "the item has no title", "title")
    record = Record(source=where, title=title)
    record.authors = _agents(record, item.get("author"), "author")
    record.contributors = _agents(record, item.get("editor"), "editor")
    _periodical(record, item)
    record.volume = text_value(item.get("volume"))
    record.issue = text_value(item.get("issue"))
    set_pages(record, parse_pages(text_value(item.get("page"))))
    if not (record.page_start or record.pagination):
        record.page_start = text_value(item.get("page-first"))
    record.date = _issued(record, item.get("issued"))
    if doi := text_value(item.get("DOI")):
        record.doi = clean_doi(doi)
    if url := text_value(item.get("URL")):
        if clean_doi(url) != url:
            record.doi = record.doi or clean_doi(url)
        elif url.lower().startswith(("http://", "https://")):
            record.links.append(url)
    if abstract := text_value(item.get("abstract")):
        record.abstract = strip_markup(abstract) or None
    for language in re.split(r"[;,]", text_value(item.get("language")) or ""):
        if language.strip():
            tag = to_language_tag(language)
            if tag is None:
                record.warnings.append(
                    f"language: unknown language {language.strip()!r} not published"
                )
            elif tag not in record.languages:
                record.languages.append(tag)
    _subjects(record, item)
    # Zotero writes what CSL has no variable for into `note`, one `Key: value` a line.
    note_pmid = _NOTE_PMID.search(text_value(item.get("note")) or "")
    if pmid := text_value(item.get("PMID")) or (note_pmid.group(1) if note_pmid else None):
        record.pmid = pmid
    record.pmcid = clean_pmcid(text_value(item.get("PMCID")) or "") or find_pmcid(
        "\n".join(m.group(0) for m in _NOTE_PMCID.finditer(text_value(item.get("note")) or ""))
    )
    claim_source_id(record, text_value(item.get("id")), seen_ids, "id", local=True)
    if mentions_case_report(record.title):
        record.publication_types.append("Case Reports")
    for key, value in item.items():
        if key not in HANDLED and key not in ("PMID", "PMCID") and value not in (None, "", [], {}):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            record.unknown_fields.append(UnknownField(key, text))
    return record


def _agents(record: Record, value: Any, key: str) -> list[Agent]:
    """CSL names: `family`/`given` (with particles and suffix) is a person; `literal`
    alone is a name not to be split, kept as an organization."""
    agents: list[Agent] = []
    for name in value if isinstance(value, list) else []:
        if not isinstance(name, dict):
            record.warnings.append(f"{key}: {name!r} is not a CSL name object: not published")
            continue
        family = " ".join(
            p
            for p in (
                text_value(name.get(k))
                for k in ("dropping-particle", "non-dropping-particle", "family")
            )
            if p
        )
        given = text_value(name.get("given"))
        literal = text_value(name.get("literal"))
        if not family and not given:
            if literal:
                agents.append(Organization(literal))
            continue
        person = person_from_parts(family or None, given)
        if suffix := text_value(name.get("suffix")):
            person = Person(f"{person.name} {suffix}", person.family_name, person.given_name)
        if raw := text_value(name.get("ORCID")):
            orcid = clean_orcid(raw)
            if orcid and orcid_checksum_ok(orcid):
                person = Person(person.name, person.family_name, person.given_name, orcid)
            else:
                record.warnings.append(
                    f"{key}: ORCID {raw!r} of {person.name} fails its checksum: not published"
                )
        agents.append(person)
    return agents


def _periodical(record: Record, item: dict[str, Any]) -> None:
    name = strip_markup(text_value(item.get("container-title")) or "")
    short = text_value(item.get("container-title-short")) or text_value(
        item.get("journalAbbreviation")
    )
    raw = item.get("ISSN")
    issns: list[str] = []
    for value in raw if isinstance(raw, list) else [raw]:
        if isinstance(value, str):
            issns.extend(i for i in find_issns(value) if i not in issns)
    if name:
        record.periodical = Periodical(
            name, tuple(issns), short if short and short != name else None
        )
    elif issns:
        record.warnings.append(
            f"ISSN {', '.join(issns)} given without a container-title: not published"
        )


def _issued(record: Record, issued: Any) -> PartialDate | None:
    """`{"date-parts": [[2015, 8, 26]]}`, else `raw` (`2015-08-26`); `literal` is not read."""
    if not isinstance(issued, dict):
        return None
    date = from_date_parts(issued.get("date-parts"))
    if date is None and (raw := text_value(issued.get("raw"))):
        date = parse_partial_date(raw)
    if date is None:
        record.warnings.append(f"issued: {json.dumps(issued)[:60]} is not a date: not published")
    return date


def _subjects(record: Record, item: dict[str, Any]) -> None:
    keywords = item.get("keyword")
    values = keywords if isinstance(keywords, list) else re.split(r"[;,]", keywords or "")
    categories = item.get("categories")
    values = [*values, *(categories if isinstance(categories, list) else [])]
    for value in values:
        if isinstance(value, str) and value.strip() and value.strip() not in record.subjects:
            record.subjects.append(value.strip())
