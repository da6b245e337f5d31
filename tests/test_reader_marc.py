"""MARC 21 readers (binary ISO 2709, MARCXML, MARC-in-JSON) and their shared mapping.

Expected values were read off the files by hand: the shared samples (all books but the
lobid article and the VuFind article) and our fixture `tests/data/marc/articles.xml`
(two real articles catalogued as MARC component parts, see the comment at its top;
`articles.mrc` and `articles.json` are the same records written by pymarc). Broken
inputs are built here from those files.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pymarc
import pytest
from conftest import REPO, SHARED, run_cli, shared_path

from publisher.citations import parse_enumeration
from publisher.model import (
    Funding,
    Organization,
    PartialDate,
    Periodical,
    Person,
    ReadError,
    Record,
    Skipped,
    SourceRef,
    SubjectTerm,
    TrialId,
    UnknownField,
)
from publisher.readers.base import ReadItem
from publisher.readers.marc_binary import MarcBinaryReader
from publisher.readers.marc_fields import marc_to_record, read_article, strip_isbd
from publisher.readers.marc_json import MarcJsonReader
from publisher.readers.marcxml import MarcXmlReader
from publisher.readers.registry import READERS, read_file
from publisher.store.oxigraph import OxigraphStore

DATA = REPO / "tests" / "data" / "marc"
ARTICLES_XML = DATA / "articles.xml"
ARTICLES_MRC = DATA / "articles.mrc"
ARTICLES_JSON = DATA / "articles.json"
BINARY, XML, JSON = MarcBinaryReader(), MarcXmlReader(), MarcJsonReader()
MARC_NAMES = {"marc21", "marcxml", "marc-json"}
NEJM_ABSTRACT_START = "BACKGROUND: Activating mutations in serine-threonine protein kinase"


def _read(reader: MarcBinaryReader | MarcXmlReader | MarcJsonReader, data: bytes) -> list[ReadItem]:
    return list(reader.read(io.BytesIO(data), "file"))


def _record(item: ReadItem) -> Record:
    assert isinstance(item, Record), item
    return item


def _error(item: ReadItem) -> ReadError:
    assert isinstance(item, ReadError), item
    return item


def _skipped(item: ReadItem) -> Skipped:
    """Not an article (a book, a journal): skipped and said so, not rejected."""
    assert isinstance(item, Skipped), item
    return item


def _people(agents: list[Person | Organization]) -> list[tuple[str | None, str | None]]:
    return [(a.family_name, a.given_name) for a in agents if isinstance(a, Person)]


def iso2709(fields: list[tuple[bytes, bytes]], coding: bytes = b" ", level: bytes = b"b") -> bytes:
    """One binary MARC record from raw field bytes (indicators and subfields included),
    so that a test can hold bytes pymarc would never write (MARC-8, Latin-1)."""
    data = directory = b""
    for tag, body in fields:
        body += b"\x1e"
        directory += tag + b"%04d%05d" % (len(body), len(data))
        data += body
    base = 24 + len(directory) + 1
    leader = b"%05dna" % (base + len(data) + 1) + level + b" " + coding + b"22"
    leader += b"%05d a 4500" % base
    return leader + directory + b"\x1e" + data + b"\x1d"


# --- our fixture: two articles in three serialisations ------------------------------


def _check_nejm(record: Record) -> None:
    assert record.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma"
    assert _people(record.authors) == [
        ("Flaherty", "Keith T."), ("Robert", "Caroline"), ("Hersey", "Peter"),
        ("Schadendorf", "Dirk"),
    ]  # fmt: skip
    assert record.authors[-1] == Organization("METRIC Study Group")
    first = record.authors[0]
    assert isinstance(first, Person)
    assert first.affiliations == ("Massachusetts General Hospital Cancer Center, Boston, USA",)
    assert record.contributors == []
    assert record.periodical == Periodical(
        "The New England journal of medicine", ("0028-4793", "1533-4406"), "N Engl J Med"
    )
    assert (record.volume, record.issue, record.page_start, record.page_end) == (
        "367", "2", "107", "114",
    )  # fmt: skip
    assert record.date == PartialDate(2012, 7)  # 008 year, month from 773 $g "(Jul. 2012)"
    assert record.doi == "10.1056/NEJMoa1203421"
    assert record.pmid == "22663011"
    assert record.languages == ["en"]
    assert record.abstract is not None and record.abstract.startswith(NEJM_ABSTRACT_START)
    assert record.subject_terms == [
        SubjectTerm("Melanoma", "D008545"),
        SubjectTerm("MAP Kinase Kinase 1", "D048369"),
        SubjectTerm("Humans", "D006801"),
    ]
    assert record.subjects == ["Melanoma -- Chemotherapy -- Clinical trials"]
    assert record.publication_types == ["Randomized Controlled Trial"]
    assert record.funding == [Funding(Organization("GlaxoSmithKline"))]
    assert record.trials == [TrialId("nct", "NCT01245062")]  # 500 note
    # the doi.org link became the DOI, the publisher's page is a link
    assert record.links == ["https://www.nejm.org/doi/full/10.1056/NEJMoa1203421"]
    assert record.source_id == "(DNLM)pm22663011"  # 001 with its 003
    assert record.warnings == [] and record.unknown_fields == []


def _check_frontiers(record: Record) -> None:
    assert record.title == (
        "Successful Treatment of Refractory and Relapsed CNS Acute Lymphoblastic Leukemia "
        "With CD-19 CAR-T Immunotherapy: A Case Report"
    )
    assert _people(record.authors) == [
        ("Htun", "Kyaw Thu"), ("Gong", "Qiang"), ("Ma", "Le"), ("Wang", "Ping"),
        ("Tan", "Ya"), ("Wu", "Guangsheng"), ("Chen", "Jieping"),
    ]  # fmt: skip
    assert record.periodical == Periodical("Frontiers in oncology", ("2234-943X",))
    assert (record.volume, record.issue, record.page_start, record.page_end) == (
        "11", None, "699946", None,
    )  # fmt: skip
    assert record.date == PartialDate(2021, 8)
    assert record.doi == "10.3389/fonc.2021.699946"
    assert record.languages == ["en"]  # 008/35-37 only
    assert record.publication_types == ["Case Reports"]  # from the title
    assert record.trials == [TrialId("nct", "NCT02349698")]  # in the 520 abstract
    assert record.abstract is not None
    assert record.abstract.endswith("ClinicalTrials.gov Identifier: NCT02349698.")
    assert record.subjects == [] and record.subject_terms == []
    assert record.source_id == "fonc2021699946"


def test_marcxml_fixture_every_field() -> None:
    nejm, frontiers = read_file(ARTICLES_XML)
    _check_nejm(_record(nejm))
    _check_frontiers(_record(frontiers))
    assert (nejm.source.position, nejm.source.line, nejm.source.format) == (1, 10, "marcxml")
    assert (frontiers.source.position, frontiers.source.line) == (2, 96)


@pytest.mark.parametrize("path", [ARTICLES_MRC, ARTICLES_JSON], ids=["binary", "json"])
def test_binary_and_json_fixtures_read_like_the_xml(path: Path) -> None:
    nejm, frontiers = read_file(path)
    _check_nejm(_record(nejm))
    _check_frontiers(_record(frontiers))
    assert (nejm.source.position, frontiers.source.position) == (1, 2)


# --- real samples ------------------------------------------------------------------


def test_lobid_article_real_sample() -> None:
    path = shared_path("samples", "lobid", "99371597489906441.xml")
    (item,) = read_file(path)
    record = _record(item)
    assert record.title == (
        "Propaganda vor Ort: der Fund war ein Glücksfall : ein Neusser Antiquariat bot ein "
        "Konvolut von Nazi-Festschriften aus Gerresheim von 1933-1938 zum Verkauf an : nach "
        "dem Erwerb stellte sich heraus, dass es sich um wichtige Quellen zu dieser Zeit handelt"
    )
    # 100 $4 aft (author of an afterword): a contributor, not an author; $d 1977- dropped
    assert record.authors == []
    assert _people(record.contributors) == [("Stegt", "Peter")]
    assert record.periodical == Periodical("Gerrikuss")  # no ISSN in the record
    assert (record.volume, record.issue, record.page_start, record.page_end) == (
        "5", "3", "6", "13",
    )  # "5. Jahrgang, Nr. 3 (2022), Seite 6-13"  # fmt: skip
    assert record.date == PartialDate(2022)
    assert record.languages == ["de"]
    assert record.subjects == [
        "Düsseldorf-Gerresheim", "Festschrift", "Quelle", "Geschichte 1933-1939",
    ]  # the four 689 links of the subject chain  # fmt: skip
    assert record.doi is None and record.abstract is None
    assert record.source_id == "(DE-605)99371597489906441"
    assert (record.source.position, record.source.line) == (1, 2)


def test_vufind_journal_rejected_its_article_read() -> None:
    path = shared_path("samples", "vufind", "vufind_tests_data_journal_article.xml")
    journal, article = read_file(path)
    error = _skipped(journal)
    assert error.field == "Leader/07"
    assert "'Arithmetic Facts' (001 jnl1) is a journal" in error.message
    assert (error.source.position, error.source.line) == (1, 4)
    record = _record(article)
    assert record.title == "Adding is Commutative"
    assert record.periodical == Periodical("Arithmetic Facts")
    assert (record.volume, record.issue) == ("1", "1")  # "Vol. 1, no. 1 (Apr. 2023)"
    assert record.date == PartialDate(2023, 4)
    assert record.languages == ["en"]
    assert record.source_id == "jnl1-1"
    assert (record.source.position, record.source.line) == (2, 16)


@pytest.mark.parametrize(
    ("name", "count", "first", "last"),
    [
        ("pymarc_one.dat", 1, ("fol05731351", "ActivePerl with ASP and ADO"), None),
        (
            "pymarc_test.dat",
            10,
            ("fol05731351", "ActivePerl with ASP and ADO"),
            ("fol05882032", "Cross-platform Perl"),
        ),
        (
            "pymarc_batch.xml",
            2,
            ("5637241", "The Great Ray Charles"),
            ("12149120", "The White House"),
        ),
        (
            "pymarc_batch.json",
            2,
            ("5637241", "The Great Ray Charles"),
            ("12149120", "The White House"),
        ),
        ("pymarc_utf8.xml", 1, ("ASP925318/clmu", "Zen Classics"), None),
    ],
)
def test_pymarc_samples_are_not_articles(
    name: str, count: int, first: tuple[str, str], last: tuple[str, str] | None
) -> None:
    items = list(read_file(shared_path("samples", "marc", name)))
    assert len(items) == count
    errors = [_skipped(i) for i in items]
    assert all(e.field == "Leader/07" and "only articles" in e.message for e in errors)
    assert [e.source.position for e in errors] == list(range(1, count + 1))
    assert f"{first[1]!r} (001 {first[0]})" in errors[0].message
    if last:
        assert f"{last[1]!r} (001 {last[0]})" in errors[-1].message


def test_book_fields_are_mapped_all_the_same() -> None:
    """The mapping itself on a real binary MARC-8 record (the gate aside)."""
    path = shared_path("samples", "marc", "pymarc_one.dat")
    with path.open("rb") as stream:
        (marc,) = pymarc.MARCReader(stream, to_unicode=True)
    record = marc_to_record(marc, SourceRef(str(path), 1))
    assert record.title == "ActivePerl with ASP and ADO"
    assert record.authors == [Person("Tobias Martinsson", "Martinsson", "Tobias")]
    assert record.date == PartialDate(2000)
    assert record.languages == ["en"]
    assert record.subjects == ["Perl (Computer program language)", "Active server pages", "ActiveX"]


def test_lobid_ebook_fields() -> None:
    path = shared_path("samples", "lobid", "99371426239306441.xml")
    (marc,) = pymarc.parse_xml_to_array(str(path))
    record = marc_to_record(marc, SourceRef(str(path), 1))
    assert record.title == "Pediatric Vaccines and Vaccinations: A European Textbook"  # no $h
    assert record.authors == []
    assert _people(record.contributors) == [("Vesikari", "Timo"), ("Van Damme", "Pierre")]  # edt
    assert record.doi == "10.1007/978-3-319-59952-6"
    assert record.date == PartialDate(2017)
    assert record.subjects == ["Vaccines", "Immunology", "Pediatrics", "Vaccine"]  # 6 headings
    assert record.abstract is not None and record.abstract.startswith("This graduate textbook")


# --- the mapping on records built here ---------------------------------------------


def _marc(*fields: pymarc.Field, leader: str = "00000nab a2200000 a 4500") -> pymarc.Record:
    record = pymarc.Record(leader=leader)
    record.fields.extend([pymarc.Field(tag="245", subfields=[_sub("a", "T")]), *fields])
    return record


def _sub(code: str, value: str) -> pymarc.Subfield:
    return pymarc.Subfield(code=code, value=value)


def _datafield(tag: str, ind1: str, *subs: tuple[str, str]) -> pymarc.Field:
    return pymarc.Field(
        tag=tag, indicators=pymarc.Indicators(ind1, " "), subfields=[_sub(*s) for s in subs]
    )


def test_relators_orcid_and_bodies() -> None:
    marc = _marc(
        _datafield("100", "1", ("a", "Doe, Jane,"), ("4", "edt")),
        _datafield("700", "1", ("a", "Carberry, Josiah"), ("4", "http://id.loc.gov/vocabulary/relators/aut"),
                   ("0", "https://orcid.org/0000-0002-1825-0097")),
        _datafield("700", "1", ("a", "Roe, Richard"), ("0", "(orcid)0000-0002-1825-0098")),
        _datafield("700", "0", ("a", "Kyaw Thu Htun"), ("e", "Verfasser")),
        _datafield("710", "2", ("a", "World Health Organization."),
                   ("b", "Regional Office for Europe.")),
        _datafield("711", "2", ("a", "Consensus Conference"), ("j", "organizer")),
    )  # fmt: skip
    record = _record(read_article(marc, SourceRef("f", 1)))
    assert record.authors == [
        Person("Josiah Carberry", "Carberry", "Josiah", "0000-0002-1825-0097"),
        Person("Richard Roe", "Roe", "Richard"),  # the iD fails its checksum: not kept
        Person("Kyaw Thu Htun"),
        Organization("World Health Organization. Regional Office for Europe"),
    ]
    assert record.contributors == [
        Person("Jane Doe", "Doe", "Jane"),
        Organization("Consensus Conference"),
    ]
    assert record.warnings == [
        "700 $0: ORCID iD '(orcid)0000-0002-1825-0098' of Richard Roe fails its checksum"
    ]


def test_book_chapter_host_is_not_a_journal() -> None:
    marc = _marc(
        _datafield("773", "0", ("t", "Handbook of things"), ("z", "9783319599526")),
        leader="00000naa a2200000 a 4500",
    )
    record = _record(read_article(marc, SourceRef("f", 1)))
    assert record.periodical is None
    assert record.unknown_fields == [
        UnknownField("773 (host item, not a journal)", "Handbook of things; 9783319599526")
    ]


def test_773_w_links_to_a_journal_record_earlier_in_the_file() -> None:
    journal = (
        '<record><leader>00000nas a2200000 a 4500</leader><controlfield tag="001">j1'
        '</controlfield><datafield tag="245" ind1="0" ind2="0"><subfield code="a">Journal of '
        'Things.</subfield></datafield><datafield tag="022" ind1=" " ind2=" "><subfield '
        'code="a">2234-943X</subfield></datafield></record>'
    )
    article = (
        '<record><leader>00000nab a2200000 a 4500</leader><datafield tag="245" ind1="0" '
        'ind2="0"><subfield code="a">An article</subfield></datafield><datafield tag="773" '
        'ind1="0" ind2=" "><subfield code="g">Vol. 2 (2020), p. 5-9</subfield><subfield '
        'code="w">j1</subfield></datafield></record>'
    )
    data = f"<collection>{journal}{article}</collection>".encode()
    first, second = _read(XML, data)
    assert _skipped(first).field == "Leader/07"
    record = _record(second)
    assert record.periodical == Periodical("Journal of Things", ("2234-943X",))
    assert (record.volume, record.page_start, record.page_end) == ("2", "5", "9")


def test_repeated_001_does_not_name_two_graphs() -> None:
    data = ARTICLES_MRC.read_bytes()
    first_end = data.index(b"\x1d") + 1
    first, again = _read(BINARY, data[:first_end] * 2)
    assert _record(first).source_id == "(DNLM)pm22663011"
    assert _record(again).source_id is None
    assert any("repeats an earlier record" in w for w in _record(again).warnings)


def test_isbd_punctuation() -> None:
    assert strip_isbd("Frontiers in oncology.") == "Frontiers in oncology"
    assert strip_isbd("Title /") == "Title"
    assert strip_isbd("Perl :") == "Perl"
    assert strip_isbd("Doe, J.") == "Doe, J."  # an initial keeps its period
    assert strip_isbd("J. Am. Chem. Soc.") == "J. Am. Chem. Soc."  # abbreviations throughout
    assert strip_isbd("Martinsson, Tobias,") == "Martinsson, Tobias"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vol. 11 (2021), 5, p. 439-448", ("11", "5", "439", "448", 2021)),
        ("5. Jahrgang, Nr. 3 (2022), Seite 6-13", ("5", "3", "6", "13", 2022)),
        ("Vol. 1, no. 1 (Apr. 2023)", ("1", "1", None, None, 2023)),
        ("Bd. 12, H. 3 (2001), S. 45-67", ("12", "3", "45", "67", 2001)),
        ("2012;367(2):107-14", ("367", "2", "107", "114", 2012)),
    ],
)
def test_enumeration_in_words(text: str, expected: tuple[object, ...]) -> None:
    found = parse_enumeration(text)
    assert (found.volume, found.issue, found.page_start, found.page_end, found.year) == expected


# --- encodings ---------------------------------------------------------------------


def test_marc8_record_is_decoded() -> None:
    """Leader/09 blank: MARC-8, ANSEL diacritics (E8 umlaut, E2 acute) before the letter."""
    data = iso2709(
        [
            (b"001", b"m8"),
            (b"100", b"1 \x1faM\xe8uller, J\xe8urgen"),
            (b"245", b"10\x1fa\xe2Etude sur la r\xe2eponse /"),
        ]
    )
    (item,) = _read(BINARY, data)
    record = _record(item)
    assert record.title == "\u00c9tude sur la r\u00e9ponse"  # precomposed É, é
    assert record.authors == [Person("J\u00fcrgen M\u00fcller", "M\u00fcller", "J\u00fcrgen")]
    assert record.warnings == []


def test_utf8_record_with_blank_leader_09_is_read_as_utf8() -> None:
    data = iso2709([(b"245", "10\x1faM\u00fcller's notes".encode())])
    (item,) = _read(BINARY, data)
    record = _record(item)
    assert record.title == "M\u00fcller's notes"
    assert record.warnings == ["Leader/09 says MARC-8, but the record is UTF-8: read as UTF-8"]


def test_latin1_bytes_in_a_utf8_binary_record() -> None:
    good = ARTICLES_MRC.read_bytes()
    bad = iso2709([(b"001", b"x"), (b"245", b"10\x1faM\xfcller")], coding=b"a")
    items = _read(BINARY, bad + good)
    error = _error(items[0])
    assert error.field == "245 $a" and "not UTF-8" in error.message
    assert error.source.position == 1
    assert [_record(i).source_id for i in items[1:]] == ["(DNLM)pm22663011", "fonc2021699946"]


def test_latin1_bytes_in_a_utf8_marcxml_file() -> None:
    data = ARTICLES_XML.read_bytes().replace(
        b"Htun, Kyaw Thu,", "H\u00fctun, Kyaw Thu,".encode("latin-1")
    )
    nejm, frontiers = _read(XML, data)
    _check_nejm(_record(nejm))
    error = _error(frontiers)
    assert (error.field, error.source.position) == ("100 $a", 2)


def test_latin1_bytes_in_a_marc_json_file() -> None:
    data = ARTICLES_JSON.read_bytes().replace(b"Robert, Caroline", b"Rob\xe9rt, Caroline")
    nejm, frontiers = _read(JSON, data)
    assert _error(nejm).field == "700 $a"
    _check_frontiers(_record(frontiers))


# --- bad input ---------------------------------------------------------------------


@pytest.mark.parametrize("reader", [BINARY, XML, JSON], ids=["binary", "xml", "json"])
@pytest.mark.parametrize(
    "data", [b"", b"   \n", bytes(range(256)) * 4], ids=["empty", "blank", "random"]
)
def test_empty_and_random_bytes_are_read_errors(
    reader: MarcBinaryReader | MarcXmlReader | MarcJsonReader, data: bytes
) -> None:
    items = _read(reader, data)
    assert items and all(isinstance(i, ReadError) for i in items)
    assert items[0].source.position == 1


def test_random_bytes_are_recognised_by_no_reader(tmp_path: Path) -> None:
    path = tmp_path / "noise.mrc"
    path.write_bytes(bytes(range(256)) * 64)
    (item,) = read_file(path)
    assert "unrecognised format" in _error(item).message


def test_truncated_binary_file() -> None:
    data = ARTICLES_MRC.read_bytes()
    first, second = _read(BINARY, data[: len(data) // 2])
    _check_nejm(_record(first))  # the first record (1857 bytes) ends before the cut
    error = _error(second)
    assert error.source.position == 2 and "truncated" in error.message


def test_broken_record_length_costs_only_that_record() -> None:
    data = ARTICLES_MRC.read_bytes()
    first_end = data.index(b"\x1d") + 1
    broken = b"x" * 5 + data[5:first_end]
    first, second = _read(BINARY, broken + data[first_end:])
    assert _error(first).field == "Leader/00-04"
    _check_frontiers(_record(second))


def test_truncated_marcxml_file() -> None:
    data = ARTICLES_XML.read_bytes()
    items = _read(XML, data[: int(len(data) * 0.75)])
    _check_nejm(_record(items[0]))
    error = _error(items[1])
    assert error.source.position == 2 and "truncated XML" in error.message


def test_truncated_marc_json_file() -> None:
    data = ARTICLES_JSON.read_bytes()
    items = _read(JSON, data[: int(len(data) * 0.75)])
    _check_nejm(_record(items[0]))
    error = _error(items[1])
    assert error.source.position == 2 and "truncated JSON" in error.message


def test_marc_json_bad_structure_is_named() -> None:
    records = json.loads(ARTICLES_JSON.read_text())
    data = json.dumps([{"leader": 5, "fields": []}, records[1], {"fields": [{"245": 3}]}, [1]])
    bad_leader, frontiers, bad_field, not_object = _read(JSON, data.encode())
    assert _error(bad_leader).field == "leader"
    _check_frontiers(_record(frontiers))
    assert _error(bad_field).field == "245"
    assert "JSON object" in _error(not_object).message


def test_json_lines_are_read_one_by_one() -> None:
    records = json.loads(ARTICLES_JSON.read_text())
    data = "\n".join(json.dumps(r) for r in records).encode()
    nejm, frontiers = _read(JSON, data)
    _check_nejm(_record(nejm))
    _check_frontiers(_record(frontiers))


@pytest.mark.parametrize(
    "path", [ARTICLES_XML, ARTICLES_JSON, ARTICLES_MRC], ids=["xml", "json", "mrc"]
)
def test_record_without_title_is_rejected_naming_the_field(path: Path, tmp_path: Path) -> None:
    marc = list(pymarc.parse_xml_to_array(str(ARTICLES_XML)))
    marc[0].remove_fields("245")
    target = tmp_path / path.name
    if path.suffix == ".xml":
        target.write_bytes(
            b"<collection>" + b"".join(pymarc.record_to_xml(m) for m in marc) + b"</collection>"
        )
    elif path.suffix == ".json":
        target.write_text(json.dumps([m.as_dict() for m in marc]))
    else:
        target.write_bytes(b"".join(m.as_marc() for m in marc))
    first, second = read_file(target)
    assert _record(first).title is None
    assert _record(first).warnings == ["no title (245 $a)"]
    _check_frontiers(_record(second))
    result = run_cli("validate", str(target))
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert "rejected: 1" in out
    assert f"{target} record 1" in out and "(field schema:name;" in out


# --- detection ---------------------------------------------------------------------


def test_each_marc_file_is_claimed_by_its_reader_only() -> None:
    expected = {ARTICLES_XML: "marcxml", ARTICLES_MRC: "marc21", ARTICLES_JSON: "marc-json"}
    for sample in ("marc", "lobid", "vufind"):
        for path in sorted((SHARED / "samples" / sample).glob("*")):
            if path.suffix in (".xml", ".dat", ".json") and path.name != "record_labels_de_en.csv":
                kind = {".xml": "marcxml", ".dat": "marc21"}.get(path.suffix)
                if path.suffix == ".json":
                    kind = "marc-json" if sample == "marc" else None
                expected[path] = kind  # type: ignore[assignment]
    for path, kind in expected.items():
        head = path.read_bytes()[: 64 * 1024]
        claimed = [name for name, reader in READERS.items() if reader.sniff(head)]
        assert claimed == ([kind] if kind else []), path


def test_marc_sniffers_claim_no_other_sample() -> None:
    if not SHARED.exists():
        pytest.skip(f"shared data not available: {SHARED}")
    for path in sorted((SHARED / "samples").rglob("*")):
        if path.is_file() and path.parent.name not in ("marc", "lobid", "vufind"):
            head = path.read_bytes()[: 64 * 1024]
            assert not [n for n in MARC_NAMES if READERS[n].sniff(head)], path
    for path in sorted((REPO / "publisher" / "examples" / "records").glob("*")):
        assert not [n for n in MARC_NAMES if READERS[n].sniff(path.read_bytes())], path


# --- end to end --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [ARTICLES_XML, ARTICLES_MRC, ARTICLES_JSON], ids=["xml", "mrc", "json"]
)
def test_ingest_fixture_end_to_end(path: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 2" in result.stdout
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX s: <https://schema.org/>
            PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            ASK {
              <http://127.0.0.1:8000/article/doi/10.1056/nejmoa1203421>
                a s:ScholarlyArticle, s:MedicalScholarlyArticle ;
                s:name "Improved survival with MEK inhibition in BRAF-mutated melanoma" ;
                s:datePublished "2012-07"^^xsd:gYearMonth ;
                s:pageStart "107" ;
                s:about <https://id.nlm.nih.gov/mesh/D008545> ;
                s:mentions <http://127.0.0.1:8000/trial/nct/NCT01245062> ;
                s:isPartOf <http://127.0.0.1:8000/periodical/issn/0028-4793/volume/367/issue/2> .
              <http://127.0.0.1:8000/periodical/issn/0028-4793>
                s:name "The New England journal of medicine" ; s:issn "1533-4406" .
              <http://127.0.0.1:8000/article/doi/10.3389/fonc.2021.699946>
                s:publicationType "Case Reports" ; s:inLanguage "en" ;
                s:author <http://127.0.0.1:8000/person/doi/10.3389/fonc.2021.699946/7> .
              <http://127.0.0.1:8000/person/doi/10.3389/fonc.2021.699946/7>
                s:familyName "Chen" ; s:givenName "Jieping" .
            }"""
        )
    finally:
        opened.close()


