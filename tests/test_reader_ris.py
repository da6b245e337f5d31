"""The RIS reader, on the shared samples, our own fixture and broken files.

Expected values were read off the files by hand (`shared/samples/ris/*.ris`,
`tests/data/ris/several.ris`).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import REPO, SHARED, run_cli, shared_path

from publisher.mapping.vocab import PUB
from publisher.model import Organization, PartialDate, Person, ReadError, Record, Skipped
from publisher.readers.base import ReadItem
from publisher.readers.registry import READERS, detect, read_file
from publisher.readers.ris import RisReader, parse_ris_date
from publisher.store.oxigraph import OxigraphStore

READER = RisReader()
FIXTURE = REPO / "tests" / "data" / "ris" / "several.ris"


def _read(data: bytes, path: str = "file.ris") -> list[ReadItem]:
    return list(READER.read(io.BytesIO(data), path))


def _record(item: ReadItem) -> Record:
    assert isinstance(item, Record), item
    return item


def test_bolognese_crossref_sample() -> None:
    path = shared_path("samples", "ris", "bolognese_crossref.ris")
    (item,) = _read(path.read_bytes(), str(path))
    record = _record(item)
    assert record.title == (
        "Automated quantitative histology reveals vascular morphodynamics during "
        "Arabidopsis hypocotyl secondary growth"
    )
    assert [(a.family_name, a.given_name) for a in record.authors if isinstance(a, Person)] == [
        ("Sankar", "Martial"), ("Nieminen", "Kaisa"), ("Ragni", "Laura"),
        ("Xenarios", "Ioannis"), ("Hardtke", "Christian S"),
    ]  # fmt: skip
    assert record.periodical is not None
    assert record.periodical.name == "eLife"
    assert record.periodical.issns == ("2050-084X",)  # written "2050084X" in the file
    assert record.doi == "10.7554/eLife.01567"
    assert record.date == PartialDate(2014)
    assert (record.volume, record.issue, record.page_start) == ("3", None, None)
    assert record.abstract is not None and record.abstract.startswith("Among various advantages")
    assert record.links == ["http://elifesciences.org/lookup/doi/10.7554/eLife.01567"]
    assert (record.source.position, record.source.line) == (1, 1)
    assert record.warnings == [] and record.unknown_fields == []


def test_rispy_example_full_two_numbered_records() -> None:
    path = shared_path("samples", "ris", "rispy_example_full.ris")
    first, second = (_record(i) for i in _read(path.read_bytes(), str(path)))
    assert (first.source.position, first.source.line) == (1, 2)  # line 1 is "1."
    assert (second.source.position, second.source.line) == (2, 27)
    assert first.title == "Title of reference"
    assert first.authors == [
        Person("Karl Marx", "Marx", "Karl"),
        Person("Astrid Lindgren", "Lindgren", "Astrid"),
    ]
    assert first.contributors == [Person("Daniel Glattauer", "Glattauer", "Daniel")]  # A2
    assert first.date == PartialDate(2014)  # Y1 "2014//"
    assert first.periodical is not None
    assert (first.periodical.name, first.periodical.abbreviation) == ("Lorem", "lorem")
    assert first.periodical.issns == ("1932-6208",)  # kept: validation names its check digit
    assert (first.volume, first.issue, first.page_start) == ("9", "3", "e0815")
    assert first.subjects == ["Pippi", "Nordwind", "Piraten"]
    assert first.abstract is not None and first.abstract.startswith("BACKGROUND: Lorem ipsum")  # N2
    assert first.source_id == "12345"
    assert {f.label for f in first.unknown_fields} == {"CY", "PB", "M1"}
    assert second.title == "The title of the reference"
    assert second.date == PartialDate(2006)
    # Both records say ID 12345: the second must not take over the first one's graph.
    assert second.source_id is None
    assert any("12345" in w for w in second.warnings)


def test_own_fixture_every_field() -> None:
    items = _read(FIXTURE.read_bytes(), str(FIXTURE))
    assert len(items) == 5
    first = _record(items[0])
    assert first.title is not None and first.title.endswith("Immunotherapy: A Case Report")
    assert len(first.authors) == 7
    assert first.authors[0] == Person("Kyaw Thu Htun", "Htun", "Kyaw Thu")
    assert first.authors[-1] == Person("Jieping Chen", "Chen", "Jieping")
    assert first.periodical is not None
    assert first.periodical.name == "Frontiers in oncology"  # T2
    assert first.periodical.abbreviation == "Front Oncol"  # J2
    assert first.periodical.issns == ("2234-943X",)  # twice in SN, once kept; the ISBN is not
    assert any("978-3-16-148410-0" in w for w in first.warnings)
    assert first.date == PartialDate(2021, 8, 5)  # PY gives the year, DA the day
    assert first.doi == "10.3389/fonc.2021.699946"  # from the doi.org UR link
    assert first.links == ["https://www.frontiersin.org/articles/10.3389/fonc.2021.699946/full"]
    assert first.languages == ["en"]
    assert first.subjects == ["CAR-T", "acute lymphoblastic leukemia"]
    assert first.abstract == (
        "In recent decades, survival was significantly improved in B cell acute "
        "lymphoblastic leukemia (B-ALL) patients."
    )  # the wrapped line is joined
    assert first.publication_types == ["Case Reports"]
    assert first.source_id == "fonc.2021.699946"  # AN
    assert [f.label for f in first.unknown_fields] == ["N1"]  # scanned by the mapper for trials

    book, legal_case, untitled = items[1:4]
    assert isinstance(book, Skipped) and book.field == "TY" and "BOOK" in book.message
    assert isinstance(legal_case, Skipped) and legal_case.field == "TY"
    assert "legal case" in legal_case.message  # RIS CASE is a court case, not a case report
    assert isinstance(untitled, ReadError) and untitled.field == "TI"
    assert (untitled.source.position, untitled.source.line) == (4, 38)

    last = _record(items[4])
    assert last.authors == [
        Person("Paul M O'Byrne", "O'Byrne", "Paul M"),
        Organization("World Health Organization"),  # a name without a comma
        Person("J Mark FitzGerald Jr.", "FitzGerald", "J Mark"),  # Family, Given, Suffix
    ]
    assert last.periodical is not None and last.periodical.issns == ("0028-4793", "1533-4406")
    assert (last.volume, last.issue, last.page_start, last.page_end) == (
        "378",
        "20",
        "1865",
        "1876",
    )
    assert last.doi == "10.1056/NEJMoa1715274"
    assert last.date == PartialDate(2018, 5, 17)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014///", PartialDate(2014)),
        ("2014/02/11/", PartialDate(2014, 2, 11)),
        ("2014/02//", PartialDate(2014, 2)),
        ("2014/02/11/Spring", PartialDate(2014, 2, 11)),
        ("2014-02-11", PartialDate(2014, 2, 11)),
        ("2014/02/30/", None),
        ("Spring 2014", None),
    ],
)
def test_ris_dates_keep_their_precision(text: str, expected: PartialDate | None) -> None:
    assert parse_ris_date(text) == expected


def test_sniffer_claims_ris_only() -> None:
    assert READERS["ris"].sniff(FIXTURE.read_bytes())
    for path in sorted(SHARED.glob("samples/**/*")) if SHARED.exists() else []:
        if path.is_file():
            claimed = READER.sniff(path.read_bytes()[: 64 * 1024])
            assert claimed == (path.suffix == ".ris"), path


def test_web_of_science_export_is_not_claimed() -> None:
    path = shared_path("samples", "ris", "rispy_example_wos.txt")
    assert not READER.sniff(path.read_bytes())
    detected = detect(path.read_bytes())  # not RIS: the Web of Science reader's
    assert detected is not None and detected.name == "wos-tagged"


# --- bad input ------------------------------------------------------------------------------


def test_empty_and_random_bytes() -> None:
    (empty,) = _read(b"")
    assert isinstance(empty, ReadError) and "empty" in empty.message
    (garbage,) = _read(bytes(range(256)) * 8)
    assert isinstance(garbage, ReadError) and "TY" in garbage.message
    assert not READER.sniff(bytes(range(256)) * 8)


def test_truncated_file_keeps_the_records_before_the_cut() -> None:
    data = FIXTURE.read_bytes()
    items = _read(data[: data.index(b"TI  - Inhaled") + 20])  # cut inside the last record
    assert [type(i).__name__ for i in items] == [
        "Record",
        "Skipped",
        "Skipped",
        "ReadError",
        "ReadError",
    ]
    cut = items[-1]
    assert isinstance(cut, ReadError) and cut.field == "ER" and "truncated" in cut.message
    assert (cut.source.position, cut.source.line) == (5, 44)


def test_record_without_end_line_does_not_swallow_the_next() -> None:
    data = b"TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n"
    broken, good = _read(data)
    assert isinstance(broken, ReadError) and broken.field == "ER" and "line 3" in broken.message
    assert _record(good).title == "Two" and good.source.position == 2


def test_latin1_bytes_reject_only_their_record() -> None:
    data = (
        b"TY  - JOUR\nTI  - First good record\nER  - \n"
        b"TY  - JOUR\nTI  - Caf\xe9 au lait\nER  - \n"
        b"TY  - JOUR\nTI  - Third good record\nER  - \n"
    )
    first, bad, third = _read(data)
    assert _record(first).title == "First good record"
    assert isinstance(bad, ReadError) and bad.field == "TI"
    assert (bad.source.position, bad.source.line) == (2, 4) and "line 5" in bad.message
    assert _record(third).title == "Third good record"


def test_records_are_read_one_at_a_time() -> None:
    record = FIXTURE.read_bytes().split(b"\n\n")[0] + b"\n\n"
    stream = io.BytesIO(record * 5000)
    first = next(READER.read(stream, "big.ris"))
    assert isinstance(first, Record)
    assert stream.tell() < len(stream.getvalue()) / 100  # not read to the end first


def test_gzip_and_registry(tmp_path: Path) -> None:
    import gzip

    packed = tmp_path / "several.ris.gz"
    packed.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    items = list(read_file(packed))
    assert len(items) == 5 and isinstance(items[0], Record)


# --- end to end -----------------------------------------------------------------------------


def test_ingest_sample_end_to_end(tmp_path: Path) -> None:
    path = shared_path("samples", "ris", "bolognese_crossref.ris")
    store = tmp_path / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--quarantine", str(tmp_path / "q"), str(path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 1" in result.stdout
    opened = OxigraphStore(store, read_only=True)
    try:
        article = "<http://127.0.0.1:8000/article/doi/10.7554/elife.01567>"
        assert opened.query(
            f"""PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK {{ {article} a <https://schema.org/ScholarlyArticle> ;
                <https://schema.org/datePublished> "2014"^^xsd:gYear ;
                <https://schema.org/isPartOf> ?volume .
              ?volume <https://schema.org/volumeNumber> "3" ;
                <https://schema.org/isPartOf> <http://127.0.0.1:8000/periodical/issn/2050-084X> .
              <http://127.0.0.1:8000/periodical/issn/2050-084X> <https://schema.org/name> "eLife" .
              GRAPH ?g {{ ?g <{PUB}sourceFormat> "ris" }} }}"""
        )
        rows = list(
            opened.query(
                f"""SELECT ?family WHERE {{ {article} <http://purl.org/ontology/bibo/authorList>
                    / <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> ?first .
                    ?first <https://schema.org/familyName> ?family }}"""
            )  # type: ignore[arg-type]
        )
        assert [row[0].value for row in rows] == ["Sankar"]
    finally:
        opened.close()


