"""The Web of Science tagged-export reader, on the shared sample, our fixture and broken files.

Expected values were read off the files by hand (`shared/samples/ris/rispy_example_wos.txt`,
`tests/data/wos/several.txt`, `tests/data/wos/jabref_isi_medline.isi`; the fixture
several.txt is written by us in the export's layout, its
UT and award numbers made up, the ORCID iD ORCID's documented test iD).
"""

from __future__ import annotations

import io
from pathlib import Path

from conftest import REPO, SHARED, run_cli, shared_path
from pyoxigraph import Literal

from publisher.mapping.records import RecordMapper
from publisher.model import Funding, Organization, PartialDate, Person, ReadError, Record, Skipped
from publisher.readers.base import ReadItem
from publisher.readers.registry import read_file
from publisher.readers.wos import WosReader
from publisher.store.oxigraph import OxigraphStore

READER = WosReader()
FIXTURE = REPO / "tests" / "data" / "wos" / "several.txt"


def _read(data: bytes, path: str = "savedrecs.txt") -> list[ReadItem]:
    return list(READER.read(io.BytesIO(data), path))


def _record(item: ReadItem) -> Record:
    assert isinstance(item, Record), item
    return item


def _sample() -> Path:
    return shared_path("samples", "ris", "rispy_example_wos.txt")


def test_rispy_wos_sample() -> None:
    first, second = (_record(i) for i in _read(_sample().read_bytes(), str(_sample())))
    assert (first.source.position, first.source.line) == (1, 3)
    assert (second.source.position, second.source.line) == (2, 112)
    assert first.title == (
        "Interactions stabilizing the structure of the core light-harvesting complex (LHl) "
        "of photosynthetic bacteria and its subunit (B820)"
    )  # two lines joined
    assert [a.name for a in first.authors] == [
        "PS Parkes-Loach", "AP Majeed", "CJ Law", "PA Loach",
    ]  # fmt: skip
    assert first.periodical is not None
    assert first.periodical.name == "BIOCHEMISTRY"
    assert (first.periodical.issns, first.periodical.abbreviation) == (
        ("0006-2960",),
        "Biochemistry",
    )
    assert first.date == PartialDate(2004, 6, 8)  # PD JUN 8, PY 2004
    assert (first.volume, first.issue, first.page_start, first.page_end) == (
        "43", "22", "7003", "7016",
    )  # fmt: skip
    assert first.doi == "10.1021/bi049798f"
    assert first.pmid == "15170338"
    assert first.source_id == "WOS:000221807500019"
    assert first.languages == ["en"]
    assert first.formats == ["Article"]
    assert len(first.subjects) == 10  # ID, over four lines
    assert first.abstract is not None and first.abstract.startswith("Reconstitution experiments")
    assert len(second.authors) == 9
    assert second.authors[-1] == Person("PM Champion", "Champion", "PM")
    assert second.funding == [
        Funding(Organization("NIGMS NIH HHS"), ("GM-52002",)),
        Funding(Organization("NIDDK NIH HHS"), ("DK035090",)),
    ]


def test_own_fixture() -> None:
    record, book, untitled = _read(FIXTURE.read_bytes(), str(FIXTURE))
    record = _record(record)
    assert record.authors == [
        Person("Paul M. O'Byrne", "O'Byrne", "Paul M.", "0000-0002-1825-0097",
               ("McMaster Univ, Hamilton, ON, Canada.",)),
        Person("J. Mark FitzGerald", "FitzGerald", "J. Mark", None,
               ("Univ British Columbia, Vancouver, BC, Canada.",)),
        Person("Eric D. Bateman", "Bateman", "Eric D.", None,
               ("Univ British Columbia, Vancouver, BC, Canada.",
                "Univ Cape Town, Cape Town, South Africa.")),
        Organization("SYGMA 1 Investigators"),
    ]  # fmt: skip
    assert any("0000-0002-1825-0098" in w for w in record.warnings)  # bad check digit
    assert record.periodical is not None
    assert record.periodical.issns == ("0028-4793", "1533-4406")  # SN and EI
    assert record.date == PartialDate(2018, 5, 17)
    assert record.funding[0] == Funding(Organization("AstraZeneca"), ("D589SC00003", "D589SC00004"))
    assert record.subjects == ["asthma", "budesonide-formoterol", "INHALED CORTICOSTEROIDS"]
    assert [f.label for f in record.unknown_fields] == ["FX"]  # scanned for NCT02149199
    assert isinstance(book, Skipped) and book.field == "PT" and "book" in book.message
    assert isinstance(untitled, ReadError) and untitled.field == "TI"
    assert (untitled.source.position, untitled.source.line) == (3, 46)


