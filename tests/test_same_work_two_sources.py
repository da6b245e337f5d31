"""Issue 3, "same work, several sources", through the command line on real samples: one
DOI from two formats is one article described by two source graphs, each with its own
PROV-O record; a disagreement is reported; removing or re-ingesting one source leaves
the other's statements intact. And local ids (BibTeX keys) from two files never share
a graph.

The expected values were read off the sample files by hand: the RIS export says
`DO  - 10.7554/eLife.01567` and `PY  - 2014`; the BibTeX export says
`doi = {10.7554/elife.01567}` (other case: the same DOI), `year = 2014, month = {feb}`,
and its entry key is `Sankar_2014`.
"""

from __future__ import annotations

from pathlib import Path

from conftest import BASE, REPO, run_cli, shared_path

from publisher.store.oxigraph import OxigraphStore

ARTICLE = f"{BASE}article/doi/10.7554/elife.01567"
RIS_GRAPH = f"{BASE}graph/ris/doi/10.7554/elife.01567"  # no AN/ID: keyed by its DOI
BIB_GRAPH = f"{BASE}graph/bibtex/file/bolognese_crossref.bib/id/Sankar_2014"
PREFIXES = """PREFIX s: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX pub: <https://w3id.org/scholarly-publisher/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def _rows(store_dir: Path, query: str) -> list[tuple[str, ...]]:
    store = OxigraphStore(store_dir, read_only=True)
    try:
        return sorted(tuple(t.value for t in row) for row in store.query(PREFIXES + query))  # type: ignore[union-attr]
    finally:
        store.close()


def _sources(store_dir: Path) -> list[tuple[str, ...]]:
    """Each source graph about the article: its format, file, position and timestamp type."""
    return _rows(
        store_dir,
        f"""SELECT ?g ?format ?file ?position ?when WHERE {{ GRAPH ?g {{
              ?g a pub:SourceRecord ; foaf:primaryTopic <{ARTICLE}> ; pub:sourceFormat ?format ;
                 prov:generatedAtTime ?at ; prov:wasDerivedFrom ?origin .
              ?origin pub:sourceFile ?file ; pub:recordPosition ?position .
              BIND(DATATYPE(?at) AS ?when) }} }}""",
    )


def _dates(store_dir: Path) -> list[tuple[str, ...]]:
    """Which graph says which publication date."""
    return _rows(
        store_dir, f"SELECT ?g ?d WHERE {{ GRAPH ?g {{ <{ARTICLE}> s:datePublished ?d }} }}"
    )


def test_one_doi_from_ris_and_bibtex_is_one_article_with_two_provenance_records(
    tmp_path: Path,
) -> None:
    ris = shared_path("samples", "ris", "bolognese_crossref.ris")
    bib = shared_path("samples", "bibtex", "bolognese_crossref.bib")
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(ris), str(bib))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 2, skipped: 0 (not articles), rejected: 0 (invalid)" in result.stdout
    # the months differ (2014 against 2014-02): reported, not silently resolved
    assert "sources disagree on schema:datePublished: this record says '2014-02';" in (
        result.stderr
    )
    assert f"<{RIS_GRAPH}> says '2014'" in result.stderr
    articles = _rows(store, "SELECT DISTINCT ?a WHERE { ?a a s:ScholarlyArticle }")
    assert articles == [(ARTICLE,)]
    xsd = "http://www.w3.org/2001/XMLSchema#dateTime"
    assert _sources(store) == [
        (BIB_GRAPH, "bibtex", "bolognese_crossref.bib", "1", xsd),
        (RIS_GRAPH, "ris", "bolognese_crossref.ris", "1", xsd),
    ]
    # each statement traceable to its source: the date each one gave, in its own graph
    assert _dates(store) == [(BIB_GRAPH, "2014-02"), (RIS_GRAPH, "2014")]
    # both give the five authors, under the same IRIs, in the same order
    authors = f"""SELECT ?g (COUNT(?p) AS ?n) WHERE {{ GRAPH ?g {{
        <{ARTICLE}> s:author ?p . ?p s:familyName ?f }} }} GROUP BY ?g"""
    assert _rows(store, authors) == [(BIB_GRAPH, "5"), (RIS_GRAPH, "5")]

    # removing one source leaves the other's statements whole
    assert run_cli("remove", "--store", str(store), RIS_GRAPH).returncode == 0
    assert [row[0] for row in _sources(store)] == [BIB_GRAPH]
    assert _dates(store) == [(BIB_GRAPH, "2014-02")]
    assert _rows(store, authors) == [(BIB_GRAPH, "5")]
    # re-ingesting it brings it back once, not twice
    again = run_cli("ingest", "--store", str(store), str(ris), str(ris))
    assert again.returncode == 0, again.stdout + again.stderr
    assert [row[0] for row in _sources(store)] == [BIB_GRAPH, RIS_GRAPH]
    assert _dates(store) == [(BIB_GRAPH, "2014-02"), (RIS_GRAPH, "2014")]


def test_same_bibtex_key_in_two_files_names_two_graphs(tmp_path: Path) -> None:
    """BibTeX keys are unique only within their file: `a` in one.bib and `a` in two.bib
    are two records, neither replaces the other; re-ingesting one.bib replaces its own."""
    one, two = tmp_path / "one.bib", tmp_path / "two.bib"
    one.write_text("@article{a, title = {First paper}, journal = {J}, doi = {10.1234/first}}\n")
    two.write_text("@article{a, title = {Second paper}, journal = {J}, doi = {10.1234/second}}\n")
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(one), str(two))
    assert result.returncode == 0, result.stdout + result.stderr
    titles = "SELECT ?g ?t WHERE { GRAPH ?g { ?a a s:ScholarlyArticle ; s:name ?t } }"
    assert _rows(store, titles) == [
        (f"{BASE}graph/bibtex/file/one.bib/id/a", "First paper"),
        (f"{BASE}graph/bibtex/file/two.bib/id/a", "Second paper"),
    ]
    one.write_text(
        "@article{a, title = {First paper, revised}, journal = {J}, doi = {10.1234/first}}\n"
    )
    assert run_cli("ingest", "--store", str(store), str(one)).returncode == 0
    assert _rows(store, titles) == [
        (f"{BASE}graph/bibtex/file/one.bib/id/a", "First paper, revised"),
        (f"{BASE}graph/bibtex/file/two.bib/id/a", "Second paper"),
    ]


def test_same_trial_from_two_articles_is_one_resource(tmp_path: Path) -> None:
    """Issue 2: two different articles (two catalogue pages, two DOIs) that both name
    NCT02349698 mention one trial resource, not two."""
    page = (
        "{title}\n\nBibliographic Details\nPublished in:Journal of Examples 2020\n"
        "Format: Article\nDOI:{doi}\nSummary:Registered as NCT02349698 at ClinicalTrials.gov.\n"
    )
    pages = tmp_path / "two.txt"
    pages.write_text(
        page.format(title="First article", doi="10.1234/first")
        + "\n"
        + page.format(title="Second article", doi="10.1234/second")
    )
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(pages))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "published: 2, skipped: 0 (not articles), rejected: 0 (invalid)" in result.stdout
    trial = f"{BASE}trial/nct/NCT02349698"
    assert _rows(store, "SELECT DISTINCT ?t WHERE { ?t a s:MedicalTrial }") == [(trial,)]
    assert _rows(store, "SELECT ?a ?t WHERE { ?a s:mentions ?t }") == [
        (f"{BASE}article/doi/10.1234/first", trial),
        (f"{BASE}article/doi/10.1234/second", trial),
    ]


def test_marc_001_without_003_names_a_graph_per_file(tmp_path: Path) -> None:
    """MARC 001 is unique within the catalogue 003 names. Our MARCXML fixture's first
    record has 001 pm22663011 with 003 DNLM, its second 001 fonc2021699946 and no 003.
    A second file from another catalogue reuses 001 fonc2021699946 for another article:
    both are published; the DNLM record, the same in both files, is one graph."""
    fixture = (REPO / "tests" / "data" / "marc" / "articles.xml").read_text(encoding="utf-8")
    first, other = tmp_path / "catalogue_a.xml", tmp_path / "catalogue_b.xml"
    first.write_text(fixture, encoding="utf-8")
    other.write_text(
        fixture.replace("10.3389/fonc.2021.699946", "10.1234/another").replace(
            "Successful Treatment of Refractory", "Another Treatment of Refractory"
        ),
        encoding="utf-8",
    )
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(first), str(other))
    assert result.returncode == 0, result.stdout + result.stderr
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?g a pub:SourceRecord } }"
    assert _rows(store, graphs) == [
        (f"{BASE}graph/marcxml/file/catalogue_a.xml/id/fonc2021699946",),
        (f"{BASE}graph/marcxml/file/catalogue_b.xml/id/fonc2021699946",),
        (f"{BASE}graph/marcxml/id/(DNLM)pm22663011",),
    ]
    articles = "SELECT ?a WHERE { ?a a s:ScholarlyArticle }"
    assert _rows(store, articles) == [
        (f"{BASE}article/doi/10.1056/nejmoa1203421",),
        (f"{BASE}article/doi/10.1234/another",),
        (f"{BASE}article/doi/10.3389/fonc.2021.699946",),
    ]
