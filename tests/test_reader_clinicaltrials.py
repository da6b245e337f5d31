"""The ClinicalTrials.gov API v2 reader, on the real captures, our own fixtures and broken
files; the registry record served as Linked Data.

Expected values of the real captures were read off the JSON files by hand.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
from conftest import BASE, EXAMPLES, REPO, run_cli, shared_path, start_server, stop_server
from rdflib import Graph, Literal, URIRef

from publisher.mapping.vocab import PUB
from publisher.model import (
    DatePrecision,
    Intervention,
    Organization,
    PartialDate,
    ReadError,
    ReadNotice,
    Reference,
    TrialId,
    TrialRecord,
)
from publisher.readers.base import ReadItem
from publisher.readers.clinicaltrials import ClinicalTrialsReader
from publisher.readers.registry import detect, read_file
from publisher.store.oxigraph import OxigraphStore

READER = ClinicalTrialsReader()
DATA = REPO / "tests" / "data" / "ctgov"
TOCA = ("samples", "ctgov", "get_nct02576665_20260811.json")
PANKU = ("samples", "ctgov", "get_nct06382129_20260811.json")
PAGE = ("samples", "ctgov", "search_keytruda_limit3_20260811.json")
SCHEMA = "https://schema.org/"


def _read(data: bytes | str, path: str = "study.json") -> list[ReadItem]:
    raw = data.encode() if isinstance(data, str) else data
    return list(READER.read(io.BytesIO(raw), path))


def _one(path: Path) -> TrialRecord:
    (record,) = READER.read(io.BytesIO(path.read_bytes()), str(path))
    assert isinstance(record, TrialRecord), record
    return record


def _study(nct: str = "NCT01234567", **modules: Any) -> dict[str, Any]:
    ident = {"nctId": nct, "briefTitle": f"Study {nct}"}
    return {"protocolSection": {"identificationModule": ident, **modules}}


def test_single_study_every_field() -> None:
    record = _one(shared_path(*TOCA))
    assert record.trial == TrialId("nct", "NCT02576665")
    assert record.title == (
        "A Study of Toca 511, a Retroviral Replicating Vector, Combined With Toca FC in "
        "Patients With Solid Tumors or Lymphoma (Toca 6)"
    )
    assert record.official_title is None  # not in this field-filtered capture
    assert record.status == "TERMINATED"
    assert record.start_date == PartialDate(2016, 7)
    assert record.start_date.precision is DatePrecision.MONTH
    assert record.completion_date == PartialDate(2019, 12, 20)
    assert record.sponsor == Organization("Tocagen Inc.")
    assert record.collaborators == []
    assert record.study_type == "INTERVENTIONAL"
    assert record.phases == ["PHASE1"]
    assert record.design == []  # no designInfo in the capture
    assert record.enrollment == 21
    assert len(record.conditions) == 12
    assert record.conditions[0] == "Colorectal Cancer"
    assert record.conditions[-1] == "IDH1 Mutated or MGMT Methylated Recurrent HGG (Not Recruiting)"
    assert record.interventions == [
        Intervention("Toca 511", None, (
            "vocimagene amiretrorepvec", "RRV", "retroviral replicating viral",
        )),
        Intervention("Toca FC", None, ("Flucytosine", "5-FC", "5-Fluorocytosine")),
    ]  # fmt: skip
    assert record.summary is not None
    assert record.summary.startswith("The purpose of this trial is to evaluate changes")
    # Markdown escapes undone: the JSON has "\\[rHGG\\]".
    assert "(including recurrent high grade glioma [rHGG])" in record.summary
    assert record.summary.count("\n\n") == 2  # three paragraphs kept
    assert record.references == [] and record.secondary_ids == []
    assert record.unknown_fields == [] and record.warnings == []  # eligibility etc. skipped
    assert (record.source.position, record.source.format) == (1, "ctgov-json")


def test_second_single_study() -> None:
    record = _one(shared_path(*PANKU))
    assert record.trial == TrialId("nct", "NCT06382129")
    assert record.title is not None and record.title.endswith("Cell Lung Cancer(PANKU-Lung02)")
    assert record.status == "ACTIVE_NOT_RECRUITING"
    assert record.start_date == PartialDate(2024, 5, 17)
    assert record.completion_date == PartialDate(2026, 12)
    assert record.sponsor == Organization("Sichuan Baili Pharmaceutical Co., Ltd.")
    assert (record.phases, record.enrollment) == (["PHASE3"], 698)
    assert record.conditions == ["Non-small Cell Lung Cancer"]
    assert record.interventions[1] == Intervention("Docetaxel")


def test_search_page_streams_studies_and_reports_more_pages() -> None:
    items = list(read_file(shared_path(*PAGE)))
    *studies, notice = items
    assert [s.trial.value for s in studies if isinstance(s, TrialRecord)] == [
        "NCT05431270", "NCT03590054", "NCT04795661",
    ]  # fmt: skip
    assert [s.source.position for s in studies] == [1, 2, 3]
    first = studies[0]
    assert isinstance(first, TrialRecord)
    assert first.phases == ["PHASE1", "PHASE2"]
    assert first.sponsor == Organization("Phanes Therapeutics")
    assert first.completion_date == PartialDate(2028, 8)
    assert len(first.interventions) == 8
    assert first.interventions[-1].name == "Pembrolizumab + Carboplatin + Pemetrexed"
    last = studies[2]
    assert isinstance(last, TrialRecord)
    assert last.title == "Immunotherapy in MSI/dMMR Tumors in Perioperative Setting."
    assert (last.enrollment, last.conditions) == (240, ["Localized Resectable Tumor", "MSI/dMMR"])
    assert isinstance(notice, ReadNotice)
    assert "2924" in notice.message
    assert "ZVt07cGHkvI2wRk2CJf6_LLq14bEL8swd7KrgP4YnzmVtA" in notice.message


def test_synthetic_fixture_design_interventions_references() -> None:
    record = _one(DATA / "nct01245062_synthetic.json")
    assert record.trial == TrialId("nct", "NCT01245062")
    assert record.design == ["RANDOMIZED", "NONE"]
    assert record.interventions[0] == Intervention("Trametinib", "DRUG")
    assert record.references == [
        Reference(record.references[0].citation, "10.1056/NEJMoa1203421", "22663011", "RESULT")
    ]
    assert record.status is None and record.start_date is None  # no statusModule


def test_full_record_fields() -> None:
    study = _study(
        "NCT01234567",
        identificationModule={
            "nctId": "NCT01234567",
            "briefTitle": "Brief",
            "officialTitle": "Official",
            "secondaryIdInfos": [
                {"id": "2015-001234-56", "type": "EUDRACT_NUMBER"},
                {"id": "DRKS00012345", "type": "REGISTRY", "domain": "DRKS"},
                {"id": "ISRCTN12345678", "type": "REGISTRY"},
                {"id": "NCT01234567"},
                {"id": "ABC-123", "type": "OTHER"},
            ],
        },
        sponsorCollaboratorsModule={
            "leadSponsor": {"name": "Lead", "class": "INDUSTRY"},
            "collaborators": [{"name": "One"}, {"name": "Two"}, {"name": "One"}],
        },
        conditionsModule={"conditions": ["A"], "keywords": ["k1", "k2"]},
        designModule={
            "studyType": "INTERVENTIONAL",
            "phases": ["NA"],
            "designInfo": {
                "allocation": "NA",
                "interventionModel": "SINGLE_GROUP",
                "primaryPurpose": "TREATMENT",
                "maskingInfo": {"masking": "DOUBLE", "whoMasked": ["PARTICIPANT"]},
            },
        },
        armsInterventionsModule={
            "interventions": [{"type": "BIOLOGICAL", "name": "X", "otherNames": ["Y"]}]
        },
        referencesModule={
            "references": [
                {"pmid": "123", "type": "BACKGROUND", "citation": "A. B. C. 2001."},
                {"type": "DERIVED", "citation": "D. doi:10.1000/xyz123)."},
                {"type": "RESULT"},
            ]
        },
        futureModule={"x": 1},
    )
    study["somethingNew"] = True
    (record,) = _read(json.dumps(study))
    assert isinstance(record, TrialRecord)
    assert (record.title, record.official_title) == ("Brief", "Official")
    assert record.secondary_ids == [
        TrialId("eudract", "2015-001234-56"),
        TrialId("drks", "DRKS00012345"),
        TrialId("isrctn", "ISRCTN12345678"),
    ]
    assert record.collaborators == [Organization("One"), Organization("Two")]
    assert record.keywords == ["k1", "k2"]
    assert record.phases == []  # "NA" is no phase
    assert record.design == ["SINGLE_GROUP", "TREATMENT", "DOUBLE"]  # allocation NA dropped
    assert record.interventions == [Intervention("X", "BIOLOGICAL", ("Y",))]
    assert record.references == [
        Reference("A. B. C. 2001.", None, "123", "BACKGROUND"),
        Reference("D. doi:10.1000/xyz123).", "10.1000/xyz123", None, "DERIVED"),
    ]
    assert sorted(f.label for f in record.unknown_fields) == [
        "protocolSection.futureModule", "somethingNew",
    ]  # fmt: skip


def test_bare_array_of_studies() -> None:
    items = _read(json.dumps([_study("NCT00000001"), _study("NCT00000002")]))
    assert [i.trial.value for i in items if isinstance(i, TrialRecord)] == [
        "NCT00000001", "NCT00000002",
    ]  # fmt: skip


def test_large_page_streamed() -> None:
    page = {"studies": [_study(f"NCT{n:08d}") for n in range(1, 501)], "totalCount": 500}
    items = _read(json.dumps(page))
    assert len(items) == 501
    assert items[499].source.position == 500  # type: ignore[union-attr]
    assert isinstance(items[-1], ReadNotice) and "500 studies" in items[-1].message


def test_sniffer_claims_ctgov_only() -> None:
    for parts in (TOCA, PANKU, PAGE):
        reader = detect(shared_path(*parts).read_bytes()[:65536])
        assert reader is not None and reader.name == "ctgov-json"
    others = [*shared_path("samples").rglob("*"), *EXAMPLES.iterdir(), *DATA.parent.rglob("*")]
    for path in sorted(others):
        if path.is_file() and path.suffix != ".md" and path.parent.name != "ctgov":
            assert not READER.sniff(path.read_bytes()[:65536]), path
    assert READER.sniff(b'{"studies": [], "totalCount": 0}')


# --- bad input: always a named error with the study's position, never an exception


def test_empty_random_and_not_json() -> None:
    for data in (b"", bytes(range(256)) * 8, b"<xml/>", b'"just a string"'):
        (error,) = _read(data)
        assert isinstance(error, ReadError), data[:20]
        assert error.source.position == 1


def test_truncated_capture() -> None:
    data = shared_path(*TOCA).read_bytes()
    (error,) = _read(data[: len(data) // 2])
    assert isinstance(error, ReadError) and "truncated" in error.message


def test_truncated_page_keeps_complete_studies() -> None:
    data = shared_path(*PAGE).read_bytes()
    cut = data.index(b'"NCT04795661"')  # inside the third study
    first, second, error = _read(data[:cut])
    assert isinstance(first, TrialRecord) and isinstance(second, TrialRecord)
    assert isinstance(error, ReadError)
    assert error.source.position == 3 and "truncated" in error.message


def test_latin1_bytes_reject_one_study_and_keep_the_others() -> None:
    page = {"studies": [_study("NCT00000001"), _study("NCT00000002"), _study("NCT00000003")]}
    text = json.dumps(page).replace("Study NCT00000002", "Studie f\u00fcr NCT00000002")
    first, bad, last = _read(text.encode("latin-1"))
    assert isinstance(first, TrialRecord) and isinstance(last, TrialRecord)
    assert isinstance(bad, ReadError)
    assert bad.source.position == 2
    assert bad.field == "protocolSection.identificationModule.briefTitle"


def test_missing_nct_or_title_or_protocol() -> None:
    no_nct = _study()
    del no_nct["protocolSection"]["identificationModule"]["nctId"]
    no_title = _study("NCT00000002")
    del no_title["protocolSection"]["identificationModule"]["briefTitle"]
    page = {"studies": [no_nct, no_title, {"derivedSection": {}}, 42, _study("NCT00000005")]}
    missing_nct, untitled, no_protocol, number, good = _read(json.dumps(page))
    assert isinstance(missing_nct, ReadError) and missing_nct.source.position == 1
    assert missing_nct.field == "protocolSection.identificationModule.nctId"
    # A registry record without a title is still the trial's record: kept, with a warning.
    assert isinstance(untitled, TrialRecord) and untitled.title is None
    assert untitled.warnings == ["the study has no briefTitle or officialTitle"]
    assert isinstance(no_protocol, ReadError) and no_protocol.field == "protocolSection"
    assert isinstance(number, ReadError) and number.source.position == 4
    assert isinstance(good, TrialRecord) and good.source.position == 5


def test_bad_values_kept_or_warned() -> None:
    study = _study(
        "NCT123",
        statusModule={"startDateStruct": {"date": "2016-13"}},
        designModule={"enrollmentInfo": {"count": "many"}},
    )
    (record,) = _read(json.dumps(study))
    assert isinstance(record, TrialRecord)
    assert record.trial == TrialId("nct", "NCT123")  # kept, so SHACL names it
    assert record.start_date is None and record.enrollment is None
    assert len(record.warnings) == 2


def test_malformed_nct_rejected_by_shacl(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_study("NCT123")))
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert "NCT followed by 8 digits" in result.stderr


def test_empty_page() -> None:
    (notice, error) = _read(b'{"studies": [], "totalCount": 0}')
    assert isinstance(notice, ReadNotice) and isinstance(error, ReadError)
    assert "no study" in error.message


# --- SHACL, the store and HTTP


def test_ingest_real_captures_and_dereference(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    files = [str(shared_path(*parts)) for parts in (TOCA, PANKU, PAGE)]
    result = run_cli("ingest", "--store", str(store_dir), "--base-uri", BASE, *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 5, skipped: 0 (not articles), rejected: 0 (invalid)" in result.stdout
    assert "2924" in result.stderr  # the more-pages notice
    trial = f"{BASE}trial/nct/NCT02576665"
    store = OxigraphStore(store_dir, read_only=True)
    try:
        assert store.query(f"""
            PREFIX s: <{SCHEMA}>
            PREFIX pub: <{PUB}>
            PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK {{ GRAPH <{BASE}graph/ctgov-json/trial/nct/NCT02576665> {{
                <{trial}> a s:MedicalTrial ;
                    s:identifier [ s:propertyID "ClinicalTrials.gov" ; s:value "NCT02576665" ] ;
                    s:sameAs <https://clinicaltrials.gov/study/NCT02576665> ;
                    s:status "TERMINATED" ;
                    s:startDate "2016-07"^^xsd:gYearMonth ;
                    s:endDate "2019-12-20"^^xsd:date ;
                    pub:trialPhase "PHASE1" ;
                    pub:enrollment 21 ;
                    s:sponsor/s:name "Tocagen Inc." ;
                    s:healthCondition/s:name "Melanoma" .
            }} }}""")
        (row,) = store.query(
            f"SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE {{ ?t a <{SCHEMA}MedicalTrial> }}"
        )  # type: ignore[misc]
        assert int(row[0].value) == 5
    finally:
        store.close()
    process, server = start_server(store_dir)
    try:
        response = httpx.get(
            server.url + "/trial/nct/NCT02576665", headers={"Accept": "text/turtle"}, timeout=30
        )
    finally:
        stop_server(process)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    subject = URIRef(trial)
    assert (subject, URIRef(SCHEMA + "name"), None) in graph
    title = graph.value(subject, URIRef(SCHEMA + "name"))
    assert isinstance(title, Literal) and str(title).startswith("A Study of Toca 511")
    assert (subject, URIRef(SCHEMA + "sameAs"), URIRef(
        "https://clinicaltrials.gov/study/NCT02576665")) in graph  # fmt: skip


def test_unknown_field_reported_on_ingest(tmp_path: Path) -> None:
    study = _study("NCT00000001")
    study["somethingNew"] = {"a": 1}
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study))
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "unknown field 'somethingNew'" in result.stderr  # a warning, not a rejection