def test_sniffer_claims_wos_only() -> None:
    assert READER.sniff(FIXTURE.read_bytes())
    for path in sorted(SHARED.glob("samples/**/*")) if SHARED.exists() else []:
        if path.is_file():
            expected = path.name == "rispy_example_wos.txt"
            assert READER.sniff(path.read_bytes()[: 64 * 1024]) == expected, path


def test_empty_random_truncated_and_latin1() -> None:
    (empty,) = _read(b"")
    assert isinstance(empty, ReadError) and "empty" in empty.message
    (garbage,) = _read(bytes(range(256)) * 8)
    assert isinstance(garbage, ReadError)
    data = _sample().read_bytes()
    first, cut = _read(data[: len(data) * 3 // 4])  # inside the second record
    assert isinstance(first, Record)
    assert isinstance(cut, ReadError) and cut.field == "ER" and cut.source.position == 2
    latin1 = FIXTURE.read_bytes().replace(b"Hamilton", b"H\xe4milton")
    bad, book, untitled = _read(latin1)
    assert isinstance(bad, ReadError) and bad.field == "C1" and "line 20" in bad.message
    assert isinstance(book, Skipped) and isinstance(untitled, ReadError)


def test_ingest_sample_end_to_end(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--quarantine", str(tmp_path / "q"), str(_sample())
    )
    assert "published: 2" in result.stdout, result.stderr
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK { <http://127.0.0.1:8000/article/doi/10.1021/bi049798f>
                a <https://schema.org/ScholarlyArticle> ;
                <https://schema.org/datePublished> "2004-06-08"^^xsd:date ;
                <https://schema.org/sameAs> <https://pubmed.ncbi.nlm.nih.gov/15170338/> ;
                <https://schema.org/isPartOf> ?issue .
              ?issue <https://schema.org/issueNumber> "22" .
              GRAPH <http://127.0.0.1:8000/graph/wos-tagged/id/WOS:000221807500019> {
                ?s ?p ?o } }"""
        )
    finally:
        opened.close()


def test_ingest_sample_accepts_every_record(tmp_path: Path) -> None:
    result = run_cli(
        "ingest",
        "--store",
        str(tmp_path / "s"),
        "--quarantine",
        str(tmp_path / "q"),
        str(_sample()),
    )
    assert result.returncode == 0, result.stdout + result.stderr


MEDLINE_EXPORT = REPO / "tests" / "data" / "wos" / "jabref_isi_medline.isi"


def test_medline_sourced_export_authors_pages_and_pmid() -> None:
    """JabRef's real MEDLINE-sourced export: seven authors on one `AU` line, `PS 411-22`
    (MEDLINE's abbreviation of 411-422) and the PMID only in `UT MEDLINE:16735938`."""
    first, second = (_record(i) for i in read_file(MEDLINE_EXPORT))  # auto-detected
    assert [(a.family_name, a.given_name) for a in second.authors] == [
        ("Joffe", "Hadine"), ("Hall", "Janet E"), ("Gruber", "Staci"),
        ("Sarmiento", "Ingrid A"), ("Cohen", "Lee S"), ("Yurgelun-Todd", "Deborah"),
        ("Martin", "Kathryn A"),
    ]  # fmt: skip
    assert all(isinstance(a, Person) for a in second.authors)
    assert (second.page_start, second.page_end, second.pagination) == ("411", "422", None)
    assert second.pmid == "16735938"
    assert (first.page_start, first.page_end, first.pmid) == ("2457", "2471", "16842170")
    assert [a.name for a in first.authors] == ["Nancy J Wesensten"]
    article = RecordMapper("http://example.org/").map(second)
    pages = {(t.predicate.value, t.object) for t in article.triples if "page" in t.predicate.value}
    # Pages are text: "411", never 411 as a number.
    assert pages == {
        ("https://schema.org/pageStart", Literal("411")),
        ("https://schema.org/pageEnd", Literal("422")),
    }
