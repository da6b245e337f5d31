"""What crawlers of scholarly pages read, read back as they would (issue 16, item 4).

Every article page of a store with journals, volumes, issues, pages, PMIDs and a title
longer than 110 characters (helpers/rich_store.py) is parsed with extruct: its JSON-LD
with extruct's JSON-LD extractor, its Highwire Press `citation_*` tags from extruct's
own HTML tree (extruct has no extractor for them; Google Scholar reads them as plain
`<meta name content>`). Both are checked against the RDF: the article's Turtle and its
journal's, volume's and issue's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BASE, LiveServer, run_cli, start_server, stop_server
from helpers.crawler_graph import BIOSCHEMAS
from helpers.rich_store import NEJM, ingest_rich
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from test_http_resources import BROWSER

from publisher.store.oxigraph import OxigraphStore
from publisher.web.scholar import HEADLINE_LIMIT, headline

extruct_jsonld = pytest.importorskip(
    "extruct.jsonld", reason="extruct is not installed (pip install -e '.[test]')"
)
extruct_utils = pytest.importorskip("extruct.utils")

SCHEMA = Namespace("https://schema.org/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
LONG_TITLE_ARTICLE = f"{BASE}article/doi/10.3389/fonc.2021.699946"


def test_headline_is_cut_at_a_word_within_the_limit() -> None:
    title = "Successful Treatment of Refractory and Relapsed CNS Acute Lymphoblastic " * 3
    cut = headline(title)
    assert len(cut) <= HEADLINE_LIMIT and cut.endswith("…")
    assert title.startswith(cut[:-1]) and title[len(cut) - 1] == " "  # at a word boundary
    assert headline("Short  title\n") == "Short title"
    assert headline("x" * 200) == "x" * 109 + "…"  # one long word: cut inside it


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    store = ingest_rich(tmp_path_factory.mktemp("scholar"))
    process, server = start_server(store)
    yield server, store
    stop_server(process)


def articles(store: Path) -> list[str]:
    reader = OxigraphStore(store, read_only=True)
    try:
        rows = reader.query(
            "SELECT DISTINCT ?a WHERE { ?a a <https://schema.org/ScholarlyArticle> } ORDER BY ?a"
        )
        return [row["a"].value for row in rows]  # type: ignore[union-attr]
    finally:
        reader.close()


def fetch(server: LiveServer, iri: str, accept: str) -> str:
    response = httpx.get(server.url + "/" + iri.removeprefix(BASE), headers={"Accept": accept})
    assert response.status_code == 200, (iri, response.text)
    return response.text


def graph_of(server: LiveServer, iri: str) -> Graph:
    return Graph().parse(data=fetch(server, iri, "text/turtle"), format="turtle")


def citation_tags(html: str) -> list[tuple[str, str]]:
    """`<meta name="citation_*" content>` in document order, from extruct's HTML tree."""
    tree = extruct_utils.parse_html(html, encoding="utf-8")
    return [
        (meta.get("name"), meta.get("content"))
        for meta in tree.xpath("//head/meta[starts-with(@name, 'citation_')]")
    ]


def values(tags: list[tuple[str, str]], name: str) -> list[str]:
    return [content for key, content in tags if key == name]


def literals(graph: Graph, subject: Any, predicate: Any) -> list[str]:
    return sorted(str(o) for o in graph.objects(subject, predicate) if isinstance(o, Literal))


@pytest.fixture(scope="module")
def pages(rich: tuple[LiveServer, Path]) -> dict[str, tuple[str, Graph, dict[str, Graph]]]:
    """Each article: its page, its Turtle graph, and the Turtle of each journal level."""
    server, store = rich
    out = {}
    for iri in articles(store):
        graph = graph_of(server, iri)
        chain = {str(node): graph_of(server, str(node)) for node in levels(server, graph, iri)}
        out[iri] = (fetch(server, iri, BROWSER), graph, chain)
    assert NEJM in out and LONG_TITLE_ARTICLE in out and len(out) >= 6
    return out


def levels(server: LiveServer, graph: Graph, iri: str) -> list[URIRef]:
    """Issue, volume, journal: followed through each one's own description."""
    out: list[URIRef] = []
    node = graph.value(URIRef(iri), SCHEMA.isPartOf)
    while isinstance(node, URIRef) and node not in out and len(out) < 4:
        out.append(node)
        node = graph_of(server, str(node)).value(node, SCHEMA.isPartOf)
    return out


def of_type(chain: dict[str, Graph], kind: URIRef) -> tuple[URIRef, Graph] | None:
    for iri, graph in chain.items():
        if (URIRef(iri), RDF.type, kind) in graph:
            return URIRef(iri), graph
    return None