def test_ingest_lobid_article_end_to_end(tmp_path: Path) -> None:
    path = shared_path("samples", "lobid", "99371597489906441.xml")
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    opened = OxigraphStore(store, read_only=True)
    try:
        assert opened.query(
            """PREFIX s: <https://schema.org/>
            ASK { ?article a s:ScholarlyArticle ; s:inLanguage "de" ;
                    s:contributor [ s:familyName "Stegt" ] ;
                    s:isPartOf / s:isPartOf / s:isPartOf ?journal .
                  ?journal s:name "Gerrikuss" .
                  GRAPH ?g { ?article s:keywords "Festschrift" }
                  FILTER(STRENDS(STR(?g), "/id/(DE-605)99371597489906441")) }"""
        )
    finally:
        opened.close()


def test_ingest_books_skipped_naming_leader_07(tmp_path: Path) -> None:
    path = shared_path("samples", "marc", "pymarc_test.dat")
    result = run_cli("ingest", "--store", str(tmp_path / "store"), str(path))
    assert result.returncode == 0  # books are skipped, not rejected
    assert "published: 0, skipped: 10 (not articles), rejected: 0" in result.stdout
    assert (result.stdout + result.stderr).count("Leader/07") >= 10


PYMARC_JSON = REPO / "tests" / "data" / "real" / "marc_json" / "pymarc_test.json"


