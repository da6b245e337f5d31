"""ClinicalTrials.gov API v2 study JSON: one study, or a `/studies` page of them.

A `/studies` page (`{"studies": [...], "totalCount": ..., "nextPageToken": ...}`) can be
large, so it is read with ijson, one study at a time; a single study (`GET
/studies/{nctId}`) is one small object. A bare JSON array of studies is read too.
`nextPageToken` and `totalCount` become a ReadNotice: the query has more pages than
the file holds.

Read from `protocolSection`: identification (nctId, briefTitle, officialTitle,
secondaryIdInfos), status (overallStatus, start and completion dates with their
precision), sponsor and collaborators, briefSummary, conditions and keywords, design
(studyType, phases, allocation, intervention model, primary purpose, masking, enrolment
count), interventions (type, name, other names) and references (PMID, citation, type,
a DOI found in the citation). Captures made with a `fields=` filter lack whole modules:
every module is optional. The other documented modules (eligibility, locations,
outcomes, results, ...) are not published; a key the API does not document is kept as an
unknown field and reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

from publisher.dates import parse_partial_date
from publisher.identifiers import find_doi, find_trial_ids
from publisher.model import (
    Intervention,
    Organization,
    PartialDate,
    ReadError,
    ReadNotice,
    Reference,
    SourceRef,
    TrialId,
    TrialRecord,
    UnknownField,
)
from publisher.readers.base import ReadItem, Utf8Repair
from publisher.readers.json_stream import (
    JsonBroken,
    JsonItem,
    JsonRest,
    first_replaced,
    json_shape,
    stream_items,
)

FORMAT_NAME = "ctgov-json"

# The API v2 study structure (https://clinicaltrials.gov/data-api/about-api/study-data-structure).
STUDY_SECTIONS = {
    "protocolSection",
    "resultsSection",
    "annotationSection",
    "documentSection",
    "derivedSection",
    "hasResults",
}
PROTOCOL_MODULES = {
    "identificationModule",
    "statusModule",
    "sponsorCollaboratorsModule",
    "oversightModule",
    "descriptionModule",
    "conditionsModule",
    "designModule",
    "armsInterventionsModule",
    "outcomesModule",
    "eligibilityModule",
    "contactsLocationsModule",
    "referencesModule",
    "ipdSharingStatementModule",
}
PAGE_KEYS = {"studies", "totalCount", "nextPageToken"}
NOT_A_DESIGN = {"", "NA"}  # allocation "NA": a single-arm study, nothing to say

_STUDY_START = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*[\[{]")
_PAGE_START = re.compile(rb'^\s*(?:\xef\xbb\xbf)?\s*\{\s*"studies"\s*:\s*\[')


class ClinicalTrialsReader:
    name = FORMAT_NAME
    description = "ClinicalTrials.gov API v2 study JSON (one study or a /studies page)"

    def sniff(self, head: bytes) -> bool:
        shape = json_shape(head)
        if shape is None:
            return False
        if shape.top == "array":
            return "protocolSection" in shape.keys_at("item")
        top = shape.keys_at("")
        if "protocolSection" in top:
            return True
        return "studies" in top and (
            "protocolSection" in shape.keys_at("studies.item") or top <= PAGE_KEYS
        )

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        repair = Utf8Repair(stream)
        for event in stream_items(repair, ("studies",)):
            if isinstance(event, JsonItem):
                where = SourceRef(path, event.position, None, FORMAT_NAME)
                yield _study(event.value, where, repair)
            elif isinstance(event, JsonBroken):
                where = SourceRef(path, event.items + 1, None, FORMAT_NAME)
                after = f" after study {event.items}" if event.items else ""
                yield ReadError(where, f"{event.message}{after}")
            elif isinstance(event, JsonRest):
                yield from _rest(event, path, repair)


def _rest(event: JsonRest, path: str, repair: Utf8Repair) -> Iterator[ReadItem]:
    """A single study is the whole document; a page's rest holds its paging fields."""
    where = SourceRef(path, 1, None, FORMAT_NAME)
    top = event.value
    if event.top == "object" and isinstance(top, dict) and "protocolSection" in top:
        yield _study(top, where, repair)
        return
    is_page = (
        event.top == "array" or event.items or (isinstance(top, dict) and top.keys() & PAGE_KEYS)
    )
    if not is_page:
        yield ReadError(
            where, "not a ClinicalTrials.gov study: no protocolSection and no studies array"
        )
        return
    if isinstance(top, dict):
        yield from _page_notices(top, path)
    if event.items == 0:
        yield ReadError(where, "the page holds no study")


