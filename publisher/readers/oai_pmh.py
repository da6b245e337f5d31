"""OAI-PMH responses saved as files: `ListRecords` and `GetRecord` pages.

Streamed with `lxml.etree.iterparse`, one OAI `<record>` at a time, each freed once
read. What a record's `<metadata>` holds decides how it is read:

* `oai_dc` (Dublin Core): dc:title (the first), dc:creator and dc:contributor
  (`Family, Given` split; a name without a comma is kept whole), dc:date (the first
  that is a date), dc:identifier (DOIs in any spelling -> DOI, http(s) URLs -> links),
  dc:language, dc:subject (split on `;`), dc:description (the first is the abstract),
  dc:source (a journal citation `Journal; Vol. 5 No. 2 (2020); 45-60`, or an ISSN; a
  source that is neither is kept as an unknown field), dc:type (a record whose types
  name something other than an article, and no article, is rejected naming dc:type;
  generic types like "Text" or version types do not count). dc:publisher, dc:format,
  dc:relation, dc:coverage and dc:rights are not published.
* `marc21` (MARCXML): mapped by `marc_fields`, like any MARC record.
* `oai_doaj` (DOAJ's article schema): title, authors (with affiliations and ORCID),
  journal title, ISSN and EISSN, DOI, date (DOAJ stores year and month only and writes
  the day as 01: read as year and month), volume, issue, pages, abstract, keywords,
  language, full-text links. The publisher is not published.

Every record's source id is its OAI identifier (header/identifier). A record whose
header says status="deleted" is a notice, not an error (nothing is deleted from the
store). A `resumptionToken` with a value is a notice: the list continues in the next
page of the harvest. An OAI `<error>` is a ReadError with its code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from publisher.citations import parse_enumeration
from publisher.dates import make_partial_date, parse_partial_date
from publisher.identifiers import (
    DOI_PATTERN,
    clean_doi,
    clean_issn,
    clean_orcid,
    orcid_checksum_ok,
)
from publisher.languages import to_bcp47
from publisher.model import (
    Agent,
    PartialDate,
    Periodical,
    Person,
    ReadError,
    ReadNotice,
    Record,
    Skipped,
    SourceRef,
    UnknownField,
)
from publisher.names import agent_from_inverted, person_from_inverted
from publisher.readers.base import ReadItem, claim_source_id, set_pages
from publisher.readers.marc_fields import HostIndex
from publisher.readers.marcxml import MARC_NS, read_element
from publisher.readers.xmlstream import (
    REPLACEMENT,
    BrokenXml,
    Element,
    XmlSource,
    iterparse,
    local_name,
    namespace,
    release,
    root_tag,
    syntax_error_item,
    text_of,
)
from publisher.text import mentions_case_report, page_bounds

FORMAT_NAME = "oai-pmh"
OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
DOAJ = "http://doaj.org/features/oai_doaj/1.0/"
RECORD_PARENTS = {"ListRecords", "GetRecord"}
TAGS = tuple(f"{{{OAI}}}{name}" for name in ("record", "resumptionToken", "error", "request"))
SUPPORTED = "oai_dc, marc21, oai_doaj"


class OaiPmhReader:
    name = FORMAT_NAME
    description = "OAI-PMH ListRecords / GetRecord response (oai_dc, marc21, oai_doaj)"

    def sniff(self, head: bytes) -> bool:
        return root_tag(head) == f"{{{OAI}}}OAI-PMH"

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        source = XmlSource(stream)
        hosts = HostIndex()
        seen: set[str] = set()
        position = 0
        verb = ""
        answered = False  # an OAI <error> or a record was met
        try:
            for _event, element in iterparse(source, TAGS):
                name = local_name(element.tag)
                line = element.sourceline
                if name == "request":
                    verb = element.get("verb") or ""
                elif name == "error":
                    answered = True
                    code = element.get("code") or "unknown"
                    yield ReadError(
                        SourceRef(path, max(position, 1), line, FORMAT_NAME),
                        f"the OAI-PMH server answered with the error {code!r}: "
                        f"{text_of(element) or 'no message'}",
                        field="error",
                    )
                elif name == "resumptionToken":
                    if notice := _resumption(element, SourceRef(path, position, line, FORMAT_NAME)):
                        yield notice
                else:
                    parent = element.getparent()
                    if parent is None or local_name(parent.tag) not in RECORD_PARENTS:
                        continue  # a record nested inside <metadata>: read with its own
                    position += 1
                    answered = True
                    where = SourceRef(path, position, line, FORMAT_NAME)
                    yield _read_record(element, where, hosts, seen, source.replaced > 0)
                release(element)
        except BrokenXml as broken:
            yield syntax_error_item(broken, path, position, FORMAT_NAME)
            return
        if not answered:
            what = f"a {verb} response" if verb else "an OAI-PMH response"
            yield ReadError(
                SourceRef(path, 1, format=FORMAT_NAME),
                f"the file is {what} without records (only ListRecords and GetRecord "
                "responses hold records)",
            )


def _resumption(element: Element, where: SourceRef) -> ReadNotice | None:
    token = (element.text or "").strip()
    if not token:
        return None  # an empty token closes a list: nothing more to harvest
    details = [
        f"{label} {element.get(attribute)}"
        for attribute, label in (
            ("completeListSize", "complete list size"),
            ("cursor", "cursor"),
            ("expirationDate", "expires"),
        )
        if element.get(attribute)
    ]
    said = f" ({', '.join(details)})" if details else ""
    return ReadNotice(
        SourceRef(where.path, max(where.position, 1), where.line, where.format),
        f"the list continues: resumptionToken {token!r}{said}; this file is one page "
        "of the harvest",
    )


def _read_record(
    element: Element, where: SourceRef, hosts: HostIndex, seen: set[str], repaired: bool
) -> ReadItem:
    header = _child(element, OAI, "header")
    identifier = _child_text(header, OAI, "identifier")
    if header is not None and header.get("status") == "deleted":
        stamp = _child_text(header, OAI, "datestamp")
        when = f" on {stamp}" if stamp else ""
        return ReadNotice(
            where,
            f"record {identifier or '(no identifier)'} was deleted at the source{when} "
            '(header status="deleted"): nothing to publish',
        )
    metadata = _child(element, OAI, "metadata")
    content = None
    if metadata is not None:
        content = next((c for c in metadata if isinstance(c.tag, str)), None)
    if content is None:
        return ReadError(where, "the record has no <metadata>", field="metadata")
    if repaired and (bad := _replacement_element(content)):
        return ReadError(
            where,
            f"<{bad}> holds bytes that are not UTF-8 (the file says it is UTF-8)",
            field=bad,
        )
    kind = (namespace(content.tag), local_name(content.tag))
    item: ReadItem
    if kind == (OAI_DC, "dc"):
        item = dublin_core(content, where)
    elif kind == (DOAJ, "doajArticle"):
        item = doaj_article(content, where)
    elif kind[1] == "record" and kind[0] in (MARC_NS, None, OAI):
        item = read_element(content, where, hosts)
    else:
        return ReadError(
            where,
            f"metadata in {content.tag} is not read (supported: {SUPPORTED})",
            field="metadata",
        )
    if isinstance(item, Record):
        item.source_id = None  # the OAI identifier, not MARC 001, names an OAI record
        claim_source_id(item, identifier, seen, "header/identifier")
    return item


def _child(element: Element | None, ns: str, name: str) -> Element | None:
    if element is None:
        return None
    return element.find(f"{{{ns}}}{name}")


def _child_text(element: Element | None, ns: str, name: str) -> str:
    """The text of a child, "" when there is none: a header without its identifier or
    datestamp is a broken record to report, not a crash (the reader fuzz test found it)."""
    child = _child(element, ns, name)
    return text_of(child) if child is not None else ""


def _replacement_element(element: Element) -> str | None:
    for node in element.iter():
        if REPLACEMENT in (node.text or "") or any(
            REPLACEMENT in str(v) for v in node.attrib.values()
        ):
            return _prefixed(node)
    return None


def _prefixed(node: Element) -> str:
    prefix = node.prefix
    return f"{prefix}:{local_name(node.tag)}" if prefix else local_name(node.tag)


def prose(text: str) -> str:
    """Paragraphs kept (blank lines, CR LF), pretty-printing whitespace collapsed."""
    text = text.replace("\r\n", "\n\n").replace("\r", "\n\n")
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n".join(p for p in paragraphs if p)


# --- Dublin Core ---------------------------------------------------------------------

ARTICLE_TYPE = re.compile(
    r"article|artikel|aufsatz|contributiontoperiodical|case\s*reports?|art[ií]culo|artigo"
    r"|editorial|letter",
    re.IGNORECASE,
)
GENERIC_TYPE = re.compile(
    r"^(?:text|texto|texte|info:eu-repo/semantics/(?:published|accepted|submitted|updated|"
    r"draft)version|(?:non-)?peer[- ]reviewed?|publishedversion|acceptedversion|other)$",
    re.IGNORECASE,
)
_LABELLED_ISSN = re.compile(r"^(?:e?-?issn)?[:\s]*(\d{4}-?\d{3}[\dxX])$", re.IGNORECASE)
_JOURNAL_THEN_PART = re.compile(
    r"^(?P<name>[^\d();]+?)[\s,.;:]+(?P<rest>(?:vol|v\.|bd|jg|no|nr|n\.|\(|\d).*)$",
    re.IGNORECASE,
)


def dublin_core(dc: Element, where: SourceRef) -> Record | ReadError | Skipped:
    record = Record(source=where)
    values: dict[str, list[str]] = {}
    for node in dc:
        if not isinstance(node.tag, str):
            continue
        name = local_name(node.tag)
        text = prose(text_of_keep_lines(node)) if name == "description" else text_of(node)
        if text:
            values.setdefault(name if namespace(node.tag) == DC else node.tag, []).append(text)
    titles = values.get("title", [])
    record.title = titles[0] if titles else None
    record.warnings.extend(f"dc:title: another title {t!r} not published" for t in titles[1:])
    record.authors.extend(agent_from_inverted(v) for v in values.get("creator", []))
    record.contributors.extend(agent_from_inverted(v) for v in values.get("contributor", []))
    record.date = next(
        (d for v in values.get("date", []) if (d := parse_partial_date(v[:10]))), None
    )
    _dc_identifiers(record, values.get("identifier", []))
    for value in values.get("language", []):
        _add_language(record, value, "dc:language")
    for value in values.get("subject", []):
        for subject in (s.strip() for s in value.split(";")):
            if subject and subject not in record.subjects:
                record.subjects.append(subject)
    descriptions = values.get("description", [])
    record.abstract = descriptions[0] if descriptions else None
    record.unknown_fields.extend(UnknownField("dc:description", d) for d in descriptions[1:])
    _dc_sources(record, values.get("source", []))
    record.formats.extend(values.get("type", []))
    if any(mentions_case_report(t) for t in [*record.formats, record.title or ""]):
        record.publication_types.append("Case Reports")
    return _dc_type_error(record) or record


def text_of_keep_lines(element: Element) -> str:
    return "".join(element.itertext())


def _dc_type_error(record: Record) -> Skipped | None:
    """A record typed only as something other than an article (a book, a thesis)."""
    specific = [t for t in record.formats if not GENERIC_TYPE.match(t.strip())]
    if not specific or any(ARTICLE_TYPE.search(t) for t in specific):
        return None
    return Skipped(
        record.source,
        f"dc:type {', '.join(specific)!r} is not an article: only articles are published",
        field="dc:type",
    )


def _dc_identifiers(record: Record, identifiers: list[str]) -> None:
    for value in identifiers:
        doi = clean_doi(value)
        if DOI_PATTERN.match(doi):
            if record.doi is None:
                record.doi = doi
            elif doi.lower() != record.doi.lower():
                record.warnings.append(f"dc:identifier: a second DOI {doi!r} not published")
        elif value.lower().startswith(("http://", "https://")) and value not in record.links:
            record.links.append(value)


def _add_language(record: Record, value: str, where: str) -> None:
    tag = to_bcp47(value)
    if tag is None:
        record.warnings.append(f"{where}: unknown language {value!r} not published")
    elif tag not in record.languages:
        record.languages.append(tag)


def _dc_sources(record: Record, sources: list[str]) -> None:
    """`Journal; Vol. 5 No. 2 (2020); 45-60`, `Journal, Vol 11 (2021)`, or an ISSN."""
    issns: list[str] = []
    name = ""
    for value in sources:
        if issn := _LABELLED_ISSN.match(value.strip()):
            issns.append(clean_issn(issn.group(1)))
            continue
        parts = [p.strip() for p in value.split(";") if p.strip()]
        if len(parts) > 1:
            journal, rest = parts[0], "; ".join(parts[1:])
        elif match := _JOURNAL_THEN_PART.match(value.strip()):
            journal, rest = match.group("name"), match.group("rest")
        else:
            journal, rest = "", ""
        found = parse_enumeration(rest) if rest else None
        if (
            name
            or not journal
            or found is None
            or not (found.volume or found.issue or found.page_start)
        ):
            record.unknown_fields.append(UnknownField("dc:source", value))
            continue
        name = journal.strip(" ,.")
        record.volume, record.issue = found.volume, found.issue
        record.page_start, record.page_end = found.page_start, found.page_end
        if record.date is None and found.year:
            record.date = make_partial_date(found.year, found.month)
    if name:
        record.periodical = Periodical(name, tuple(dict.fromkeys(issns)))
    elif issns:
        record.warnings.append(f"dc:source: ISSN {', '.join(issns)} without a journal title")


# --- DOAJ ----------------------------------------------------------------------------

DOAJ_IGNORED = {"publisher", "publisherRecordId", "affiliationsList", "documentType"}


def doaj_article(article: Element, where: SourceRef) -> Record:
    record = Record(source=where)
    affiliations = {
        node.get("affiliationId"): text_of(node)
        for node in article.iter(f"{{{DOAJ}}}affiliationName")
    }
    issns: list[str] = []
    journal = ""
    for node in article:
        if not isinstance(node.tag, str):
            continue
        name = local_name(node.tag)
        text = text_of(node)
        match name:
            case "title":
                if record.title is None:
                    record.title = text or None
                elif text:
                    record.warnings.append(f"oai_doaj:title: another title {text!r} not published")
            case "journalTitle":
                journal = text
            case "issn" | "eissn":
                if text:
                    issns.append(clean_issn(text))
            case "publicationDate":
                record.date = _doaj_date(record, text)
            case "volume":
                record.volume = text or None
            case "issue":
                record.issue = text or None
            case "startPage":
                record.page_start = text or None
            case "endPage":
                record.page_end = text or None
            case "doi":
                record.doi = clean_doi(text) if text else None
            case "language":
                for code in text.split(","):
                    if code.strip():
                        _add_language(record, code.strip(), "oai_doaj:language")
            case "authors":
                record.authors.extend(_doaj_author(record, a, affiliations) for a in node)
            case "abstract":
                abstract = prose(text_of_keep_lines(node))
                if record.abstract is None:
                    record.abstract = abstract or None
            case "fullTextUrl":
                if text and text not in record.links:
                    record.links.append(text)
            case "keywords":
                for keyword in (k.strip(" ;,") for kw in node for k in text_of(kw).split(";")):
                    if keyword and keyword not in record.subjects:
                        record.subjects.append(keyword)
            case _ if name in DOAJ_IGNORED:
                pass
            case _:
                record.unknown_fields.append(UnknownField(f"oai_doaj:{name}", text))
    # an article number given as both first and last page is a first page alone
    set_pages(record, page_bounds(record.page_start, record.page_end))
    if journal:
        record.periodical = Periodical(journal, tuple(dict.fromkeys(issns)))
    elif issns:
        record.warnings.append(f"oai_doaj: ISSN {', '.join(issns)} without a journal title")
    if record.title and mentions_case_report(record.title):
        record.publication_types.append("Case Reports")
    return record


def _doaj_date(record: Record, text: str) -> PartialDate | None:
    date = parse_partial_date(text[:10])
    if date is None:
        if text:
            record.warnings.append(f"oai_doaj:publicationDate: {text!r} is not a date")
        return None
    if date.day == 1:  # DOAJ keeps year and month; the day is its filler
        return make_partial_date(date.year, date.month)
    return date


def _doaj_author(record: Record, author: Element, affiliations: dict[str | None, str]) -> Agent:
    fields = {local_name(c.tag): text_of(c) for c in author if isinstance(c.tag, str)}
    person = person_from_inverted(fields.get("name", ""))
    orcid = None
    if raw := fields.get("orcid_id"):
        cleaned = clean_orcid(raw)
        if cleaned and orcid_checksum_ok(cleaned):
            orcid = cleaned
        else:
            record.warnings.append(f"oai_doaj:orcid_id {raw!r} of {person.name} fails its checksum")
    places = tuple(
        affiliations[key]
        for c in author
        if local_name(c.tag) == "affiliationId" and (key := (c.text or "").strip()) in affiliations
    )
    return Person(person.name, person.family_name, person.given_name, orcid, places)
