"""The OAI-PMH reader: ListRecords / GetRecord files in oai_dc, marc21 and oai_doaj.

Expected values were read off the files by hand: the shared samples (sickle's synthetic
oai_dc pages; a real DOAJ ListRecords page of 100 articles) and our fixtures under
`tests/data/oai/` (see the comment at the top of each: an oai_dc page with an article, a
book and a deleted record; a marc21 GetRecord of the seed article).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import REPO, SHARED, run_cli, shared_path

from publisher.model import PartialDate, Periodical, Person, ReadError, ReadNotice, Record, Skipped
from publisher.readers.base import ReadItem
from publisher.readers.oai_pmh import OaiPmhReader
from publisher.readers.registry import READERS, read_file
from publisher.store.oxigraph import OxigraphStore

READER = OaiPmhReader()
DATA = REPO / "tests" / "data" / "oai"
DC_PAGE = DATA / "listrecords_oai_dc.xml"
MARC_RECORD = DATA / "getrecord_marc21.xml"
OAI_OPEN = b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'


def _read(data: bytes) -> list[ReadItem]:
    return list(READER.read(io.BytesIO(data), "page.xml"))


def _record(item: ReadItem) -> Record:
    assert isinstance(item, Record), item
    return item


def _error(item: ReadItem) -> ReadError:
    assert isinstance(item, ReadError), item
    return item


def _notice(item: ReadItem) -> ReadNotice:
    assert isinstance(item, ReadNotice), item
    return item


def _doaj() -> Path:
    return shared_path("samples", "oai", "vufindharvest_oai_doaj_ListRecords.xml")


# --- oai_dc ------------------------------------------------------------------------


def test_sickle_get_record() -> None:
    (item,) = read_file(shared_path("samples", "oai", "sickle_GetRecord_oai_dc.xml"))
    record = _record(item)
    assert record.title == "Sample Title"
    assert record.authors == [Person("John Doe"), Person("John Doe")]  # no comma: kept whole
    assert record.languages == ["en"]
    assert record.date == PartialDate(2011)
    assert record.links == ["http://test.example.com/publication/1996652"]
    assert record.source_id == "oai:test.example.com:1996652"
    assert record.formats == ["info:eu-repo/semantics/article", "doc-type:article", "text"]
    # "Sample Source" names no journal part: kept and reported, never a journal
    assert record.periodical is None
    assert [(f.label, f.value) for f in record.unknown_fields] == [("dc:source", "Sample Source")]
    assert (record.source.position, record.source.line) == (1, 9)


def test_sickle_list_records_deleted_and_resumption_token() -> None:
    deleted, item, token = read_file(shared_path("samples", "oai", "sickle_ListRecords_oai_dc.xml"))
    notice = _notice(deleted)
    assert "oai:test.example.com:1585310 was deleted" in notice.message
    assert notice.source.position == 1
    record = _record(item)
    assert record.source.position == 2
    assert len(record.authors) == 4
    assert record.date == PartialDate(2010)
    assert record.abstract is not None
    assert record.abstract.startswith("Lorem ipsum dolor sit amet, consectetur adipisicing elit")
    assert record.abstract.endswith("id est laborum.")
    assert "\n" not in record.abstract  # pretty-printing line breaks are not paragraphs
    message = _notice(token).message
    assert "'ListRecords2.xml'" in message and "complete list size 8" in message
    assert "cursor 0" in message


def test_dc_fixture_article_book_and_deleted() -> None:
    article, book, deleted = read_file(DC_PAGE)
    record = _record(article)
    assert record.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma"
    assert [(p.family_name, p.given_name) for p in record.authors if isinstance(p, Person)] == [
        ("Flaherty", "Keith T"), ("Robert", "Caroline"), ("Schadendorf", "Dirk"),
    ]  # fmt: skip
    assert record.periodical == Periodical(
        "The New England journal of medicine", ("0028-4793", "1533-4406")
    )
    assert (record.volume, record.issue, record.page_start, record.page_end) == (
        "367", "2", "107", "114",
    )  # fmt: skip
    assert record.date == PartialDate(2012, 7, 12)
    assert record.doi == "10.1056/NEJMoa1203421"
    assert record.links == ["https://repository.example.org/handle/22663011"]
    assert record.languages == ["en"]
    assert record.subjects == ["Melanoma", "MAP Kinase Kinase 1", "Protein Kinase Inhibitors"]
    assert record.abstract is not None
    assert record.abstract.split("\n") == [
        "BACKGROUND: Activating mutations in serine-threonine protein kinase B-RAF (BRAF) "
        "are found in 50% of patients with advanced melanoma.",
        "CONCLUSIONS: Trametinib, as compared with chemotherapy, improved rates of "
        "progression-free and overall survival. (Funded by GlaxoSmithKline; METRIC "
        "ClinicalTrials.gov number, NCT01245062.).",
    ]
    assert record.source_id == "oai:repository.example.org:22663011"
    assert record.warnings == [] and record.unknown_fields == []
    error = book
    assert isinstance(error, Skipped), error
    assert (error.field, error.source.position) == ("dc:type", 2)
    assert "info:eu-repo/semantics/book" in error.message
    assert "gone-7" in _notice(deleted).message
    # an empty resumptionToken closes the list: no notice


# --- marc21 ------------------------------------------------------------------------


def test_marc21_get_record_uses_the_shared_marc_mapping() -> None:
    (item,) = read_file(MARC_RECORD)
    record = _record(item)
    assert record.title == (
        "Successful Treatment of Refractory and Relapsed CNS Acute Lymphoblastic Leukemia "
        "With CD-19 CAR-T Immunotherapy: A Case Report"
    )
    assert [a.name for a in record.authors] == [
        "Kyaw Thu Htun", "Qiang Gong", "Le Ma", "Ping Wang", "Ya Tan", "Guangsheng Wu",
        "Jieping Chen",
    ]  # fmt: skip
    assert record.periodical == Periodical("Frontiers in oncology", ("2234-943X",))
    assert record.volume == "11" and record.date == PartialDate(2021, 8)
    assert record.doi == "10.3389/fonc.2021.699946"
    assert record.publication_types == ["Case Reports"]
    assert record.source_id == "oai:catalogue.example.org:fonc2021699946"  # not MARC 001
    assert record.source.format == "oai-pmh"


def test_marc21_book_is_skipped_like_any_marc_book() -> None:
    data = MARC_RECORD.read_bytes().replace(b"02410nab a22", b"02410nam a22")
    (item,) = _read(data)
    assert isinstance(item, Skipped) and item.field == "Leader/07"


# --- oai_doaj: a real page of 100 DOAJ articles ------------------------------------


def test_doaj_page_real_sample() -> None:
    items = list(read_file(_doaj()))
    records = [_record(i) for i in items[:-1]]
    assert len(records) == 100
    assert [r.source.position for r in records] == list(range(1, 101))
    first = records[0]
    assert first.title == (
        "Authorship and affiliation as an indicator of quality criteria in Web 2.0: "
        "The Blogs about the environment."
    )
    assert [a.name for a in first.authors] == [
        "Vanessa Esperanza Oller-Arlandis",
        "Javier Sanz-Valero",
    ]
    author = first.authors[0]
    assert isinstance(author, Person)
    assert author.affiliations == (
        "Departamento de Salud Pública, Historia de la Ciencia y Ginecología, Universidad "
        "Miguel Hernández, Alicante, España.",
    )
    assert first.periodical == Periodical(
        "Jounal of Negative and No Positive Results", ("2529-850X",)
    )  # issn and eissn are the same number: kept once
    assert first.doi == "10.19230/jonnpr.1311"
    assert first.date == PartialDate(2017, 4)  # 2017-04-01: DOAJ's day is a filler
    assert (first.volume, first.issue, first.page_start, first.page_end) == (
        "4", "2", "129", "134",
    )  # fmt: skip
    assert first.subjects == [
        "Environmen", "Blogs", "Internet", "Web 2.0", "information dissemination",
        "quality control",
    ]  # stray ";" of the source removed  # fmt: skip
    assert first.abstract is not None and first.abstract.startswith("Aim: To describe content")
    assert first.abstract.split("\n")[1].startswith("Settings and Design:")  # CR LF paragraphs
    assert first.links == ["http://www.jonnpr.com/pdf/1311.pdf"]
    assert first.source_id == "oai:doaj.org/article:84d148928d694848ab183fa142fc18f8"
    medwave = records[2]
    assert medwave.title == "Should we administer oxygen during an acute coronary syndrome?"
    assert [a.name for a in medwave.authors] == [
        "José Tomás Bennett-Laso", "Tomás Kramer-Urrutia", "Gabriel Rada",
    ]  # fmt: skip
    assert medwave.periodical == Periodical("Medwave", ("0717-6384",))
    assert (medwave.volume, medwave.issue, medwave.page_start, medwave.page_end) == (
        "17", "suppl1", "e6892", None,
    )  # "e6892 " as first and last page: one article number  # fmt: skip
    assert medwave.doi == "10.5867/medwave.2017.6892"
    assert medwave.date == PartialDate(2017, 3)
    last = records[-1]
    assert last.title == (
        "¿Revitalización sin gentrificación? Cooperativas de vivienda por ayuda mutua en "
        "los centros de Buenos Aires y Montevideo"
    )
    assert [a.name for a in last.authors] == ["Ibán Díaz Parra", "Pablo Rabasco Pozuelo"]
    assert last.periodical == Periodical("Cuadernos Geográficos", ("0210-5462", "2340-0129"))
    assert sum(1 for r in records if r.doi) == 7
    token = _notice(items[-1])
    assert "'eyJtIjogIm9haV9kb2FqIiwgIm4iOiAxMDB9'" in token.message
    assert "complete list size 2460909" in token.message
    assert "expires 2017-04-07T19:23:56Z" in token.message


# --- errors ------------------------------------------------------------------------


def test_oai_error_response_is_a_read_error() -> None:
    data = OAI_OPEN + (
        b'<request verb="ListRecords">https://x.example.org/oai</request>'
        b'<error code="badResumptionToken">The token has expired.</error></OAI-PMH>'
    )
    (item,) = _read(data)
    error = _error(item)
    assert error.field == "error"
    assert "'badResumptionToken'" in error.message and "The token has expired." in error.message


def test_identify_response_holds_no_records() -> None:
    data = OAI_OPEN + b'<request verb="Identify">x</request><Identify/></OAI-PMH>'
    (item,) = _read(data)
    assert "Identify response without records" in _error(item).message


def test_unsupported_metadata_format_named() -> None:
    data = OAI_OPEN + (
        b"<ListRecords><record><header><identifier>oai:x:1</identifier></header><metadata>"
        b'<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo/></mods></metadata></record>'
        b"<record><header><identifier>oai:x:2</identifier></header></record>"
        b"</ListRecords></OAI-PMH>"
    )
    mods, empty = _read(data)
    assert _error(mods).field == "metadata" and "mods" in _error(mods).message
    assert _error(empty).field == "metadata" and empty.source.position == 2


@pytest.mark.parametrize(
    "data", [b"", b"  \n", bytes(range(256)) * 4], ids=["empty", "blank", "random"]
)
def test_empty_and_random_bytes(data: bytes) -> None:
    items = _read(data)
    assert items and all(isinstance(i, ReadError) for i in items)


def test_truncated_doaj_page() -> None:
    data = _doaj().read_bytes()
    items = _read(data[: len(data) // 2])
    *records, error = items
    assert len(records) > 10 and all(isinstance(r, Record) for r in records)
    assert "truncated XML" in _error(error).message
    assert error.source.position == len(records) + 1


def test_latin1_bytes_cost_only_their_record() -> None:
    data = _doaj().read_bytes()
    title = "Should we administer oxygen during an acute coronary syndrome?"
    broken = data.replace(title.encode(), "Should we administer oxyg\u00e8n".encode("latin-1"))
    items = _read(broken)
    error = _error(items[2])
    assert (error.field, error.source.position) == ("oai_doaj:title", 3)
    assert sum(isinstance(i, Record) for i in items) == 99


def test_missing_title_is_rejected_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "no_title.xml"
    path.write_bytes(
        DC_PAGE.read_bytes().replace(
            b"<dc:title>Improved survival with MEK inhibition in BRAF-mutated melanoma</dc:title>",
            b"",
        )
    )
    article, _book, _deleted = read_file(path)
    assert _record(article).title is None
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert f"{path} record 1" in result.stdout + result.stderr
    assert "(field schema:name;" in result.stdout + result.stderr


# --- detection ---------------------------------------------------------------------


def test_oai_files_are_claimed_by_the_oai_reader_only() -> None:
    paths = [DC_PAGE, MARC_RECORD]
    if SHARED.exists():
        paths += sorted((SHARED / "samples" / "oai").glob("*.xml"))
    for path in paths:
        head = path.read_bytes()[: 64 * 1024]
        assert [n for n, r in READERS.items() if r.sniff(head)] == ["oai-pmh"], path


def test_oai_sniffer_claims_no_other_sample() -> None:
    if not SHARED.exists():
        pytest.skip(f"shared data not available: {SHARED}")
    for path in sorted((SHARED / "samples").rglob("*")):
        if path.is_file() and path.parent.name != "oai":
            assert not READER.sniff(path.read_bytes()[: 64 * 1024]), path
    assert not READER.sniff((REPO / "tests" / "data" / "marc" / "articles.xml").read_bytes())


# --- end to end --------------------------------------------------------------------


def test_ingest_doaj_page_end_to_end(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(_doaj()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 100" in result.stdout
    assert "resumptionToken" in result.stdout + result.stderr
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX s: <https://schema.org/>
            PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK {
              <http://127.0.0.1:8000/article/doi/10.5867/medwave.2017.6892>
                a s:ScholarlyArticle ;
                s:name "Should we administer oxygen during an acute coronary syndrome?" ;
                s:datePublished "2017-03"^^xsd:gYearMonth ;
                s:pageStart "e6892" ;
                s:author [ s:name "Gabriel Rada" ;
                           s:affiliation [ s:name "Proyecto Epistemonikos, Santiago, Chile" ] ] ;
                s:isPartOf ?issue .
              ?issue s:issueNumber "suppl1" ;
                s:isPartOf [ s:volumeNumber "17" ;
                             s:isPartOf <http://127.0.0.1:8000/periodical/issn/0717-6384> ] .
              <http://127.0.0.1:8000/periodical/issn/0717-6384> s:name "Medwave" .
            }"""
        )
    finally:
        opened.close()


def test_ingest_dc_and_marc21_fixtures_end_to_end(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(DC_PAGE), str(MARC_RECORD))
    assert result.returncode == 0  # the book is skipped, not rejected
    assert "published: 2, skipped: 1 (not articles), rejected: 0" in result.stdout
    assert "dc:type" in result.stdout + result.stderr
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX s: <https://schema.org/>
            ASK {
              <http://127.0.0.1:8000/article/doi/10.1056/nejmoa1203421>
                s:pageEnd "114" ;
                s:isPartOf / s:isPartOf / s:isPartOf ?journal .
              ?journal s:issn "0028-4793", "1533-4406" .
              <http://127.0.0.1:8000/article/doi/10.3389/fonc.2021.699946>
                s:publicationType "Case Reports" .
            }"""
        )
    finally:
        opened.close()
