"""The Crossref REST API works reader, on the shared sample, our own fixtures and broken files.

Expected values were read off the files by hand. The fixtures under
`tests/data/crossref/` are written by us in the field shapes the API returns
(`work_list.json`: a `/works` page; `work_trial_funder_orcid.json`: a `/works/{doi}`
response with `clinical-trial-number`, `funder` with award numbers, ORCID iDs and
affiliations). Their article facts come from the seed article and the shared samples;
the funder awards and affiliations are made up, and the ORCID iD 0000-0002-1825-0097 is
ORCID's documented test iD (Josiah Carberry).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import REPO, SHARED, run_cli, shared_path

from publisher.model import (
    Funding,
    Organization,
    PartialDate,
    Person,
    ReadError,
    ReadNotice,
    Record,
    Skipped,
    TrialId,
)
from publisher.readers.base import ReadItem
from publisher.readers.crossref import CrossrefReader
from publisher.readers.registry import READERS
from publisher.store.oxigraph import OxigraphStore

READER = CrossrefReader()
DATA = REPO / "tests" / "data" / "crossref"
WORK_LIST = DATA / "work_list.json"
TRIAL_WORK = DATA / "work_trial_funder_orcid.json"
LAUSANNE = "Department of Plant Molecular Biology, University of Lausanne, Lausanne, Switzerland"


def _read(data: bytes, path: str = "file.json") -> list[ReadItem]:
    return list(READER.read(io.BytesIO(data), path))


def _record(item: ReadItem) -> Record:
    assert isinstance(item, Record), item
    return item


def _sample() -> bytes:
    return shared_path("samples", "crossref", "crossref_work_elife.01567_message.json").read_bytes()


def _check_elife(record: Record) -> None:
    assert record.title == (
        "Automated quantitative histology reveals vascular morphodynamics during "
        "Arabidopsis hypocotyl secondary growth"
    )
    assert len(record.authors) == 5
    assert record.authors[0] == Person("Martial Sankar", "Sankar", "Martial", None, (LAUSANNE,))
    last = record.authors[-1]
    assert isinstance(last, Person) and (last.family_name, last.given_name) == (
        "Hardtke",
        "Christian S",
    )
    xenarios = record.authors[3]
    assert isinstance(xenarios, Person)
    assert xenarios.affiliations == (
        "Vital-IT, Swiss Institute of Bioinformatics, Lausanne, Switzerland",
    )
    assert record.periodical is not None
    assert (record.periodical.name, record.periodical.issns) == ("eLife", ("2050-084X",))
    assert record.volume == "3" and record.issue is None and record.page_start is None
    assert record.date == PartialDate(2014, 2, 11)
    assert record.doi == "10.7554/elife.01567"
    assert record.languages == ["en"]
    assert record.subjects == [
        "General Immunology and Microbiology",
        "General Biochemistry, Genetics and Molecular Biology",
        "General Medicine",
        "General Neuroscience",
    ]
    assert record.abstract is not None
    assert record.abstract.startswith("Among various advantages, their small size")
    assert "<jats:" not in record.abstract
    assert record.links == ["https://elifesciences.org/articles/01567"]


def test_bare_message_sample() -> None:
    (item,) = _read(_sample())
    record = _record(item)
    _check_elife(record)
    # Eight funder entries, two of them repeated: six funders, Funder Registry DOIs kept.
    assert record.funding == [
        Funding(Organization("SystemsX")),
        Funding(Organization("EMBO longterm post-doctoral fellowships")),
        Funding(Organization("Marie Heim-Voegtlin")),
        Funding(Organization("University of Lausanne", ("https://doi.org/10.13039/501100006390",))),
        Funding(Organization("EMBO", ("https://doi.org/10.13039/501100003043",))),
        Funding(
            Organization(
                "Swiss National Science Foundation", ("https://doi.org/10.13039/501100001711",)
            )
        ),
    ]
    assert record.warnings == [] and record.unknown_fields == []


def test_envelope_and_arrays_of_the_sample() -> None:
    message = json.loads(_sample())
    envelope = {
        "status": "ok",
        "message-type": "work",
        "message-version": "1.0.0",
        "message": message,
    }
    for shape in (envelope, [message, message], {"items": [message]}):
        data = json.dumps(shape).encode()
        assert [name for name, r in READERS.items() if r.sniff(data)] == ["crossref-json"]
        items = _read(data)
        assert items and all(isinstance(i, Record) for i in items)
        _check_elife(_record(items[0]))


def test_work_with_trial_funder_and_orcid() -> None:
    (item,) = _read(TRIAL_WORK.read_bytes(), str(TRIAL_WORK))
    record = _record(item)
    assert record.title is not None and record.title.endswith("Immunotherapy: A Case Report")
    assert record.publication_types == ["Case Reports"]
    htun, gong, ma, group, chen = record.authors
    assert isinstance(htun, Person) and htun.affiliations == (
        "Department of Hematology, Southwest Hospital, Third Military Medical University "
        "(Army Medical University), Chongqing, China",
    )
    assert gong == Person("Qiang Gong", "Gong", "Qiang", "0000-0002-1825-0097")
    assert isinstance(ma, Person) and ma.orcid is None  # check digit wrong: warned, dropped
    assert any("0000-0002-1825-0098" in w for w in record.warnings)
    assert group == Organization("CAR-T Study Group")  # `name` only
    assert isinstance(chen, Person) and len(chen.affiliations) == 2
    assert record.trials == [TrialId("nct", "NCT02349698")]  # "nct02349698", normalised
    assert any("ChiCTR-OIC-17011272" in w for w in record.warnings)  # a registry we lack
    assert record.funding == [
        Funding(
            Organization(
                "National Natural Science Foundation of China",
                ("https://doi.org/10.13039/501100001809",),
            ),
            ("81770211", "82070199"),  # listed twice, awards merged
        ),
        Funding(Organization("Chongqing Science and Technology Commission")),
    ]
    assert record.date == PartialDate(2021, 8, 5)
    assert record.page_start == "699946"  # article-number
    assert record.periodical is not None and record.periodical.abbreviation == "Front. Oncol."
    assert record.abstract == (
        "In recent decades, survival was significantly improved in B cell acute lymphoblastic "
        "leukemia (B-ALL) patients.\n"
        "Clinical Trial Registration: ClinicalTrials.gov Identifier: NCT02349698."
    )


def test_work_list_page() -> None:
    items = _read(WORK_LIST.read_bytes(), str(WORK_LIST))
    first, chapter, third, notice = items
    assert _record(first).doi == "10.7554/elife.01567" and first.source.position == 1
    assert isinstance(chapter, Skipped) and chapter.field == "type" and chapter.source.position == 2
    assert "book-chapter" in chapter.message
    record = _record(third)
    assert record.source.position == 3
    # Listed order kept; a warning says the "first" author is listed second.
    assert record.authors == [
        Organization("Global Initiative for Asthma"),
        Person("Paul M. O'Byrne", "O'Byrne", "Paul M."),
    ]
    assert any("sequence 'first'" in w for w in record.warnings)
    assert (record.volume, record.issue, record.page_start, record.page_end) == (
        "378", "20", "1865", "1876",
    )  # fmt: skip
    assert record.periodical is not None
    assert record.periodical.issns == ("0028-4793", "1533-4406")
    assert record.date == PartialDate(2018, 5, 17)  # issued, no `published`
    assert (
        isinstance(notice, ReadNotice) and "1234" in notice.message and "cursor" in notice.message
    )


def test_sniffer_tells_crossref_from_csl_and_ctgov() -> None:
    for path in (WORK_LIST, TRIAL_WORK):
        assert READER.sniff(path.read_bytes())
    for path in sorted(SHARED.glob("samples/**/*")) if SHARED.exists() else []:
        if path.is_file():
            expected = path.suffix == ".json" and path.parent.name == "crossref"
            assert READER.sniff(path.read_bytes()[: 64 * 1024]) == expected, path


# --- bad input ------------------------------------------------------------------------------


def test_empty_random_and_failed_responses() -> None:
    (empty,) = _read(b"")
    assert isinstance(empty, ReadError) and "empty" in empty.message
    (garbage,) = _read(bytes(range(256)) * 8)
    assert isinstance(garbage, ReadError) and "JSON" in garbage.message
    failed = (
        b'{"status": "failed", "message-type": "validation-failure", "message": [{"type": "x"}]}'
    )
    (error,) = _read(failed)
    assert isinstance(error, ReadError) and error.field == "status" and "failed" in error.message
    empty_page = (
        b'{"status": "ok", "message-type": "work-list",'
        b' "message": {"total-results": 0, "items": []}}'
    )
    notice, no_work = _read(empty_page)
    assert isinstance(notice, ReadNotice)
    assert isinstance(no_work, ReadError) and "no work" in no_work.message


def test_truncated_page_keeps_the_works_before_the_cut() -> None:
    data = WORK_LIST.read_bytes()
    items = _read(data[: data.index(b"Global Initiative")])  # inside the third work
    first, chapter, cut = items
    assert isinstance(first, Record) and isinstance(chapter, Skipped)
    assert isinstance(cut, ReadError) and "truncated" in cut.message and cut.source.position == 3
    (half,) = _read(_sample()[: len(_sample()) // 2])
    assert isinstance(half, ReadError) and "truncated" in half.message


def test_latin1_bytes_reject_only_their_work() -> None:
    message = json.loads(_sample())
    second = {**message, "title": ["Caf\u00e9 au lait"]}
    data = json.dumps([message, second, message], ensure_ascii=False).encode()
    data = data.replace("Caf\u00e9".encode(), b"Caf\xe9")
    first, bad, third = _read(data)
    assert isinstance(first, Record) and isinstance(third, Record)
    assert isinstance(bad, ReadError) and bad.field == "title[0]" and bad.source.position == 2


def test_work_without_title() -> None:
    message = json.loads(_sample())
    message["title"] = []
    (item,) = _read(json.dumps(message).encode())
    assert isinstance(item, ReadError) and item.field == "title" and item.source.position == 1


def test_works_are_read_one_at_a_time() -> None:
    work = _sample()
    stream = io.BytesIO(b'{"items": [' + b",".join([work] * 300) + b"]}")
    first = next(READER.read(stream, "big.json"))
    assert isinstance(first, Record)
    assert stream.tell() < len(stream.getvalue()) / 10


# --- end to end -----------------------------------------------------------------------------


def test_ingest_sample_end_to_end(tmp_path: Path) -> None:
    path = shared_path("samples", "crossref", "crossref_work_elife.01567_message.json")
    store = tmp_path / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--quarantine", str(tmp_path / "q"), str(path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK { <http://127.0.0.1:8000/article/doi/10.7554/elife.01567>
                a <https://schema.org/ScholarlyArticle> ;
                <https://schema.org/datePublished> "2014-02-11"^^xsd:date ;
                <https://schema.org/funder> ?snsf ;
                <https://schema.org/author> ?sankar .
              ?snsf <https://schema.org/name> "Swiss National Science Foundation" ;
                <https://schema.org/sameAs> <https://doi.org/10.13039/501100001711> .
              ?sankar <https://schema.org/familyName> "Sankar" ;
                <https://schema.org/affiliation> / <https://schema.org/name> ?affiliation }"""
        )
    finally:
        opened.close()


def test_ingest_work_list_end_to_end(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--quarantine", str(tmp_path / "q"), str(WORK_LIST)
    )
    assert result.returncode == 0  # the book chapter is skipped, not rejected
    assert "published: 2, skipped: 1 (not articles), rejected: 0" in result.stdout
    assert "1234" in result.stdout + result.stderr  # the page notice


def test_ingest_trial_funder_fixture_end_to_end(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--quarantine", str(tmp_path / "q"), str(TRIAL_WORK)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK { <http://127.0.0.1:8000/article/doi/10.3389/fonc.2021.699946>
                <https://schema.org/mentions> <http://127.0.0.1:8000/trial/nct/NCT02349698> ;
                <https://schema.org/author> ?gong .
              ?gong <https://schema.org/sameAs> <https://orcid.org/0000-0002-1825-0097> }"""
        )
    finally:
        opened.close()
