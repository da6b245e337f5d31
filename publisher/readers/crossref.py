"""Crossref REST API works JSON (https://api.crossref.org/swagger-ui/index.html).

Accepted: a `/works/{doi}` response (`{"status": "ok", "message-type": "work",
"message": {...}}`), its bare `message` object, a `/works` result page
(`message-type: work-list`, `message.items[]`), the public data file shape
(`{"items": [...]}`) and a bare JSON array of works. Arrays are read with ijson one work
at a time, so memory stays bounded however many a file holds; a page's `next-cursor`
and `total-results` become a notice.

Only `journal-article` works are published so far; any other `type` is rejected naming
`type`. Authors keep the listed order (a warning when the one marked `sequence: first`
is not listed first); an author with `name` but no given/family name is an
organization. ORCID iDs are kept when their checksum holds. Funders become `funding`
(a Funder Registry DOI becomes the funder's `sameAs`); `clinical-trial-number` entries
become trials when the number has a registry's shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from publisher.dates import from_date_parts
from publisher.identifiers import (
    clean_doi,
    clean_orcid,
    doi_url,
    find_issns,
    find_trial_ids,
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
    ReadNotice,
    Record,
    Skipped,
    SourceRef,
    UnknownField,
)
from publisher.names import person_from_parts
from publisher.readers.base import ReadItem, Utf8Repair, set_pages
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

FORMAT_NAME = "crossref-json"
ARTICLE_TYPES = {"journal-article"}
# Keys only Crossref writes in a work (CSL-JSON from doi.org has none of them).
CROSSREF_KEYS = {
    "reference-count", "references-count", "is-referenced-by-count", "indexed", "deposited",
    "content-domain", "issn-type", "short-container-title", "published-print",
    "published-online", "member", "prefix", "created",
}  # fmt: skip
# Crossref's own work types (api.crossref.org/types). CSL-JSON that Crossref serves
# (doi.org content negotiation) carries Crossref's keys too, but CSL types
# (`article-journal`, `chapter`): the type, not the keys, tells the two apart.
CROSSREF_TYPES = {
    "book-section", "monograph", "report-component", "peer-review", "book-track",
    "journal-article", "book-part", "other", "book", "journal-volume", "book-set",
    "reference-entry", "proceedings-article", "journal", "component", "book-chapter",
    "proceedings-series", "report-series", "proceedings", "database", "standard",
    "reference-book", "posted-content", "journal-issue", "dissertation", "grant",
    "dataset", "book-series", "edited-book", "report", "standard-series",
}  # fmt: skip
RECORD_ARRAYS = ("message.items", "items")
DATE_KEYS = ("published", "issued", "published-print", "published-online")
# Work keys read below, or deliberately not published: Crossref's bookkeeping
# (indexed, deposited, score...), citation counts, references, licences, links.
HANDLED = {
    "type", "title", "subtitle", "author", "editor", "container-title",
    "short-container-title", "ISSN", "issn-type", "volume", "issue", "journal-issue", "page",
    "article-number", "DOI", "URL", "abstract", "subject", "language", "funder",
    "clinical-trial-number", "resource", *DATE_KEYS, "indexed", "reference-count",
    "references-count", "is-referenced-by-count", "publisher", "publisher-location",
    "license", "content-domain", "created", "source", "prefix", "member", "link",
    "deposited", "score", "reference", "original-title", "short-title", "alternative-id",
    "archive", "relation", "assertion", "update-policy", "update-to", "updated-by",
    "accepted", "approved", "posted", "content-created", "content-updated", "subtype",
    "group-title", "free-to-read", "aliases", "institution", "translator", "chair",
    "special-numbering", "review", "isbn-type", "ISBN", "standards-body", "cited-count",
}  # fmt: skip
# Registry DOIs Crossref uses in `clinical-trial-number.registry` (Crossref's list of
# registries), for messages; the number itself decides the registry.
TRIAL_REGISTRY_DOIS = {
    "10.18810/clinical-trials-gov": "nct",
    "10.18810/euctr": "eudract",
    "10.18810/drks": "drks",
    "10.18810/isrctn": "isrctn",
}


def is_crossref_work_shape(shape: JsonShape, prefix: str) -> bool:
    """At least two keys only Crossref writes in the object at `prefix`, and no type
    that is not Crossref's (CSL-JSON made by Crossref says `article-journal`)."""
    kind = shape.strings.get(f"{prefix}.type" if prefix else "type")
    if kind is not None and kind not in CROSSREF_TYPES:
        return False
    return len(shape.keys_at(prefix) & CROSSREF_KEYS) >= 2


