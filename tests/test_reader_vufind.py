"""The VuFind record-page reader, on the seed, the bundled examples and broken pages.

Expected values were read off the text files by hand.
"""

from __future__ import annotations

import io

from conftest import EXAMPLES, SEED

from publisher.model import Organization, PartialDate, Person, ReadError, Record, Skipped
from publisher.readers.registry import detect, read_file
from publisher.readers.vufind_text import VufindTextReader

READER = VufindTextReader()


def _read(text: str, path: str = "page.txt") -> list[Record | ReadError]:
    return list(READER.read(io.BytesIO(text.encode()), path))


def _one(text: str) -> Record:
    (record,) = _read(text)
    assert isinstance(record, Record), record
    return record


def test_seed_every_field() -> None:
    (record,) = READER.read(io.BytesIO(SEED.read_bytes()), str(SEED))
    assert isinstance(record, Record)
    assert record.title == (
        "Successful Treatment of Refractory and Relapsed CNS Acute Lymphoblastic Leukemia "
        "With CD-19 CAR-T Immunotherapy: A Case Report"
    )
    assert [(a.family_name, a.given_name) for a in record.authors if isinstance(a, Person)] == [
        ("Htun", "Kyaw Thu"), ("Gong", "Qiang"), ("Ma", "Le"), ("Wang", "Ping"),
        ("Tan", "Ya"), ("Wu", "Guangsheng"), ("Chen", "Jieping"),
    ]  # fmt: skip
    assert record.periodical is not None
    assert record.periodical.name == "Frontiers in oncology"
    assert record.periodical.issns == ("2234-943X",)  # printed twice on the page, kept once
    assert record.date == PartialDate(2021, 8)
    assert record.volume == "11"
    assert (record.issue, record.page_start, record.page_end) == (None, None, None)
    assert record.doi == "10.3389/fonc.2021.699946"
    assert record.languages == ["en"]
    assert record.subjects == []
    assert record.publication_types == ["Case Reports"]
    assert record.abstract is not None
    assert record.abstract.startswith("In recent decades, survival was significantly improved")
    assert record.abstract.endswith("ClinicalTrials.gov Identifier: NCT02349698.")
    assert "..." not in record.abstract  # the full Zusammenfassung, not the teaser
    assert record.unknown_fields == []
    assert record.warnings == []
    assert (record.source.position, record.source.line) == (1, 1)


def test_page_furniture_is_not_data() -> None:
    (record,) = READER.read(io.BytesIO(SEED.read_bytes()), str(SEED))
    assert isinstance(record, Record)
    texts = [record.title, record.abstract, *record.subjects, *record.links]
    for furniture in ("Tag hinzufügen", "Keine Tags", "Volltext", "Gespeichert in"):
        assert not any(furniture in (t or "") for t in texts)


def test_two_english_pages_in_one_file() -> None:
    path = EXAMPLES / "several_records_en.txt"
    first, second = READER.read(io.BytesIO(path.read_bytes()), str(path))
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.title == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma"
    assert first.source.position == 1
    assert second.source.position == 2 and second.source.line == 23
    assert second.title is not None and second.title.startswith("Automated quantitative histology")
    assert first.periodical is not None
    assert (first.periodical.name, first.volume, first.issue) == (
        "The New England journal of medicine", "378", "20",
    )  # fmt: skip
    assert (first.page_start, first.page_end) == ("1865", "1876")
    assert first.date == PartialDate(2018, 5, 17)
    assert first.periodical.issns == ("0028-4793", "1533-4406")
    assert len(first.authors) == 10
    assert first.authors[0] == Person("Paul M O'Byrne", "O'Byrne", "Paul M")
    assert first.doi == "10.1056/NEJMoa1715274"
    # A heading with commas inside stays one heading: only " ; " separates.
    assert "General Biochemistry, Genetics and Molecular Biology" in second.subjects
    assert len(second.subjects) == 4