def test_ingest_rispy_sample_names_bad_issn(tmp_path: Path) -> None:
    """The rispy sample's ISSNs (1932-6208, 1732-4208) have wrong check digits."""
    path = shared_path("samples", "ris", "rispy_example_full.ris")
    result = run_cli(
        "ingest", "--store", str(tmp_path / "s"), "--quarantine", str(tmp_path / "q"), str(path)
    )
    assert result.returncode == 1
    assert "rejected: 2" in result.stdout
    assert "1932-6208" in result.stderr and "schema:issn" in result.stderr


def test_fixture_trial_from_notes_reaches_the_store(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--quarantine", str(tmp_path / "q"), str(FIXTURE)
    )
    assert result.returncode == 1  # the untitled record is rejected; BOOK and CASE skipped
    assert "published: 2, skipped: 2 (not articles), rejected: 1 (invalid)" in result.stdout
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK { <http://127.0.0.1:8000/article/doi/10.3389/fonc.2021.699946>
                a <https://schema.org/MedicalScholarlyArticle> ;
                <https://schema.org/mentions> <http://127.0.0.1:8000/trial/nct/NCT02349698> }"""
        )
    finally:
        opened.close()


RIS_BUG = REPO / "tests" / "data" / "real" / "ris" / "commonmeta_ris_bug.ris"


def test_a_start_tag_with_misplaced_spaces_still_starts_a_record() -> None:
    """commonmeta's ris_bug.ris opens with `TY -  BOOK`: detected as RIS and read, so the
    book is skipped as a book, not the file rejected as unrecognised."""
    assert detect(RIS_BUG.read_bytes()) is READERS["ris"]
    (item,) = list(read_file(RIS_BUG))
    assert isinstance(item, Skipped) and "BOOK" in item.message
    loose = b"TY - JOUR\nTI  - A title\nJO  - A journal\nER -\n"
    (record,) = list(RisReader().read(io.BytesIO(loose), "loose.ris"))
    assert isinstance(record, Record) and record.title == "A title"
