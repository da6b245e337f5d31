"""The PubMed / MEDLINE XML reader, on the real efetch samples, our own variants and
broken files.

Expected values of the real samples were read off the XML files by hand.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph
import pytest
from conftest import BASE, EXAMPLES, REPO, run_cli, shared_path

from publisher.mapping.records import RecordMapper
from publisher.model import (
    DatePrecision,
    Funding,
    Organization,
    PartialDate,
    Person,
    ReadError,
    ReadNotice,
    Record,
    Skipped,
    SubjectTerm,
    TrialId,
    UnknownField,
)
from publisher.readers.base import ReadItem
from publisher.readers.pubmed import PubmedXmlReader
from publisher.readers.registry import detect, read_file
from publisher.readers.xmlstream import root_tag
from publisher.store.oxigraph import OxigraphStore
from publisher.text import Pages, parse_pages
from publisher.validation.shacl import ShaclValidator

READER = PubmedXmlReader()
DATA = REPO / "tests" / "data" / "pubmed"
NEJM = ("samples", "pubmed", "pubmed_22663011_efetch.xml")
ASTHMA = ("samples", "pubmed", "pubmed_29768149.xml")
SET_HEAD = b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n'
SET_TAIL = b"</PubmedArticleSet>\n"


def _read(data: bytes, path: str = "pubmed.xml") -> list[ReadItem]:
    return list(READER.read(io.BytesIO(data), path))


def _one(path: Path) -> Record:
    (record,) = READER.read(io.BytesIO(path.read_bytes()), str(path))
    assert isinstance(record, Record), record
    return record


def _article(path: Path) -> bytes:
    """The one <PubmedArticle> element of a real sample, as bytes."""
    data = path.read_bytes()
    start = data.index(b"<PubmedArticle>")
    end = data.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")
    return data[start:end]


def test_nejm_efetch_every_field() -> None:
    record = _one(shared_path(*NEJM))
    # PubMed's own terminal period is removed, as in the bundled examples.
    assert record.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma"
    assert (record.pmid, record.source_id) == ("22663011", "22663011")
    assert record.doi == "10.1056/NEJMoa1203421"
    assert record.periodical is not None
    assert record.periodical.name == "The New England journal of medicine"
    assert record.periodical.abbreviation == "N Engl J Med"
    assert set(record.periodical.issns) == {"1533-4406", "0028-4793"}  # Electronic, Linking
    assert (record.volume, record.issue) == ("367", "2")
    assert (record.page_start, record.page_end) == ("107", "114")  # StartPage / EndPage
    assert record.date == PartialDate(2012, 7, 12)  # PubDate 2012 Jul 12, not ArticleDate
    assert record.date.precision is DatePrecision.DAY
    assert record.languages == ["en"]
    assert len(record.authors) == 26  # 25 people and the collective author, in order
    first, last = record.authors[0], record.authors[-1]
    assert isinstance(first, Person)
    assert (first.family_name, first.given_name, first.name) == (
        "Flaherty", "Keith T", "Keith T Flaherty",
    )  # fmt: skip
    assert first.affiliations == (
        "Massachusetts General Hospital Cancer Center, Boston, USA. kflaherty@partners.org",
    )
    assert record.authors[1] == Person("Caroline Robert", "Robert", "Caroline")
    becker = record.authors[17]
    assert isinstance(becker, Person) and becker.name == "Jürgen C Becker"  # &#xfc;
    assert record.authors[24] == Person("Dirk Schadendorf", "Schadendorf", "Dirk")
    assert last == Organization("METRIC Study Group")
    assert record.trials == [TrialId("nct", "NCT01245062")]  # DataBankList
    assert record.publication_types == [
        "Clinical Trial, Phase III", "Comparative Study", "Journal Article",
        "Multicenter Study", "Randomized Controlled Trial", "Research Support, Non-U.S. Gov't",
    ]  # fmt: skip
    assert len(record.subject_terms) == 20  # MeSH descriptors; qualifiers not published
    assert record.subject_terms[0] == SubjectTerm("Adult", "D000328", "MeSH")
    assert SubjectTerm("Melanoma", "D008545", "MeSH") in record.subject_terms
    assert record.subject_terms[-1] == SubjectTerm("Young Adult", "D055815", "MeSH")
    assert record.subjects == []  # no KeywordList
    assert record.abstract is not None
    sections = record.abstract.split("\n")
    labels = [s.split(":")[0] for s in sections]
    assert labels == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert sections[0].startswith("BACKGROUND: Activating mutations in serine-threonine")
    assert (
        "(hazard ratio for disease progression or death in the trametinib group, 0.45;"
        in (sections[2])
    )
    assert "P<0.001" in sections[2]  # &lt; decoded
    assert sections[3].endswith("METRIC ClinicalTrials.gov number, NCT01245062.).")
    assert record.warnings == [] and record.unknown_fields == []
    assert (record.source.position, record.source.line, record.source.format) == (
        1, 4, "pubmed-xml",
    )  # fmt: skip


def test_asthma_sample_pretty_printed_medline_pages_and_sub_markup() -> None:
    record = _one(shared_path(*ASTHMA))
    assert record.title == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma"
    assert record.pmid == "29768149"
    assert record.doi == "10.1056/NEJMoa1715274"
    assert (record.volume, record.issue) == ("378", "20")
    assert (record.page_start, record.page_end) == ("1865", "1876")  # MedlinePgn only
    assert record.date == PartialDate(2018, 5, 17)
    names = [(a.family_name, a.given_name) for a in record.authors if isinstance(a, Person)]
    assert len(record.authors) == len(names) == 10
    assert names[0] == ("O'Byrne", "Paul M") and names[-1] == ("Reddel", "Helen K")
    assert record.authors[0].affiliations[0].startswith("From the Firestone Institute")  # type: ignore[union-attr]
    assert record.trials == [TrialId("nct", "NCT02149199")]
    assert len(record.subject_terms) == 23
    assert record.subject_terms[0] == SubjectTerm("Administration, Inhalation", "D000280")
    assert record.abstract is not None
    # "β\n\t\t\t\t\t\t<sub>2</sub>-agonist": the line break is pretty-printing.
    assert "a fast-acting β₂-agonist may be an alternative" in record.abstract
    assert "\t" not in record.abstract and "  " not in record.abstract
    assert record.abstract.count("\n") == 3


def test_variants_of_our_own() -> None:
    items = list(read_file(DATA / "variants_set.xml"))
    assert [type(i).__name__ for i in items] == [
        "Record", "ReadError", "Record", "Skipped", "ReadNotice",
    ]  # fmt: skip
    first, no_title, third, book, delete = items
    assert isinstance(first, Record)
    assert first.title == "[Escherichia coli infection in H₂O: a case report]"
    assert first.date == PartialDate(2012, 7)  # MedlineDate "2012 Jul-Aug": first month
    assert (first.page_start, first.page_end) == ("107", "114")  # "107-14; discussion 115-6"
    assert first.doi == "10.1000/test.2012.001"  # ELocationID only
    assert (first.volume, first.issue) == ("12", "4 Suppl 1")
    assert first.abstract == "An unlabelled abstract with x² in it."
    assert first.languages == ["de"]
    carberry, mistyped = first.authors
    assert isinstance(carberry, Person) and carberry.orcid == "0000-0002-1825-0097"
    assert carberry.affiliations == (
        "Brown University, Providence, USA.", "Wesleyan University, Middletown, USA.",
    )  # fmt: skip
    assert isinstance(mistyped, Person) and mistyped.orcid is None
    assert any("0000-0002-1825-0098" in w for w in first.warnings)
    assert first.funding == [Funding(Organization("NCI NIH HHS"), ("R01 CA000001", "P30 CA000002"))]
    assert "Case Reports" in first.publication_types
    assert first.subjects == ["water", "E. coli"]
    assert first.periodical is not None
    assert first.periodical.issns == ("0028-4793",)  # Print and ISSNLinking, once
    assert isinstance(no_title, ReadError)
    assert (no_title.field, no_title.source.position) == ("ArticleTitle", 2)
    assert isinstance(third, Record)
    assert third.source.position == 3
    assert third.date == PartialDate(2015)  # Season: a year only
    assert third.date.precision is DatePrecision.YEAR
    assert (third.page_start, third.page_end) == ("e0134826", None)
    assert third.authors == [Person("John Doe Jr", "Doe", "John")]  # ValidYN="N" skipped
    assert third.trials == [TrialId("isrctn", "ISRCTN12345678")]
    assert third.unknown_fields == [UnknownField("DataBank GENBANK", "AB000001")]
    assert isinstance(book, Skipped) and book.field == "PubmedBookArticle"
    assert isinstance(delete, ReadNotice) and "1000005, 1000006" in delete.message


def test_abstract_of_a_german_article_is_tagged_english() -> None:
    """MEDLINE's <Abstract> holds the English abstract whatever the article's language
    (NLM's element descriptions; other languages go to <OtherAbstract>). Record 1 of our
    variants is a German article (<Language>ger</Language>) with an English abstract."""
    first = next(iter(read_file(DATA / "variants_set.xml")))
    assert isinstance(first, Record)
    assert (first.languages, first.abstract_language) == (["de"], "en")
    mapped = RecordMapper(BASE).map(first)
    schema = "https://schema.org/"
    values = {
        (t.predicate.value, t.object.value, getattr(t.object, "language", None))
        for t in mapped.triples
        if t.subject == mapped.article
        and t.predicate.value in (schema + "abstract", schema + "inLanguage")
    }
    assert values == {
        (schema + "abstract", "An unlabelled abstract with x² in it.", "en"),
        (schema + "inLanguage", "de", None),
    }


def test_medline_citation_set_root() -> None:
    first, second = read_file(DATA / "medline_citation_set.xml")
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.title == "First citation of a MedlineCitationSet"
    assert first.date == PartialDate(1999, 1, 7)  # Month "Jan"
    assert first.authors == [Organization("Test Study Group")]
    assert first.subject_terms == [SubjectTerm("Humans", "D006801")]
    assert (second.pmid, second.source.position) == ("2000002", 2)
    assert second.title == "Second citation..."  # an ellipsis is not PubMed's period
    assert second.date == PartialDate(1999, 12)  # Month "12"
    assert second.languages == ["fr"]


def test_bare_pubmed_article_root() -> None:
    data = b'<?xml version="1.0"?>\n' + _article(shared_path(*NEJM))
    assert root_tag(data) == "PubmedArticle"
    (record,) = _read(data)
    assert isinstance(record, Record) and record.pmid == "22663011"


def test_many_articles_streamed_in_order() -> None:
    nejm, asthma = _article(shared_path(*NEJM)), _article(shared_path(*ASTHMA))
    data = SET_HEAD + b"\n".join([nejm, asthma] * 50) + b"\n" + SET_TAIL
    items = _read(data)
    assert len(items) == 100
    assert all(isinstance(i, Record) for i in items)
    assert [i.source.position for i in items] == list(range(1, 101))
    assert [i.pmid for i in items[:3]] == ["22663011", "29768149", "22663011"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("107-14", Pages("107", "114")),
        ("1865-1876", Pages("1865", "1876")),
        ("1199-203", Pages("1199", "1203")),
        ("S1-5", Pages("S1", "S5")),
        ("e0134826", Pages("e0134826")),
        # A discussion page is not lost: the whole text is the pagination.
        ("107-14; discussion 115-6", Pages("107", "114", "107-14; discussion 115-6")),
        ("", Pages()),
    ],
)
def test_medline_page_ranges(text: str, expected: Pages) -> None:
    assert parse_pages(text) == expected


def test_sniffer_claims_pubmed_only() -> None:
    for name in ("pubmed_22663011_efetch.xml", "pubmed_29768149.xml"):
        head = shared_path("samples", "pubmed", name).read_bytes()[:65536]
        reader = detect(head)
        assert reader is not None and reader.name == "pubmed-xml"
    others = [*shared_path("samples").rglob("*"), *EXAMPLES.iterdir(), *DATA.parent.rglob("*")]
    for path in sorted(others):
        if path.is_file() and path.suffix != ".md" and path.parent.name != "pubmed":
            assert not READER.sniff(path.read_bytes()[:65536]), path
    assert not READER.sniff(b'<?xml version="1.0"?><collection><record/></collection>')
    assert READER.sniff(b"<!-- a comment --><!DOCTYPE x><MedlineCitationSet>")


# --- bad input: always a named error with the record's position, never an exception


def test_empty_and_random_bytes(tmp_path: Path) -> None:
    (empty,) = _read(b"")
    assert isinstance(empty, ReadError) and "XML" in empty.message
    (tmp_path / "empty.xml").write_bytes(b"")
    (via_registry,) = read_file(tmp_path / "empty.xml")
    assert isinstance(via_registry, ReadError) and via_registry.message == "the file is empty"
    (garbage,) = _read(bytes(range(256)) * 8)
    assert isinstance(garbage, ReadError)
    assert garbage.source.position == 1


def test_not_pubmed_xml_named() -> None:
    (error,) = _read(b'<?xml version="1.0"?><collection><record/></collection>')
    assert isinstance(error, ReadError)
    assert "no PubmedArticle" in error.message and "<collection>" in error.message


def test_truncated_sample() -> None:
    data = shared_path(*NEJM).read_bytes()
    (error,) = _read(data[: len(data) // 2])
    assert isinstance(error, ReadError)
    assert "truncated" in error.message and error.source.position == 1


def test_truncated_after_good_records_keeps_them() -> None:
    nejm, asthma = _article(shared_path(*NEJM)), _article(shared_path(*ASTHMA))
    data = SET_HEAD + nejm + b"\n" + asthma[: len(asthma) // 2]
    first, error = _read(data)
    assert isinstance(first, Record) and first.pmid == "22663011"
    assert isinstance(error, ReadError)
    assert error.source.position == 2 and "after record 1" in error.message


def test_broken_markup_in_the_middle_is_not_a_truncation() -> None:
    nejm, asthma = _article(shared_path(*NEJM)), _article(shared_path(*ASTHMA))
    broken = asthma.replace(b"</ArticleTitle>", b"</Title>", 1)
    first, error = _read(SET_HEAD + nejm + b"\n" + broken + b"\n" + nejm + b"\n" + SET_TAIL)
    assert isinstance(first, Record)
    assert isinstance(error, ReadError)
    assert error.source.position == 2 and "not well-formed" in error.message
    # The line of the damage, the broken title's (libxml2's words differ between releases).
    before = SET_HEAD + nejm + b"\n" + broken[: broken.index(b"<ArticleTitle>")]
    assert error.source.line == before.count(b"\n") + 1


def test_latin1_bytes_reject_one_record_and_keep_the_next() -> None:
    nejm, asthma = _article(shared_path(*NEJM)), _article(shared_path(*ASTHMA))
    latin1 = nejm.replace(b"J&#xfc;rgen", "Jürgen".encode("latin-1"))
    assert b"J\xfcrgen" in latin1
    error, good = _read(SET_HEAD + latin1 + b"\n" + asthma + b"\n" + SET_TAIL)
    assert isinstance(error, ReadError)
    assert error.source.position == 1
    assert error.field == "MedlineCitation/Article/AuthorList/Author/ForeName"
    assert "not UTF-8" in error.message
    assert isinstance(good, Record) and good.pmid == "29768149"


def test_genuine_replacement_character_is_not_an_encoding_error() -> None:
    nejm = _article(shared_path(*NEJM)).replace(b"J&#xfc;rgen", "J\ufffdrgen".encode())
    (record,) = _read(SET_HEAD + nejm + SET_TAIL)
    assert isinstance(record, Record)


def test_missing_title_named_and_neighbours_kept() -> None:
    nejm, asthma = _article(shared_path(*NEJM)), _article(shared_path(*ASTHMA))
    start = asthma.index(b"<ArticleTitle>")
    end = asthma.index(b"</ArticleTitle>") + len(b"</ArticleTitle>")
    untitled = asthma[:start] + asthma[end:]
    first, error, last = _read(SET_HEAD + b"\n".join([nejm, untitled, nejm]) + SET_TAIL)
    assert isinstance(first, Record) and isinstance(last, Record)
    assert isinstance(error, ReadError)
    assert (error.field, error.source.position) == ("ArticleTitle", 2)
    assert error.source.line == 4  # the line its <PubmedArticle> starts on


def test_record_without_article_element() -> None:
    data = SET_HEAD + b"<PubmedArticle><MedlineCitation><PMID>1</PMID>"
    data += b"</MedlineCitation></PubmedArticle>" + SET_TAIL
    (error,) = _read(data)
    assert isinstance(error, ReadError) and error.field == "Article"


def test_entities_are_not_expanded() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY boom "BOOM">]>'
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        b"<ArticleTitle>A &boom; title.</ArticleTitle></Article></MedlineCitation>"
        b"</PubmedArticle></PubmedArticleSet>"
    )
    (record,) = _read(data)
    assert isinstance(record, Record) and record.title == "A title"


# --- SHACL and the whole pipeline


def test_grant_list_passes_shacl() -> None:
    first = next(iter(read_file(DATA / "variants_set.xml")))
    assert isinstance(first, Record)
    mapped = RecordMapper(BASE).map(first)
    assert ShaclValidator().validate(mapped.triples) == []
    graph = pyoxigraph.Store()
    graph.extend(pyoxigraph.Quad(*triple) for triple in mapped.triples)
    awards = graph.query("""
        PREFIX s: <https://schema.org/>
        SELECT ?award ?agency {
            ?article s:funding ?grant .
            ?grant a s:Grant ; s:funder/s:name ?agency ;
                s:identifier [ a s:PropertyValue ; s:propertyID "award" ; s:value ?award ] .
        } ORDER BY ?award""")
    assert [(row["award"].value, row["agency"].value) for row in awards] == [  # type: ignore[union-attr]
        ("P30 CA000002", "NCI NIH HHS"),
        ("R01 CA000001", "NCI NIH HHS"),
    ]


def test_ingest_real_samples_end_to_end(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    nejm, asthma = shared_path(*NEJM), shared_path(*ASTHMA)
    result = run_cli(
        "ingest", "--store", str(store_dir), "--base-uri", BASE, str(nejm), str(asthma)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 2, skipped: 0 (not articles), rejected: 0 (invalid)" in result.stdout
    article = f"{BASE}article/doi/10.1056/nejmoa1203421"
    store = OxigraphStore(store_dir, read_only=True)
    try:
        assert store.query(f"""
            PREFIX s: <https://schema.org/>
            ASK {{ GRAPH <{BASE}graph/pubmed-xml/id/22663011> {{
                <{article}> a s:ScholarlyArticle, s:MedicalScholarlyArticle ;
                    s:name "Improved survival with MEK inhibition in BRAF-mutated melanoma" ;
                    s:datePublished "2012-07-12"^^<http://www.w3.org/2001/XMLSchema#date> ;
                    s:pageStart "107" ; s:pageEnd "114" ;
                    s:inLanguage "en" ;
                    s:publicationType "Randomized Controlled Trial" ;
                    s:sameAs <https://doi.org/10.1056/NEJMoa1203421>,
                             <https://pubmed.ncbi.nlm.nih.gov/22663011/> ;
                    s:identifier [ s:propertyID "PMID" ; s:value "22663011" ] ;
                    s:about <https://id.nlm.nih.gov/mesh/D008545> ;
                    s:mentions <{BASE}trial/nct/NCT01245062> ;
                    s:isPartOf <{BASE}periodical/issn/0028-4793/volume/367/issue/2> .
                <{BASE}periodical/issn/0028-4793> s:alternateName "N Engl J Med" ;
                    s:issn "0028-4793", "1533-4406" .
                <https://id.nlm.nih.gov/mesh/D008545> a s:DefinedTerm ;
                    s:name "Melanoma" ; s:termCode "D008545" ;
                    s:inDefinedTermSet <https://id.nlm.nih.gov/mesh/> .
            }} }}""")
        (row,) = store.query(f"""
            PREFIX s: <https://schema.org/>
            PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
            SELECT (COUNT(?member) AS ?n) WHERE {{
                <{article}> <http://purl.org/ontology/bibo/authorList>/rdf:rest*/rdf:first ?member
            }}""")  # type: ignore[misc]
        assert int(row[0].value) == 26
        # every one of the 20 <DescriptorName>s of the sample (counted with grep) is a
        # MeSH DefinedTerm the article is about
        (row,) = store.query(f"""
            PREFIX s: <https://schema.org/>
            SELECT (COUNT(DISTINCT ?term) AS ?n) WHERE {{
                <{article}> s:about ?term .
                ?term a s:DefinedTerm ; s:inDefinedTermSet <https://id.nlm.nih.gov/mesh/> ;
                      s:termCode ?code .
                FILTER(STR(?term) = CONCAT("https://id.nlm.nih.gov/mesh/", ?code)) }}""")  # type: ignore[misc]
        assert int(row[0].value) == 20
        assert store.query(f"""
            PREFIX s: <https://schema.org/>
            PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
            ASK {{ <{article}> <http://purl.org/ontology/bibo/authorList>/rdf:first ?first .
                   ?first s:familyName "Flaherty" ; s:givenName "Keith T" ;
                          s:affiliation/s:name ?where .
                   FILTER(STRSTARTS(?where, "Massachusetts General Hospital")) }}""")
        assert store.query(f"""
            PREFIX s: <https://schema.org/>
            ASK {{ <{BASE}article/doi/10.1056/nejmoa1715274>
                     s:mentions <{BASE}trial/nct/NCT02149199> ;
                     s:pageStart "1865" ; s:pageEnd "1876" }}""")
    finally:
        store.close()


REAL_BOOK = REPO / "tests" / "data" / "real" / "pubmed" / "jabref_PubmedBook.xml"


def test_a_bare_pubmed_book_article_is_detected_and_skipped() -> None:
    """JabRef's PubmedBook.xml is one `<PubmedBookArticle>` with no set around it: PubMed
    all the same, so the book is skipped, not the file rejected as unrecognised."""
    assert isinstance(detect(REAL_BOOK.read_bytes()), PubmedXmlReader)
    (item,) = list(read_file(REAL_BOOK))
    assert isinstance(item, Skipped) and item.field == "PubmedBookArticle"
    wrapped = b"<PubmedBookArticleSet>" + REAL_BOOK.read_bytes() + b"</PubmedBookArticleSet>"
    assert isinstance(detect(wrapped), PubmedXmlReader)