def test_marc_json_with_a_raw_line_break_in_a_string_is_read() -> None:
    """pymarc's test.json has a raw line break inside 100 $a ("Dylan,<newline>..."):
    read as `json.loads(strict=False)` would, so the record (a recording) is skipped
    for what it is instead of the whole file rejected as not well-formed JSON."""
    (item,) = list(read_file(PYMARC_JSON))
    assert isinstance(item, Skipped), item
    article = json.loads((DATA / "articles.json").read_text(encoding="utf-8"))[0]
    title = next(f for f in article["fields"] if "245" in f)["245"]["subfields"][0]
    title["a"] = "Improved survival with MEK inhibition\nin BRAF-mutated melanoma /"
    raw = json.dumps(article).replace("\\n", "\n").encode()
    assert b"inhibition\nin" in raw  # a raw line break inside the string
    (record,) = list(MarcJsonReader().read(io.BytesIO(raw), "raw.json"))
    assert isinstance(record, Record), record
    assert record.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma"


def test_024_doi_inside_a_landing_page_url() -> None:
    """lobid 99375256366506441: 024 $2 doi holds the publisher's page, the DOI inside it."""
    url = "https://biblioscout.net/article/10.25162/vswg-2024-0016"
    marc = _marc(_datafield("024", "7", ("a", url), ("2", "doi")))
    assert _record(read_article(marc, SourceRef("f", 1))).doi == "10.25162/vswg-2024-0016"
    plain = _marc(_datafield("024", "7", ("a", "10.1000/182"), ("2", "doi")))
    assert _record(read_article(plain, SourceRef("f", 1))).doi == "10.1000/182"


