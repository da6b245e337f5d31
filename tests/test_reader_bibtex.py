"""The BibTeX reader, on the shared sample, our own fixture and broken files.

Expected values were read off the files by hand (`shared/samples/bibtex/*.bib`,
`tests/data/bibtex/several.bib`).
"""

from __future__ import annotations

import io
from pathlib import Path

from conftest import REPO, SHARED, run_cli, shared_path

from publisher.model import Organization, PartialDate, Person, ReadError, Record, Skipped
from publisher.readers.base import ReadItem
from publisher.readers.bibtex import BibtexReader, latex_text, split_blocks
from publisher.readers.registry import READERS, detect, read_file
from publisher.store.oxigraph import OxigraphStore

READER = BibtexReader()
FIXTURE = REPO / "tests" / "data" / "bibtex" / "several.bib"


def _read(data: bytes, path: str = "file.bib") -> list[ReadItem]:
    return list(READER.read(io.BytesIO(data), path))


def _record(item: ReadItem) -> Record:
    assert isinstance(item, Record), item
    return item


def test_bolognese_crossref_sample() -> None:
    path = shared_path("samples", "bibtex", "bolognese_crossref.bib")
    (item,) = _read(path.read_bytes(), str(path))
    record = _record(item)
    assert record.title == (
        "Automated quantitative histology reveals vascular morphodynamics during "
        "Arabidopsis hypocotyl secondary growth"
    )
    # "Given Family" names joined by "and"
    assert record.authors[0] == Person("Martial Sankar", "Sankar", "Martial")
    assert record.authors[-1] == Person("Christian S Hardtke", "Hardtke", "Christian S")
    assert len(record.authors) == 5
    assert record.periodical is not None
    assert (record.periodical.name, record.periodical.issns) == ("eLife", ("2050-084X",))
    assert record.doi == "10.7554/elife.01567"
    assert record.date == PartialDate(2014, 2)  # year = 2014, month = {feb}
    assert (record.volume, record.issue, record.page_start) == ("3", None, None)
    assert record.abstract is not None and record.abstract.startswith("Among various advantages")
    assert record.source_id == "Sankar_2014"
    assert record.links == ["http://elifesciences.org/lookup/doi/10.7554/eLife.01567"]
    assert record.unknown_fields == []  # publisher and copyright are not published, silently
    assert (record.source.position, record.source.line) == (1, 1)


def test_own_fixture_every_field() -> None:
    items = _read(FIXTURE.read_bytes(), str(FIXTURE))
    assert len(items) == 5  # @preamble, @string and @comment are not records
    first = _record(items[0])
    assert (first.source.position, first.source.line) == (1, 6)
    assert first.title == "Inhaled Combined Budesonide\u2013Formoterol as Needed in Mild Asthma"
    assert first.authors == [
        Person("Paul M. O'Byrne", "O'Byrne", "Paul M."),
        Person("J. Mark FitzGerald", "FitzGerald", "J. Mark"),
        Person("Eric D. Bateman", "Bateman", "Eric D."),
        Organization("Global Initiative for Asthma"),  # braced: one corporate name
    ]
    assert any("and others" in w for w in first.warnings)
    assert first.periodical is not None
    assert first.periodical.name == "The New England journal of medicine"  # @string macro
    assert first.periodical.issns == ("0028-4793",)
    assert (first.volume, first.issue, first.page_start, first.page_end) == (
        "378", "20", "1865", "1876",
    )  # fmt: skip
    assert first.date == PartialDate(2018, 5, 17)  # month = may (a macro), day
    assert first.doi == "10.1056/NEJMoa1715274"
    assert first.subjects == ["asthma", "budesonide", "formoterol"]
    assert first.languages == ["en"]
    assert first.abstract == "Background: In mild asthma, 5% of patients … Müller's cohort."
    assert [(f.label, f.value) for f in first.unknown_fields] == [
        ("note", "Trial registration: NCT02149199")
    ]

    book, untitled = items[1], items[2]
    assert isinstance(book, Skipped) and book.field == "entry type" and "@book" in book.message
    assert isinstance(untitled, ReadError) and untitled.field == "title"
    assert (untitled.source.position, untitled.source.line) == (3, 30)

    htun = _record(items[3])
    assert htun.title is not None and htun.title.startswith(
        "Successful Treatment of Refractory and Relapsed CNS Acute"
    )  # protective braces dropped
    assert len(htun.authors) == 7 and htun.authors[-1] == Person("Jieping Chen", "Chen", "Jieping")
    assert htun.date == PartialDate(2021, 8)  # BibLaTeX date = {2021-08}
    assert htun.doi == "10.3389/fonc.2021.699946"  # from the doi.org url
    assert htun.publication_types == ["Case Reports"]
    assert htun.source_id == "Htun2021"

    again = _record(items[4])
    assert again.source_id is None and any("Htun2021" in w for w in again.warnings)


def test_latex_decoding() -> None:
    assert latex_text(r"M{\"u}ller and \'{E}cole") == "Müller and École"
    assert latex_text("{eLife} Sciences") == "eLife Sciences"
    assert latex_text("a 5% increase") == "a 5% increase"  # not a LaTeX comment here
    assert latex_text(r"$\alpha$-helix") == "\u03b1-helix"