def _study(data: Any, where: SourceRef, repair: Utf8Repair) -> ReadItem:
    if repair.replaced and (bad := first_replaced(data)) is not None:
        return ReadError(where, f"{bad} holds bytes that are not UTF-8 (Latin-1?)", bad)
    try:
        return parse_study(data, where)
    except Exception as error:  # a study we cannot read must not stop the page
        return ReadError(where, f"could not read the study: {error!r}")


def _page_notices(top: dict[str, Any], path: str) -> Iterator[ReadItem]:
    where = SourceRef(path, 1, format=FORMAT_NAME)
    token, total = top.get("nextPageToken"), top.get("totalCount")
    if token:
        of = f" of {total} studies in all" if total is not None else ""
        yield ReadNotice(
            where,
            f"the query has more pages{of}: request the next one with pageToken={token}",
        )
    elif total is not None:
        yield ReadNotice(where, f"the query matched {total} studies in all")


def parse_study(data: Any, where: SourceRef) -> TrialRecord | ReadError:
    """One API v2 study object -> TrialRecord."""
    if not isinstance(data, dict):
        return ReadError(where, "a study must be a JSON object", "study")
    protocol = data.get("protocolSection")
    if not isinstance(protocol, dict):
        return ReadError(where, "the study has no protocolSection", "protocolSection")
    ident = _module(protocol, "identificationModule")
    nct = _str(ident.get("nctId"))
    if not nct:
        return ReadError(
            where, "the study has no NCT number", "protocolSection.identificationModule.nctId"
        )
    found = find_trial_ids(nct)
    # A malformed number is kept as given, so validation names it.
    trial = found[0] if len(found) == 1 and found[0].registry == "nct" else TrialId("nct", nct)
    record = TrialRecord(source=where, trial=trial)
    record.title = _str(ident.get("briefTitle")) or None
    record.official_title = _str(ident.get("officialTitle")) or None
    if record.display_title is None:
        record.warnings.append("the study has no briefTitle or officialTitle")
    record.secondary_ids = _secondary_ids(ident, trial)
    _status(record, _module(protocol, "statusModule"))
    _sponsors(record, _module(protocol, "sponsorCollaboratorsModule"))
    record.summary = _prose(_module(protocol, "descriptionModule").get("briefSummary"))
    conditions = _module(protocol, "conditionsModule")
    record.conditions = _strings(conditions.get("conditions"))
    record.keywords = _strings(conditions.get("keywords"))
    _design(record, _module(protocol, "designModule"))
    record.interventions = _interventions(_module(protocol, "armsInterventionsModule"))
    record.references = _references(_module(protocol, "referencesModule"))
    _unknown(record, data, protocol)
    return record


def _module(section: dict[str, Any], name: str) -> dict[str, Any]:
    module = section.get(name)
    return module if isinstance(module, dict) else {}