def test_non_filing_markers_dropped_their_words_kept() -> None:
    """lobid 990110881770206441: 245 `<<Das>> Portrait einer Region`; 773 $t too."""
    assert strip_isbd("<<Das>> Portrait einer Region: Kreis Coesfeld.") == (
        "Das Portrait einer Region: Kreis Coesfeld"
    )
    assert strip_isbd("\x98The\x9c Lancet") == "The Lancet"
    path = REPO / "tests" / "data" / "real" / "marcxml" / "lobid" / "990110881770206441.xml"
    (item,) = list(read_file(path))
    assert _record(item).title == "Das Portrait einer Region: Kreis Coesfeld"


def test_a_part_number_in_brackets_keeps_its_closing_bracket() -> None:
    """lobid 990114617880206441: 245 $a ... Rostock $n [1] -> `... Rostock. [1]`; a title
    bracketed whole by the cataloguer loses its brackets."""
    numbered = _marc()
    numbered.remove_fields("245")
    numbered.add_field(
        _datafield("245", "1", ("a", "Gründung und Entwicklung der Realschule zu Rostock"),
                   ("n", "[1]"), ("c", "von Th. Schulenburg"))
    )  # fmt: skip
    title = _record(read_article(numbered, SourceRef("f", 1))).title
    assert title == "Gründung und Entwicklung der Realschule zu Rostock. [1]"
    supplied = _marc()
    supplied.remove_fields("245")
    supplied.add_field(_datafield("245", "0", ("a", "[Untitled]")))
    assert _record(read_article(supplied, SourceRef("f", 1))).title == "Untitled"