def test_sniffer_claims_bibtex_only() -> None:
    assert READER.sniff(FIXTURE.read_bytes())
    for path in sorted(SHARED.glob("samples/**/*")) if SHARED.exists() else []:
        if path.is_file():
            assert READER.sniff(path.read_bytes()[: 64 * 1024]) == (path.suffix == ".bib"), path


# --- bad input ------------------------------------------------------------------------------


def test_empty_and_random_bytes() -> None:
    (empty,) = _read(b"")
    assert isinstance(empty, ReadError) and "no BibTeX entry" in empty.message
    (garbage,) = _read(bytes(range(256)) * 8)
    assert isinstance(garbage, ReadError)
    assert not READER.sniff(bytes(range(256)) * 8)


def test_truncated_file_keeps_the_entries_before_the_cut() -> None:
    data = FIXTURE.read_bytes()
    items = _read(data[: data.index(b"journal  = {Frontiers")])  # inside the 4th entry
    assert [type(i).__name__ for i in items] == ["Record", "Skipped", "ReadError", "ReadError"]
    cut = items[-1]
    assert isinstance(cut, ReadError) and cut.field == "entry" and "truncated" in cut.message
    assert (cut.source.position, cut.source.line) == (4, 36)
    # A file cut in half (inside its first entry) is one named error, not a crash.
    (half,) = _read(data[: len(data) // 2])
    assert isinstance(half, ReadError) and half.field == "entry"


def test_unclosed_entry_does_not_swallow_the_next() -> None:
    data = b"@article{a,\n  title = {One\n}\n@article{b,\n  title = {Two},\n}\n"
    broken, good = _read(data)
    assert isinstance(broken, ReadError) and broken.field == "entry"
    assert (broken.source.position, broken.source.line) == (1, 1)
    assert _record(good).title == "Two" and good.source.line == 4


def test_latin1_bytes_reject_only_their_entry() -> None:
    data = (
        b"@article{a, title = {First}}\n"
        b"@article{b, title = {Caf\xe9 au lait}}\n"
        b"@article{c, title = {Third}}\n"
    )
    first, bad, third = _read(data)
    assert _record(first).title == "First"
    assert isinstance(bad, ReadError) and "line 2" in bad.message and bad.source.position == 2
    assert _record(third).title == "Third"


def test_block_splitting_two_entries_on_a_line_and_parentheses() -> None:
    data = b"@article{a, title={X}} @article(b, title={Y (draft)})\n"
    blocks = list(split_blocks(io.BytesIO(data)))
    assert [b.text for b in blocks] == ["@article{a, title={X}}", "@article(b, title={Y (draft)})"]
    assert [_record(i).title for i in _read(data)] == ["X", "Y (draft)"]


def test_entries_are_read_one_at_a_time() -> None:
    entry = b"@article{key%d,\n  title = {A title},\n  journal = {J},\n  year = 2020,\n}\n"
    stream = io.BytesIO(b"".join(entry.replace(b"%d", str(i).encode()) for i in range(5000)))
    first = next(READER.read(stream, "big.bib"))
    assert isinstance(first, Record)
    assert stream.tell() < len(stream.getvalue()) / 100


# --- end to end -----------------------------------------------------------------------------


def test_ingest_sample_end_to_end(tmp_path: Path) -> None:
    path = shared_path("samples", "bibtex", "bolognese_crossref.bib")
    store = tmp_path / "store"
    result = run_cli(
        "ingest", "--store", str(store), "--quarantine", str(tmp_path / "q"), str(path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 1" in result.stdout
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """ASK { <http://127.0.0.1:8000/article/doi/10.7554/elife.01567>
                a <https://schema.org/ScholarlyArticle> ;
                <https://schema.org/datePublished>
                    "2014-02"^^<http://www.w3.org/2001/XMLSchema#gYearMonth> ;
                <https://schema.org/author> ?author .
              ?author <https://schema.org/name> "Christian S Hardtke" .
              GRAPH <http://127.0.0.1:8000/graph/bibtex/file/bolognese_crossref.bib/id/Sankar_2014>
                { ?s ?p ?o } }"""
        )
    finally:
        opened.close()


EMPTY_KEY = REPO / "tests" / "data" / "bibtex" / "bigbio_nlm_wsd_empty_key.bib"


def test_entry_with_an_empty_key_is_detected_and_read() -> None:
    """`@article{,` (R's citation(), Citavi): detected as BibTeX and read whole."""
    assert detect(EMPTY_KEY.read_bytes()) is READERS["bibtex"]
    (record,) = list(read_file(EMPTY_KEY))
    assert isinstance(record, Record)
    assert record.title == "Developing a test collection for biomedical word sense disambiguation"
    assert [(a.family_name, a.given_name) for a in record.authors] == [
        ("Weeber", "M"), ("Mork", "J G"), ("Aronson", "A R"),
    ]  # fmt: skip
    assert (record.page_start, record.page_end) == ("746", "750")
    assert record.date == PartialDate(2001) and record.languages == ["en"]
    assert record.source_id is None  # no key: named by the article instead


def test_a_bare_ampersand_in_a_title_is_kept() -> None:
    """Citavi writes `&` unescaped (jabref_CitaviXmlImporterTest1.bib, record 54):
    text, not a LaTeX alignment tab that pylatexenc would drop."""
    entry = b"@article{,\n  title = {Supply chain food crime & fraud},\n}\n"
    (item,) = _read(entry)
    assert _record(item).title == "Supply chain food crime & fraud"
    assert latex_text(r"R\&D and a&b") == "R&D and a&b"