def test_highwire_tags_say_what_the_rdf_says(
    pages: dict[str, tuple[str, Graph, dict[str, Graph]]],
) -> None:
    for iri, (html, graph, chain) in pages.items():
        tags = citation_tags(html)
        article = URIRef(iri)
        assert values(tags, "citation_title") == literals(graph, article, SCHEMA.name), iri
        # One citation_author per author, in the order of bibo:authorList.
        head = graph.value(article, BIBO.authorList)
        assert head is not None, iri
        names = [str(graph.value(a, SCHEMA.name)) for a in Collection(graph, head)]
        assert values(tags, "citation_author") == names, iri
        (date,) = literals(graph, article, SCHEMA.datePublished)
        assert values(tags, "citation_publication_date") == [date.replace("-", "/")], iri
        journal = of_type(chain, SCHEMA.Periodical)
        assert journal is not None, iri
        assert values(tags, "citation_journal_title") == literals(
            journal[1], journal[0], SCHEMA.name
        )
        assert values(tags, "citation_issn") == literals(journal[1], journal[0], SCHEMA.issn)
        for kind, number, tag in (
            (SCHEMA.PublicationVolume, SCHEMA.volumeNumber, "citation_volume"),
            (SCHEMA.PublicationIssue, SCHEMA.issueNumber, "citation_issue"),
        ):
            level = of_type(chain, kind)
            expected = literals(level[1], level[0], number) if level else []
            assert values(tags, tag) == expected, (iri, tag)
        assert values(tags, "citation_firstpage") == literals(graph, article, SCHEMA.pageStart)
        assert values(tags, "citation_lastpage") == literals(graph, article, SCHEMA.pageEnd)
        ids = {
            str(graph.value(node, SCHEMA.propertyID)): str(graph.value(node, SCHEMA.value))
            for node in graph.objects(article, SCHEMA.identifier)
        }
        assert values(tags, "citation_doi") == [ids["DOI"]], iri
        assert values(tags, "citation_pmid") == ([ids["PMID"]] if "PMID" in ids else []), iri
        assert values(tags, "citation_language") == literals(graph, article, SCHEMA.inLanguage)
        assert values(tags, "citation_abstract_html_url") == [iri]


def test_the_nejm_article_has_every_tag(
    pages: dict[str, tuple[str, Graph, dict[str, Graph]]],
) -> None:
    tags = dict(citation_tags(pages[NEJM][0]))
    assert tags == tags | {
        "citation_title": "Improved survival with MEK inhibition in BRAF-mutated melanoma",
        "citation_publication_date": "2012/07/12",
        "citation_journal_title": "The New England journal of medicine",
        "citation_volume": "367",
        "citation_issue": "2",
        "citation_firstpage": "107",
        "citation_lastpage": "114",
        "citation_doi": "10.1056/NEJMoa1203421",
        "citation_pmid": "22663011",
        "citation_language": "en",
        "citation_abstract_html_url": NEJM,
    }
    assert values(citation_tags(pages[NEJM][0]), "citation_issn") == ["0028-4793", "1533-4406"]


def test_jsonld_meets_googles_article_guidance_and_bioschemas(
    pages: dict[str, tuple[str, Graph, dict[str, Graph]]],
) -> None:
    extractor = extruct_jsonld.JsonLdExtractor()
    for iri, (html, graph, chain) in pages.items():
        (document,) = extractor.extract(html, base_url=iri)
        article = URIRef(iri)
        (name,) = literals(graph, article, SCHEMA.name)
        assert document["name"] == name, iri  # the full title
        assert len(document["headline"]) <= HEADLINE_LIMIT, iri
        assert document["headline"] == headline(name), iri
        (date,) = literals(graph, article, SCHEMA.datePublished)
        assert document["datePublished"] == date
        assert document["dateModified"].endswith("Z") and document["dateModified"] >= date
        authors = (
            document["author"] if isinstance(document["author"], list) else [document["author"]]
        )
        assert {a["@id"] for a in authors} == {
            str(a) for a in graph.objects(article, SCHEMA.author)
        }
        for author in authors:
            assert author["name"] and author["url"] == author["@id"], iri
        # isPartOf: the most specific of issue, volume and journal (what the RDF links).
        part = document["isPartOf"]
        assert part["@id"] == str(graph.value(article, SCHEMA.isPartOf)), iri
        # ... described down to the journal, as their own descriptions say.
        walked = []
        while isinstance(part, dict):
            walked.append(part)
            part = part.get("isPartOf")
        assert [p["@id"] for p in walked] == list(chain), iri
        for level in walked:
            level_graph = chain[level["@id"]]
            for key in ("name", "issn", "volumeNumber", "issueNumber"):
                stated = literals(level_graph, URIRef(level["@id"]), SCHEMA[key])
                shown = level.get(key, [])
                assert sorted(shown if isinstance(shown, list) else [shown]) == stated, key
        assert document["dcterms:conformsTo"] == {"@id": str(BIOSCHEMAS)}
        assert document["identifier"], iri  # Bioschemas' minimum: an identifier
    long_title = json.loads(json.dumps(extractor.extract(pages[LONG_TITLE_ARTICLE][0])[0]))
    assert len(long_title["name"]) > HEADLINE_LIMIT
    assert long_title["headline"].endswith("…")


def test_embed_command_prints_what_the_page_embeds(rich: tuple[LiveServer, Path]) -> None:
    server, store = rich
    served = fetch(server, NEJM, BROWSER)
    printed = run_cli("embed", NEJM, "--store", str(store), "--base-uri", BASE)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() in served
    assert '"dateModified"' in printed.stdout and "bioschemas.org" in printed.stdout