def test_773_q_alone_is_a_sequence_number_not_a_volume() -> None:
    """lobid 990114617880206441: 773 $q `1` orders the host's parts; `11:5<439` is the
    structured enumeration and gives volume, issue and first page."""

    def host(q: str) -> Record:
        field = _datafield("773", "0", ("t", "Programm der Realschule zu Rostock"),
                           ("g", "1902"), ("w", "(DE-600)1118317-2"), ("q", q))  # fmt: skip
        return _record(read_article(_marc(field), SourceRef("f", 1)))

    assert host("1").volume is None
    structured = host("11:5<439")
    assert (structured.volume, structured.issue, structured.page_start) == ("11", "5", "439")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1902, S. [3] - 25", (None, None, "3", "25", 1902)),  # lobid 990114617880206441
        ("41. Jahrgang (2022), Seite [17]-31", ("41", None, "17", "31", 2022)),
        ("39. Jahrgang, Ausgabe 4 (Juli/August 2018)", ("39", "4", None, None, 2018)),
        ("[2] Seiten", (None, None, None, None, None)),  # a page count, not pages
    ],
)
def test_773_g_bracketed_pages_and_ausgabe(text: str, expected: tuple[object, ...]) -> None:
    """Inferred page numbers in brackets and `Ausgabe` (issue), as lobid writes 773 $g."""
    found = parse_enumeration(text)
    assert (found.volume, found.issue, found.page_start, found.page_end, found.year) == expected


