"""Reader fidelity on real records, across readers (issue 14): pages as text from one
parser, identifiers wherever a format hides them, inline markup that reads the same,
placeholders and non-articles skipped, detection that does not depend on luck.

The page texts and identifiers below are those the issue quotes from real exports
(MEDLINE, RIS, Web of Science); the whole records come from ../shared/samples/ (see
its README.md for origin and licence). Where a test changes one thing in a real record
to make the case (a type word, an envelope), the comment says what.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import shared_path
from pyoxigraph import Literal, NamedNode

from publisher.identifiers import is_valid_doi
from publisher.mapping.records import RecordMapper
from publisher.model import Periodical, Record, Skipped, SourceRef
from publisher.readers.base import skip_placeholder
from publisher.readers.marcxml import MarcXmlReader
from publisher.readers.registry import READERS, describe_content, detect, read_file
from publisher.readers.ris import RisReader
from publisher.text import Pages, page_bounds, parse_pages, strip_markup

BASE = "http://example.org/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("026002", Pages("026002")),  # MEDLINE electronic article number: zero kept
        ("1016-1021.e6", Pages("1016", "1021.e6")),  # Cell Press supplementary pages
        ("1787-8; discussion 1791", Pages("1787", "1788", "1787-8; discussion 1791")),
        ("e123", Pages("e123")),
        ("411-22", Pages("411", "422")),  # WoS PS of a MEDLINE record
        ("2457-71", Pages("2457", "2471")),
        ("746--750", Pages("746", "750")),  # BibTeX
    ],
)
def test_page_texts_of_real_records(text: str, expected: Pages) -> None:
    assert parse_pages(text) == expected


def test_abbreviated_end_page_given_apart() -> None:
    """RIS `SP 377` / `EP 86`: pages 377 to 386, not an end before the start."""
    assert page_bounds("377", "86") == Pages("377", "386")


def test_pages_are_published_as_text_with_pagination() -> None:
    record = Record(SourceRef("x.xml", 1, format="pubmed-xml"), title="T")
    pages = parse_pages("1787-8; discussion 1791")
    record.page_start, record.page_end, record.pagination = pages.start, pages.end, pages.pagination
    triples = RecordMapper(BASE).map(record).triples
    found = {(t.predicate.value.rsplit("/", 1)[-1], t.object) for t in triples}
    assert ("pageStart", Literal("1787")) in found
    assert ("pageEnd", Literal("1788")) in found
    assert ("pagination", Literal("1787-8; discussion 1791")) in found


def test_superscripts_read_the_same_without_markup() -> None:
    """`1.60 x 10<sup>-19</sup>` (a real abstract) must not read as the range 10-19."""
    assert strip_markup("1.60 x 10<sup>-19</sup> C") == "1.60 x 10⁻¹⁹ C"
    assert strip_markup("CD4<sup>+</sup> T cells, H<sub>2</sub>O") == "CD4⁺ T cells, H₂O"
    assert strip_markup("x<sup>a,b</sup>") == "x^(a,b)"  # no Unicode superscript for it
    mathml = (
        "<jats:p>E = <mml:math><mml:msup><mml:mi>c</mml:mi><mml:mn>2</mml:mn></mml:msup>"
        "</mml:math></jats:p>"
    )
    assert strip_markup(mathml) == "E = c²"


def test_ris_hidden_pmid_and_pmcid() -> None:
    """The first record of rispy's example_full.ris with the `U1` and `AN` lines the issue
    quotes from real exports added: `U1 26957754[pmid]`, `AN PMC3654245`."""
    data = shared_path("samples", "ris", "rispy_example_full.ris").read_bytes()
    data = data.replace(b"ER  - ", b"U1  - 26957754[pmid]\nAN  - PMC3654245\nER  - ", 1)
    record = next(iter(RisReader().read(io.BytesIO(data), "x.ris")))
    assert isinstance(record, Record)
    assert (record.pmid, record.pmcid) == ("26957754", "PMC3654245")
    triples = RecordMapper(BASE).map(record).triples
    same_as = {t.object for t in triples if t.predicate.value == "https://schema.org/sameAs"}
    assert NamedNode("https://pmc.ncbi.nlm.nih.gov/articles/PMC3654245/") in same_as
    assert NamedNode("https://pubmed.ncbi.nlm.nih.gov/26957754/") in same_as


def test_crossref_deleted_doi_listing_is_skipped() -> None:
    """Crossref lists deleted DOIs (10.1007/s11932-005-0029-1 is one) as works of the
    pseudo-journal "CrossRef Listing of Deleted DOIs", ISSN 0000-0000, the DOI as title."""
    record = Record(
        SourceRef("works.json", 1, format="crossref-json"),
        title="10.1007/s11932-005-0029-1",
        doi="10.1007/s11932-005-0029-1",
        periodical=Periodical("CrossRef Listing of Deleted DOIs", ("0000-0000",)),
    )
    skipped = skip_placeholder(record)
    assert isinstance(skipped, Skipped) and "deleted DOIs" in skipped.message
    record.periodical = None
    skipped = skip_placeholder(record)
    assert isinstance(skipped, Skipped) and "its own identifier" in skipped.message
    # Such listings hold "DOIs" with a URL inside: never made into a doi.org IRI.
    assert not is_valid_doi("10.1007/http://link.springer.com/s11932-005-0029-1")
    assert is_valid_doi("10.1007/s11932-005-0029-1")


def test_csl_json_made_by_crossref_goes_to_the_csl_reader(tmp_path: Path) -> None:
    """Crossref serves CSL-JSON with its own keys (indexed, reference-count, member...)
    but CSL types: the real eLife work of ../shared/samples/crossref/ with its type word
    written the CSL way (`article-journal`, as Crossref's CSL transform writes it)."""
    work = json.loads(
        shared_path("samples", "crossref", "crossref_work_elife.01567_message.json").read_text()
    )
    assert detect(json.dumps(work).encode()) is READERS["crossref-json"]
    work["type"] = "article-journal"
    work["title"] = work["title"][0]
    work["container-title"] = work["container-title"][0]
    csl = json.dumps(work).encode()
    assert detect(csl) is READERS["csl-json"]
    path = tmp_path / "csl.json"
    path.write_bytes(csl)
    (record,) = list(read_file(path))
    assert isinstance(record, Record) and record.doi == "10.7554/elife.01567"


def test_marcxml_in_an_sru_envelope_and_an_electronic_article() -> None:
    """hbz's real article record (Leader `naa`, host in 773), wrapped in an SRU 1.2
    searchRetrieveResponse, with Leader/06 set to `m` (computer file) as catalogues
    record e-journal articles (`nma`): detected as MARCXML, read as an article."""
    marc = shared_path("samples", "lobid", "99371597489906441.xml").read_text("utf-8")
    marc = marc.split("?>", 1)[1].replace("<leader>01437naa", "<leader>01437nma")
    marc = marc.replace("<record>", '<record xmlns="http://www.loc.gov/MARC21/slim">', 1)
    sru = (
        '<?xml version="1.0"?><zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/">'
        "<zs:version>1.2</zs:version><zs:numberOfRecords>1</zs:numberOfRecords><zs:records>"
        "<zs:record><zs:recordSchema>marcxml</zs:recordSchema><zs:recordPacking>xml"
        f"</zs:recordPacking><zs:recordData>{marc}</zs:recordData>"
        "<zs:recordPosition>1</zs:recordPosition></zs:record></zs:records>"
        "</zs:searchRetrieveResponse>"
    ).encode()
    assert detect(sru) is READERS["marcxml"]
    (record,) = list(MarcXmlReader().read(io.BytesIO(sru), "sru.xml"))
    assert isinstance(record, Record), record
    assert record.periodical is not None


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (bytes(range(256)), "binary data"),
        (b'{"hits": 3, "results": []}', "JSON but not a known shape: top-level keys hits, results"),
        (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="urn:r"/>', "XML with root element 'RDF'"),
    ],
)
def test_unrecognised_content_is_described(data: bytes, said: str) -> None:
    assert describe_content(data).startswith(said)