class CrossrefReader:
    name = FORMAT_NAME
    description = "Crossref REST API works JSON (work, work list, bare message, items)"

    def sniff(self, head: bytes) -> bool:
        shape = json_shape(head)
        if shape is None:
            return False
        if shape.top == "array":
            return is_crossref_work_shape(shape, "item")
        top = shape.keys_at("")
        if "protocolSection" in top or "@context" in top:
            return False
        if "message" in top and str(shape.strings.get("message-type", "")).startswith("work"):
            return True
        return any(
            is_crossref_work_shape(shape, prefix)
            for prefix in ("", "message", "message.items.item", "items.item")
        )

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        repair = Utf8Repair(stream)
        for event in stream_items(repair, RECORD_ARRAYS):
            if isinstance(event, JsonItem):
                where = SourceRef(path, event.position, None, FORMAT_NAME)
                yield _work(event.value, where, repair)
            elif isinstance(event, JsonBroken):
                where = SourceRef(path, event.items + 1, None, FORMAT_NAME)
                after = f" after work {event.items}" if event.items else ""
                yield ReadError(where, f"{event.message}{after}")
            elif isinstance(event, JsonRest):
                yield from _rest(event, path, repair)


def _rest(event: JsonRest, path: str, repair: Utf8Repair) -> Iterator[ReadItem]:
    """The envelope: a single work (enveloped or bare), or the page's notices."""
    where = SourceRef(path, 1, None, FORMAT_NAME)
    top = event.value
    if event.top == "array" or event.items:
        yield from _page_notices(top, where)
        if event.items == 0:
            yield ReadError(where, "the work list holds no work")
        return
    if not isinstance(top, dict):
        yield ReadError(where, "not a Crossref work: the JSON is not an object")
        return
    if "message" in top or "status" in top:
        status, kind = top.get("status"), str(top.get("message-type", ""))
        if status not in (None, "ok"):
            message = json.dumps(top.get("message"), ensure_ascii=False)[:200]
            yield ReadError(where, f"the API answered status {status!r}: {message}", "status")
        elif kind == "work-list" or (
            isinstance(top.get("message"), dict) and "items" in top["message"]
        ):
            yield from _page_notices(top, where)
            yield ReadError(where, "the work list holds no work")
        elif not isinstance(top.get("message"), dict):
            yield ReadError(
                where, f"message-type {kind!r}: no work in the response", "message-type"
            )
        else:
            yield _work(top["message"], where, repair)
        return
    if "items" in top:
        yield ReadError(where, "the work list holds no work")
        return
    yield _work(top, where, repair)


def _page_notices(top: Any, where: SourceRef) -> Iterator[ReadItem]:
    message = top.get("message") if isinstance(top, dict) else None
    if not isinstance(message, dict):
        return
    total, cursor = message.get("total-results"), message.get("next-cursor")
    if cursor and total is not None:
        yield ReadNotice(
            where,
            f"the query matched {total} works in all: request the next page with cursor={cursor}",
        )
    elif total is not None:
        yield ReadNotice(where, f"the query matched {total} works in all")


def _work(value: Any, where: SourceRef, repair: Utf8Repair) -> ReadItem:
    if repair.replaced and (bad := first_replaced(value)) is not None:
        return ReadError(where, f"{bad} holds bytes that are not UTF-8 (Latin-1?)", bad)
    if not isinstance(value, dict):
        return ReadError(where, f"a Crossref work is a JSON object, not {json.dumps(value)[:40]}")
    try:
        return parse_work(value, where)
    except Exception as error:  # a work we cannot read must not stop the file
        return ReadError(where, f"could not read the work: {error!r}")


def parse_work(work: dict[str, Any], where: SourceRef) -> Record | ReadError | Skipped:
    """One Crossref work object (the API's `message`) -> Record."""
    kind = text_value(work.get("type"))
    if kind not in ARTICLE_TYPES:
        return Skipped(
            where,
            f"type {kind!r} is not a journal article: only journal-article works are published",
            "type",
        )
    title = strip_markup(text_value(work.get("title")) or "")
    if not title:
        return ReadError(where, "the work has no title", "title")
    if subtitle := strip_markup(text_value(work.get("subtitle")) or ""):
        title = f"{title}: {subtitle}"
    record = Record(source=where, title=title)
    record.authors = _agents(record, work.get("author"), "author")
    record.contributors = _agents(record, work.get("editor"), "editor")
    _periodical(record, work)
    record.volume = text_value(work.get("volume"))
    journal_issue = work.get("journal-issue")
    record.issue = text_value(work.get("issue")) or (
        text_value(journal_issue.get("issue")) if isinstance(journal_issue, dict) else None
    )
    set_pages(record, parse_pages(text_value(work.get("page"))))
    if not (record.page_start or record.pagination):
        record.page_start = text_value(work.get("article-number"))
    record.date = _date(record, work)
    if doi := text_value(work.get("DOI")):
        record.doi = clean_doi(doi)
    resource = work.get("resource")
    primary = resource.get("primary") if isinstance(resource, dict) else None
    if isinstance(primary, dict) and (url := text_value(primary.get("URL"))):
        record.links.append(url)
    if abstract := text_value(work.get("abstract")):
        record.abstract = strip_markup(abstract) or None
    if language := text_value(work.get("language")):
        tag = to_language_tag(language)
        if tag is None:
            record.warnings.append(f"language: unknown language {language!r} not published")
        else:
            record.languages.append(tag)
    for subject in work.get("subject") or []:
        if isinstance(subject, str) and subject.strip() and subject.strip() not in record.subjects:
            record.subjects.append(subject.strip())
    record.funding = _funding(work.get("funder"))
    _trials(record, work.get("clinical-trial-number"))
    if mentions_case_report(record.title):
        record.publication_types.append("Case Reports")
    for key, value in work.items():
        if key not in HANDLED and value not in (None, "", [], {}):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            record.unknown_fields.append(UnknownField(key, text))
    return record