def test_corporate_author_is_an_organization_in_order() -> None:
    path = EXAMPLES / "nejm_22663011_en.txt"
    (record,) = READER.read(io.BytesIO(path.read_bytes()), str(path))
    assert isinstance(record, Record)
    assert len(record.authors) == 26
    assert record.authors[0] == Person("Keith T Flaherty", "Flaherty", "Keith T")
    assert record.authors[-1] == Organization("METRIC Study Group")
    assert record.doi == "10.1056/NEJMoa1203421"
    assert (record.volume, record.issue, record.page_start, record.page_end) == (
        "367",
        "2",
        "107",
        "114",
    )


PAGE = """A Title: With a Colon

Teaser text that is cut...

Full description

Saved in:
Bibliographic Details
Published in:Journal of Tests 2018-02-01, Vol.12 (5), p.439-448
Main Authors: Doe, Jane, Roe, Richard
Other Authors: Poe, Edgar Allan
Corporate Author: Testing Consortium
Format: Article
Language:ger
Subjects:Neoplasms ; Case Reports ; Humans
Physical Description:12 p.
Summary:First paragraph.
Second paragraph with Note: a colon.
ISSN:0028-4793
DOI:https://doi.org/10.1234/ABC.5
"""


def test_all_labels_of_an_english_page() -> None:
    record = _one(PAGE)
    assert record.title == "A Title: With a Colon"
    assert record.periodical is not None and record.periodical.name == "Journal of Tests"
    assert record.date == PartialDate(2018, 2, 1)
    assert (record.volume, record.issue, record.page_start, record.page_end) == (
        "12",
        "5",
        "439",
        "448",
    )
    assert record.authors == [
        Person("Jane Doe", "Doe", "Jane"), Person("Richard Roe", "Roe", "Richard"),
        Organization("Testing Consortium"),
    ]  # fmt: skip
    assert record.contributors == [Person("Edgar Allan Poe", "Poe", "Edgar Allan")]
    assert record.languages == ["de"]
    assert record.subjects == ["Neoplasms", "Case Reports", "Humans"]
    assert record.abstract == "First paragraph.\nSecond paragraph with Note: a colon."
    assert record.doi == "10.1234/ABC.5"
    assert record.periodical.issns == ("0028-4793",)


def test_unknown_label_is_kept_for_the_report() -> None:
    record = _one(PAGE)
    assert [(f.label, f.value) for f in record.unknown_fields] == [
        ("Physical Description", "12 p.")
    ]


def test_truncated_teaser_is_never_the_abstract() -> None:
    record = _one(
        PAGE.replace("Summary:First paragraph.\nSecond paragraph with Note: a colon.\n", "")
    )
    assert record.abstract is None
    assert any("teaser" in w for w in record.warnings)


def test_german_page_with_single_author_label() -> None:
    page = (
        "Titel\n\nBibliographische Detailangaben\n1. Verfasser: Müller, Anna\n"
        "Körperschaft: Deutsche Krebshilfe\nSprache:ger\n"
    )
    record = _one(page)
    assert record.authors == [
        Person("Anna Müller", "Müller", "Anna"),
        Organization("Deutsche Krebshilfe"),
    ]
    assert record.languages == ["de"]


def test_several_pages_split_by_the_title_rule() -> None:
    pages = PAGE + "\n" + PAGE.replace("A Title: With a Colon", "Second Title") + "\n\n" + PAGE
    records = _read(pages)
    assert [r.title for r in records if isinstance(r, Record)] == [
        "A Title: With a Colon", "Second Title", "A Title: With a Colon",
    ]  # fmt: skip
    # PAGE is 20 lines; one blank line, then the second page; two blank lines, the third.
    assert [r.source.line for r in records] == [1, 22, 44]


def test_page_without_title_has_no_title() -> None:
    record = _one("Published in:Journal 2020\nMain Authors: Doe, Jane\nDOI:10.1234/x\n")
    assert record.title is None