def _str(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


# The API writes its text fields as Markdown: `\\[rHGG\\]` is an escaped `[rHGG]`.
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _prose(value: Any) -> str | None:
    """A text field: Markdown escapes undone, spaces collapsed, paragraphs kept."""
    if not isinstance(value, str):
        return None
    lines = (" ".join(line.split()) for line in _MARKDOWN_ESCAPE.sub(r"\1", value).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() or None


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else []
    return list(dict.fromkeys(text for item in items if (text := _str(item))))


def _secondary_ids(ident: dict[str, Any], trial: TrialId) -> list[TrialId]:
    """EudraCT, DRKS and ISRCTN numbers among the secondary ids; other ids are ignored."""
    found: list[TrialId] = []
    infos = ident.get("secondaryIdInfos")
    for info in infos if isinstance(infos, list) else []:
        if not isinstance(info, dict):
            continue
        for other in find_trial_ids(_str(info.get("id"))):
            if other.registry != "nct" and other != trial and other not in found:
                found.append(other)
    return found


def _date(record: TrialRecord, module: dict[str, Any], key: str) -> PartialDate | None:
    struct = module.get(key)
    text = _str(struct.get("date")) if isinstance(struct, dict) else ""
    if not text:
        return None
    date = parse_partial_date(text)
    if date is None:
        record.warnings.append(f"statusModule.{key}: {text!r} is not a date, not published")
    return date


def _status(record: TrialRecord, module: dict[str, Any]) -> None:
    record.status = _str(module.get("overallStatus")) or None
    record.start_date = _date(record, module, "startDateStruct")
    record.completion_date = _date(record, module, "completionDateStruct")


def _organization(value: Any) -> Organization | None:
    name = _str(value.get("name")) if isinstance(value, dict) else ""
    return Organization(name) if name else None


def _sponsors(record: TrialRecord, module: dict[str, Any]) -> None:
    record.sponsor = _organization(module.get("leadSponsor"))
    collaborators = module.get("collaborators")
    for item in collaborators if isinstance(collaborators, list) else []:
        organization = _organization(item)
        if organization is not None and organization not in record.collaborators:
            record.collaborators.append(organization)


def _design(record: TrialRecord, module: dict[str, Any]) -> None:
    record.study_type = _str(module.get("studyType")) or None
    record.phases = [p for p in _strings(module.get("phases")) if p != "NA"]
    info = module.get("designInfo")
    info = info if isinstance(info, dict) else {}
    masking = info.get("maskingInfo")
    words = [
        _str(info.get("allocation")),
        _str(info.get("interventionModel")),
        _str(info.get("primaryPurpose")),
        _str(masking.get("masking")) if isinstance(masking, dict) else "",
    ]
    record.design = list(dict.fromkeys(w for w in words if w not in NOT_A_DESIGN))
    enrollment = module.get("enrollmentInfo")
    count = enrollment.get("count") if isinstance(enrollment, dict) else None
    if isinstance(count, int) and not isinstance(count, bool):
        record.enrollment = count
    elif count is not None:
        record.warnings.append(f"designModule.enrollmentInfo.count {count!r} is not a number")


def _interventions(module: dict[str, Any]) -> list[Intervention]:
    found: list[Intervention] = []
    items = module.get("interventions")
    for item in items if isinstance(items, list) else []:
        name = _str(item.get("name")) if isinstance(item, dict) else ""
        if not name:
            continue
        kind = _str(item.get("type")) or None
        intervention = Intervention(name, kind, tuple(_strings(item.get("otherNames"))))
        if intervention not in found:
            found.append(intervention)
    return found


def _references(module: dict[str, Any]) -> list[Reference]:
    found: list[Reference] = []
    items = module.get("references")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        citation = _str(item.get("citation")) or None
        pmid = _str(item.get("pmid")) or None
        reference = Reference(citation, find_doi(citation), pmid, _str(item.get("type")) or None)
        if (citation or pmid) and reference not in found:
            found.append(reference)
    return found


def _unknown(record: TrialRecord, data: dict[str, Any], protocol: dict[str, Any]) -> None:
    """Keys the API does not document are reported, never silently dropped."""
    for key in data.keys() - STUDY_SECTIONS:
        record.unknown_fields.append(UnknownField(key, _short_json(data[key])))
    for key in protocol.keys() - PROTOCOL_MODULES:
        record.unknown_fields.append(UnknownField(f"protocolSection.{key}",
                                                  _short_json(protocol[key])))  # fmt: skip


def _short_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)[:500]