def _agents(record: Record, value: Any, key: str) -> list[Agent]:
    agents: list[Agent] = []
    first_at: int | None = None
    for index, contributor in enumerate(value if isinstance(value, list) else []):
        if not isinstance(contributor, dict):
            continue
        if contributor.get("sequence") == "first" and first_at is None:
            first_at = index
        given, family = text_value(contributor.get("given")), text_value(contributor.get("family"))
        if not given and not family:
            if name := text_value(contributor.get("name")):
                agents.append(Organization(name))
            continue
        affiliations = tuple(
            a["name"].strip()
            for a in contributor.get("affiliation") or []
            if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
        )
        person = person_from_parts(family, given)
        if suffix := text_value(contributor.get("suffix")):
            person = Person(f"{person.name} {suffix}", person.family_name, person.given_name)
        orcid = None
        if raw := text_value(contributor.get("ORCID")):
            orcid = clean_orcid(raw)
            if not (orcid and orcid_checksum_ok(orcid)):
                record.warnings.append(
                    f"{key}: ORCID {raw!r} of {person.name} fails its checksum: not published"
                )
                orcid = None
        agents.append(
            Person(person.name, person.family_name, person.given_name, orcid, affiliations)
        )
    if first_at:
        record.warnings.append(
            f"{key}: the author marked sequence 'first' is listed at position {first_at + 1}: "
            "the listed order is kept"
        )
    return agents


def _periodical(record: Record, work: dict[str, Any]) -> None:
    name = strip_markup(text_value(work.get("container-title")) or "")
    short = text_value(work.get("short-container-title"))
    issns: list[str] = []
    typed = work.get("issn-type")
    values = (
        [t.get("value") for t in typed if isinstance(t, dict)] if isinstance(typed, list) else []
    )
    raw = work.get("ISSN")
    values += raw if isinstance(raw, list) else [raw]
    for value in values:
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


def _date(record: Record, work: dict[str, Any]) -> PartialDate | None:
    """`published` (Crossref's earliest publication date), else `issued`, print, online."""
    for key in DATE_KEYS:
        value = work.get(key)
        if isinstance(value, dict) and (date := from_date_parts(value.get("date-parts"))):
            return date
    return None


def _funding(value: Any) -> list[Funding]:
    """Funders in order; one funder listed twice (same name and DOI) is merged."""
    merged: dict[tuple[str, str | None], list[str]] = {}
    for funder in value if isinstance(value, list) else []:
        if not isinstance(funder, dict) or not (name := text_value(funder.get("name"))):
            continue
        doi = text_value(funder.get("DOI"))
        awards = merged.setdefault((name, clean_doi(doi) if doi else None), [])
        for award in funder.get("award") or []:
            if (
                isinstance(award, str | int)
                and str(award).strip()
                and str(award).strip() not in awards
            ):
                awards.append(str(award).strip())
    return [
        Funding(Organization(name, (doi_url(doi),) if doi else ()), tuple(awards))
        for (name, doi), awards in merged.items()
    ]


def _trials(record: Record, value: Any) -> None:
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict):
            continue
        number = text_value(entry.get("clinical-trial-number"))
        registry = text_value(entry.get("registry")) or "an unnamed registry"
        found = find_trial_ids(number)
        if not found:
            record.warnings.append(
                f"clinical-trial-number: {number!r} ({registry}) has no shape of a registry we "
                "publish (ClinicalTrials.gov, EudraCT, DRKS, ISRCTN): not published"
            )
        expected = TRIAL_REGISTRY_DOIS.get(registry.lower())
        for trial in found:
            if expected and trial.registry != expected:
                record.warnings.append(
                    f"clinical-trial-number: {number!r} is a {trial.registry} number but "
                    f"the registry is given as {registry}"
                )
            if trial not in record.trials:
                record.trials.append(trial)
