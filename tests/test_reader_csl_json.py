"""The CSL-JSON reader, on the shared samples, our own fixture and broken files.

Expected values were read off the files by hand (`shared/samples/csl/*.json`,
`tests/data/csl/items.json`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import REPO, SHARED, run_cli, shared_path

from publisher.model import Organization, PartialDate, Person, ReadError, Record, Skipped
from publisher.readers.base import ReadItem
from publisher.readers.csl_json import CslJsonReader
from publisher.store.oxigraph import OxigraphStore

READER = CslJsonReader()
FIXTURE = REPO / "tests" / "data" / "csl" / "items.json"


def _read(data: bytes, path: str = "file.json") -> list[ReadItem]:
    return list(READER.read(io.BytesIO(data), path))


def _record(item: ReadItem) -> Record:
    assert isinstance(item, Record), item
    return item


def test_csl_list_sample() -> None:
    path = shared_path("samples", "csl", "csl-list.json")
    items = _read(path.read_bytes(), str(path))
    assert len(items) == 17
    assert [i.source.position for i in items] == list(range(1, 18))
    first = _record(items[0])
    assert first.title == (
        "Changes in Data Sharing and Data Reuse Practices and Perceptions among "
        "Scientists Worldwide"
    )
    assert len(first.authors) == 8
    assert first.authors[0] == Person("Carol Tenopir", "Tenopir", "Carol")
    assert first.authors[-1] == Person("Kristina Dorsett", "Dorsett", "Kristina")
    assert first.periodical is not None
    assert (first.periodical.name, first.periodical.issns) == ("PLOS ONE", ("1932-6203",))
    assert (first.volume, first.issue, first.page_start, first.page_end) == (
        "10", "8", "e0134826", None,
    )  # fmt: skip
    assert first.date == PartialDate(2015, 8, 26)  # date-parts [["2015", 8, 26]]
    assert first.doi == "10.1371/journal.pone.0134826"
    assert first.source_id == "tenopirChangesDataSharing2015"
    assert first.abstract is not None and first.abstract.startswith("The incorporation of data")

    book = items[1]
    assert isinstance(book, Skipped) and book.field == "type" and "'book'" in book.message

    two_issns = _record(items[5])
    assert two_issns.periodical is not None
    assert two_issns.periodical.issns == ("1006-4982", "1995-8196")  # "1006-4982, 1995-8196"
    assert (two_issns.page_start, two_issns.page_end) == ("317", "323")
    assert two_issns.languages == ["en"]
    assert _record(items[6]).date == PartialDate(2015, 4)  # month precision
    assert _record(items[4]).languages == ["en"]  # "eng"
    assert _record(items[15]).date == PartialDate(2013)  # year precision
    pmid_in_note = _record(items[13])
    assert pmid_in_note.pmid == "25992719"  # note "PMID: 25992719"
    assert pmid_in_note.languages == ["en"]  # "English"
    assert all(isinstance(i, Record) for n, i in enumerate(items) if n != 1)


def test_single_item_sample_of_another_type_is_skipped_naming_type() -> None:
    path = shared_path("samples", "csl", "bolognese_citeproc.json")
    (item,) = _read(path.read_bytes(), str(path))
    assert isinstance(item, Skipped) and item.field == "type"
    assert "post-weblog" in item.message and item.source.position == 1


def test_own_fixture_every_field() -> None:
    items = _read(FIXTURE.read_bytes(), str(FIXTURE))
    first = _record(items[0])
    assert first.authors == [
        Person("Kyaw Thu Htun", "Htun", "Kyaw Thu", "0000-0002-1825-0097"),
        Person("Qiang Gong", "Gong", "Qiang"),  # ORCID with a wrong check digit: dropped
        Organization("CAR-T Study Group"),  # literal only
        Person("Vincent van Gogh Jr.", "van Gogh", "Vincent"),  # particle and suffix
    ]
    assert any("0000-0002-1825-0098" in w for w in first.warnings)
    assert first.periodical is not None
    assert first.periodical.abbreviation == "Front. Oncol."
    assert first.periodical.issns == ("2234-943X",)  # a list in the file
    assert first.volume == "11"  # a number in the file
    assert first.date == PartialDate(2021, 8)  # ["2021", "8"]
    assert first.abstract == (
        "In recent decades, survival was significantly improved.\n"
        "Clinical Trial Registration: ClinicalTrials.gov Identifier: NCT02349698."
    )  # JATS stripped, the "Abstract" heading dropped
    assert first.languages == ["en-US"]
    assert first.subjects == ["CAR-T", "acute lymphoblastic leukemia"]
    assert first.publication_types == ["Case Reports"]
    assert first.pmid is None
    untitled, chapter = items[1], items[2]
    assert isinstance(untitled, ReadError) and untitled.field == "title"
    assert untitled.source.position == 2
    assert isinstance(chapter, Skipped) and chapter.field == "type"
    last = _record(items[3])
    assert last.date == PartialDate(2020, 5, 1)  # issued.raw
    assert last.pmid == "12345678"  # from the note
    assert last.periodical is not None and last.periodical.issns == ("0028-4793", "1533-4406")


def test_sniffer_claims_csl_only() -> None:
    assert READER.sniff(FIXTURE.read_bytes())
    assert READER.sniff(b'{"type": "article-journal", "title": "T", "issued": {"date-parts": [[20')
    for path in sorted(SHARED.glob("samples/**/*")) if SHARED.exists() else []:
        if path.is_file():
            expected = path.parent.name == "csl"
            assert READER.sniff(path.read_bytes()[: 64 * 1024]) == expected, path


# --- bad input ------------------------------------------------------------------------------


def test_empty_and_random_bytes() -> None:
    (empty,) = _read(b"")
    assert isinstance(empty, ReadError) and "no JSON" in empty.message
    (garbage,) = _read(bytes(range(256)) * 8)
    assert isinstance(garbage, ReadError) and "JSON" in garbage.message
    assert not READER.sniff(bytes(range(256)) * 8)
    (empty_array,) = _read(b"[]")
    assert isinstance(empty_array, ReadError) and "no item" in empty_array.message


def test_truncated_array_keeps_the_items_before_the_cut() -> None:
    path = shared_path("samples", "csl", "csl-list.json")
    data = path.read_bytes()
    items = _read(data[: len(data) // 2])
    *good, cut = items
    assert len(good) >= 5 and all(isinstance(i, Record | Skipped) for i in good)
    assert isinstance(cut, ReadError) and "truncated" in cut.message
    assert cut.source.position == len(good) + 1


def test_latin1_bytes_reject_only_their_item() -> None:
    items = [
        {"type": "article-journal", "title": "First"},
        {"type": "article-journal", "title": "Caf\u00e9 au lait"},
        {"type": "article-journal", "title": "Third"},
    ]
    data = json.dumps(items, ensure_ascii=False).encode("utf-8").replace(b"\xc3\xa9", b"\xe9")
    first, bad, third = _read(data)
    assert _record(first).title == "First"
    assert isinstance(bad, ReadError) and bad.field == "title" and bad.source.position == 2
    assert _record(third).title == "Third"


def test_item_that_is_not_an_object() -> None:
    good, bad = _read(b'[{"type": "article-journal", "title": "T"}, "oops"]')
    assert isinstance(good, Record)
    assert isinstance(bad, ReadError) and bad.source.position == 2


def test_items_are_read_one_at_a_time() -> None:
    item = json.dumps({"type": "article-journal", "title": "T" * 200, "id": "x"}).encode()
    stream = io.BytesIO(b"[" + b",".join([item] * 20000) + b"]")
    first = next(READER.read(stream, "big.json"))
    assert isinstance(first, Record)
    assert stream.tell() < len(stream.getvalue()) / 10


# --- end to end -----------------------------------------------------------------------------


def test_ingest_sample_end_to_end(tmp_path: Path) -> None:
    path = shared_path("samples", "csl", "csl-list.json")
    store = tmp_path / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--quarantine", str(tmp_path / "q"), str(path)
    )
    assert result.returncode == 0, result.stdout + result.stderr  # the book is skipped
    assert "published: 16, skipped: 1 (not articles), rejected: 0" in result.stdout
    assert "type 'book'" in result.stderr
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK { <http://127.0.0.1:8000/article/doi/10.1371/journal.pone.0134826>
                a <https://schema.org/ScholarlyArticle> ;
                <https://schema.org/datePublished> "2015-08-26"^^xsd:date ;
                <https://schema.org/pageStart> "e0134826" ;
                <https://schema.org/isPartOf> ?issue .
              ?issue <https://schema.org/issueNumber> "8" ;
                <https://schema.org/isPartOf> ?volume .
              ?volume <https://schema.org/volumeNumber> "10" ;
                <https://schema.org/isPartOf> <http://127.0.0.1:8000/periodical/issn/1932-6203> .
              <http://127.0.0.1:8000/periodical/issn/1932-6203>
                <https://schema.org/name> "PLOS ONE" .
              <http://127.0.0.1:8000/article/doi/10.1016/j.bpj.2015.04.023>
                <https://schema.org/sameAs> <https://pubmed.ncbi.nlm.nih.gov/25992719/> }"""
        )
    finally:
        opened.close()