def test_odd_name_list_is_kept_and_warned() -> None:
    record = _one("T\n\nBibliographic Details\nMain Authors: Doe, Jane, Roe\n")
    assert record.authors == [Person("Jane Doe", "Doe", "Jane"), Person("Roe", "Roe", None)]
    assert any("odd number" in w for w in record.warnings)


def test_empty_and_binary_files_are_read_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    (empty_error,) = read_file(empty)
    (garbage_error,) = read_file(garbage)
    assert isinstance(empty_error, ReadError) and "empty" in empty_error.message
    assert isinstance(garbage_error, ReadError)
    assert garbage_error.message.startswith("unrecognised format: binary data (tried: ")


def test_detect_by_content_not_name() -> None:
    assert detect(SEED.read_bytes()) is not None
    assert detect(b"<?xml version='1.0'?><collection/>") is None
    assert detect(b"Just some prose: not a record page.\n") is None


def test_gzip_input_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import gzip

    packed = tmp_path / "seed.txt.gz"
    packed.write_bytes(gzip.compress(SEED.read_bytes()))
    (record,) = read_file(packed)
    assert isinstance(record, Record) and record.doi == "10.3389/fonc.2021.699946"


def test_issn_without_journal_title_is_warned_not_published() -> None:
    record = _one("T\n\nBibliographic Details\nISSN:2234-943X\nDOI:10.1234/x\n")
    assert record.periodical is None
    assert any("2234-943X given without a journal title" in w for w in record.warnings)


def test_non_article_format_is_skipped_naming_the_field() -> None:
    (error,) = _read("Ein Buch\n\nBibliographische Detailangaben\nFormat: Buch\nSprache:ger\n")
    assert isinstance(error, Skipped)
    assert error.field == "Format"
    assert error.message == "format 'Buch' is not an article: only articles are published"
    assert (error.source.position, error.source.line) == (1, 1)


def test_article_formats_in_both_languages_are_accepted() -> None:
    for fmt in ("Artikel", "Article", "Elektronischer Aufsatz", "Case Reports"):
        record = _one(f"T\n\nBibliographic Details\nFormat: {fmt}\nLanguage:eng\n")
        assert record.formats == [fmt]


def test_latin1_bytes_reject_only_their_page() -> None:
    """A page pasted in Latin-1 into a UTF-8 file costs that page, not the file."""
    body = "\n\nBibliographische Detailangaben\nVeröffentlicht in:Ärzteblatt 2020\n"
    first, second = "Erster Artikel" + body, "Zweiter Artikel" + body
    third = "Dritter Artikel\n\nBibliographische Detailangaben\nSprache:ger\n"
    data = (first + "\n").encode() + (second + "\n").encode("latin-1") + third.encode()
    good, bad, last = READER.read(io.BytesIO(data), "mixed.txt")
    assert isinstance(good, Record) and good.title == "Erster Artikel"
    assert good.periodical is not None and good.periodical.name == "Ärzteblatt"
    assert isinstance(bad, ReadError)
    assert (bad.source.position, bad.source.line) == (2, 6)
    # line 9 is "Veröffentlicht in:...": "Verö": the ö is its 4th character, byte 0xF6 in Latin-1
    assert bad.message == "line 9 is not UTF-8 text (bad byte at column 4; Latin-1?)"
    assert bad.field == "Veröffentlicht in"
    assert isinstance(last, Record) and last.title == "Dritter Artikel"
    assert last.languages == ["de"]


def test_latin1_value_after_a_utf8_label_names_the_label() -> None:
    data = "Titel\n\nBibliographische Detailangaben\nVeröffentlicht in:".encode()
    data += "Ärzteblatt 2020\n".encode("latin-1")
    (error,) = READER.read(io.BytesIO(data), "mixed.txt")
    assert isinstance(error, ReadError) and error.field == "Veröffentlicht in"
    # "Veröffentlicht in:" is 18 characters; the Latin-1 "Ä" is the 19th
    assert error.message == "line 4 is not UTF-8 text (bad byte at column 19; Latin-1?)"