def test_pages_in_a_host_that_is_a_book_are_kept() -> None:
    """lobid 990226763120206441: a chapter in a book (773 $w (DE-605)): no journal, but
    `Seite 219-231` are the article's pages."""
    path = REPO / "tests" / "data" / "real" / "marcxml" / "lobid" / "990226763120206441.xml"
    (item,) = list(read_file(path))
    record = _record(item)
    assert record.periodical is None
    assert (record.page_start, record.page_end) == ("219", "231")


def test_041_language_name_instead_of_codes() -> None:
    """lobid 990126426530206441: 041 $a `deutsch` is German, not `deu` + `tsc` + `h`;
    packed codes (`engger`) are still cut in threes."""
    named = _marc(_datafield("041", " ", ("a", "deutsch")))
    assert _record(read_article(named, SourceRef("f", 1))).languages == ["de"]
    packed = _marc(_datafield("041", " ", ("a", "engger")))
    assert _record(read_article(packed, SourceRef("f", 1))).languages == ["en", "de"]


def test_host_named_only_by_title_is_kept_as_the_journal() -> None:
    """lobid 99373637266706441: 773 $t zeitpunkt.nrw, no ISSN, no ZDB or other link:
    the journal by its name. A host with an ISBN or ` / editors` stays a book."""
    zeitpunkt = _datafield("773", "0", ("t", "zeitpunkt.nrw"), ("b", "25.01.2022,"),
                           ("d", "Augsburg, Bonn 2022"), ("g", "[2] Seiten"))  # fmt: skip
    record = _record(
        read_article(_marc(zeitpunkt, leader="00000naa a2200000 a 4500"), SourceRef("f", 1))
    )
    assert record.periodical == Periodical("zeitpunkt.nrw", ())
    book = _datafield("773", "0", ("t", "UFOs, Märchen und ein Mythos / herausgegeben von F. S."))
    record = _record(
        read_article(_marc(book, leader="00000naa a2200000 a 4500"), SourceRef("f", 1))
    )
    assert record.periodical is None
