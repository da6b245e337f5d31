"""Made for crawlers and web pages (issue 5): one graph in every view, schema.org terms
only, the embed snippet, validators and Link headers, listing pages, identifier routes.

Runs against real `publisher serve` processes. Every resource of the example dataset
(listed by SPARQL on the example store) is fetched as Turtle, JSON-LD and HTML; the
JSON-LD and the page's embedded block are parsed with rdflib and with PyLD, whose
document loader serves schema.org's own context from ../shared and refuses anything
else (no network, ever).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    BASE,
    EXAMPLES,
    SEED,
    SEED_DOI,
    SEED_IRI,
    LiveServer,
    run_cli,
    shared_path,
    start_server,
    stop_server,
)
from helpers.crawler_graph import crawler_problems, is_article
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from schema_terms import KNOWN_DOMAIN_GAPS, OFFICIAL_CONTEXT, domain_gaps, unknown_terms
from test_http_resources import BROWSER, jsonld_blocks, parse_html

from publisher.mapping.iris import pmid_key
from publisher.mapping.records import RecordMapper
from publisher.model import (
    PartialDate,
    Periodical,
    Person,
    Record,
    SourceRef,
    TrialId,
    TrialRecord,
)
from publisher.store.oxigraph import OxigraphStore
from publisher.store.published import PublishedView
from publisher.web.listings import PAGE_SIZE

pyld = pytest.importorskip("pyld.jsonld", reason="PyLD is not installed (pip install -e '.[test]')")
extruct_jsonld = pytest.importorskip(
    "extruct.jsonld", reason="extruct is not installed (pip install -e '.[test]')"
)

# rdflib's JSON-LD parser uses its own deprecated class internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SCHEMA = Namespace("https://schema.org/")
HTTP_SCHEMA = Namespace("http://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
TURTLE, JSONLD, HTML = "text/turtle", "application/ld+json", "text/html"
SCRIPT = re.compile(r'<script type="application/ld\+json">\n(\{.*\n\})\n</script>\n', re.S)
SCHEMA_CONTEXT_URLS = {
    "https://schema.org",
    "https://schema.org/",
    "http://schema.org",
    "http://schema.org/",
    "https://schema.org/docs/jsonldcontext.jsonld",
}


# --- Parsing, without the network ---------------------------------------------------------


class LocalLoader:
    """A PyLD document loader: schema.org's context from ../shared, nothing else."""

    def __init__(self, context_file: Path) -> None:
        self.context = json.loads(context_file.read_text(encoding="utf-8"))
        self.asked: list[str] = []

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        self.asked.append(url)
        if url in SCHEMA_CONTEXT_URLS:
            return {"contextUrl": None, "documentUrl": url, "document": self.context}
        raise pyld.JsonLdError(
            f"no network in tests: refusing to load {url}",
            "jsonld.LoadDocumentError",
            code="loading document failed",
        )


@pytest.fixture(scope="module")
def loader() -> LocalLoader:
    return LocalLoader(shared_path(*OFFICIAL_CONTEXT))


def rdflib_graph(text: str, media_type: str) -> Graph:
    return Graph().parse(data=text, format="turtle" if media_type == TURTLE else "json-ld")


def pyld_graph(document: Any, loader: LocalLoader) -> Graph:
    nquads = pyld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader})
    assert isinstance(nquads, str)
    return Graph().parse(data=nquads, format="nt")


def url_of(server: LiveServer, iri: str) -> str:
    assert iri.startswith(server.base_uri), iri
    return server.url + "/" + iri[len(server.base_uri) :]


# --- Every resource of the example dataset, in three views --------------------------------


@dataclass(frozen=True)
class Views:
    iri: str
    turtle: httpx.Response
    jsonld: httpx.Response
    html: httpx.Response

    def embedded(self) -> str:
        (block,) = jsonld_blocks(parse_html(self.html.text))
        return block


def example_resources(store_path: Path) -> list[str]:
    """Every IRI under the base that some named graph of the store says something about
    (but `{resource}#...`: a node of a resource's description, within its document)."""
    store = OxigraphStore(store_path, read_only=True)
    try:
        result = store.query(
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}")) }} ORDER BY ?s'
        )
        return [row["s"].value for row in result if "#" not in row["s"].value]  # type: ignore[union-attr]
    finally:
        store.close()


@pytest.fixture(scope="module")
def views(live_server: LiveServer, example_store: Path) -> dict[str, Views]:
    iris = example_resources(example_store)
    # 6 articles, 57 people, an organisation, journals, volumes, issues, trials, graphs...
    assert len(iris) >= 80
    iris += [BASE + "ontology", *(BASE + path for path in ("articles", "people?page=2"))]
    out = {}
    with httpx.Client(timeout=30) as client:
        for iri in iris:
            fetched = {
                media_type: client.get(url_of(live_server, iri), headers={"Accept": media_type})
                for media_type in (TURTLE, JSONLD, HTML)
            }
            for response in fetched.values():
                assert response.status_code == 200, (iri, response.text)
            out[iri] = Views(iri, fetched[TURTLE], fetched[JSONLD], fetched[HTML])
    return out


def one_graph_failures(views: dict[str, Views], parse: Any) -> list[str]:
    """Resources whose JSON-LD or embedded block, parsed by `parse`, is not their Turtle
    (an article page's block: their Turtle with what publisher.web.scholar adds for
    crawlers, and nothing else)."""
    failures = []
    for iri, view in views.items():
        turtle = rdflib_graph(view.turtle.text, TURTLE)
        for name, text in (("JSON-LD", view.jsonld.text), ("embedded", view.embedded())):
            document = json.loads(text)
            assert isinstance(document["@context"], dict), iri  # inline, never a reference
            graph = parse(text, document)
            if name == "embedded" and is_article(turtle, URIRef(iri)):
                problems = crawler_problems(graph, turtle, URIRef(iri))
                failures += [f"{iri}: the embedded block: {problem}" for problem in problems]
            elif len(graph) != len(turtle) or not isomorphic(graph, turtle):
                failures.append(f"{iri}: the {name} block is not the Turtle graph")
    return failures


def test_every_resource_is_one_graph_in_turtle_jsonld_and_the_page(
    views: dict[str, Views],
) -> None:
    """rdflib: Turtle, the JSON-LD and the page's embedded JSON-LD are one graph."""
    assert one_graph_failures(views, lambda text, _: rdflib_graph(text, JSONLD)) == []


def test_pyld_reads_the_same_graph(views: dict[str, Views], loader: LocalLoader) -> None:
    """PyLD, with a loader that could only serve schema.org's context: the same graph."""
    assert one_graph_failures(views, lambda _, document: pyld_graph(document, loader)) == []
    assert loader.asked == []  # our documents name no remote context


def test_schema_orgs_own_context_would_make_another_graph(
    views: dict[str, Views], loader: LocalLoader
) -> None:
    """Why we do not use `"@context": "https://schema.org"`: its terms are http://schema.org/
    IRIs, our data's are https://schema.org/ ones. Same JSON, different graph."""
    view = views[SEED_IRI]
    ours = pyld_graph(json.loads(view.jsonld.text), loader)
    document = json.loads(view.jsonld.text)
    document["@context"] = "https://schema.org"
    official = pyld_graph(document, loader)
    assert loader.asked == ["https://schema.org"]  # served from ../shared, not fetched
    title = ours.value(URIRef(SEED_IRI), SCHEMA.name)
    assert isinstance(title, Literal)
    assert (URIRef(SEED_IRI), HTTP_SCHEMA.name, title) in official
    assert (URIRef(SEED_IRI), SCHEMA.name, None) not in official
    assert not isomorphic(official, ours)
    loader.asked.clear()


def test_extruct_finds_exactly_one_jsonld_block_per_page(views: dict[str, Views]) -> None:
    extractor = extruct_jsonld.JsonLdExtractor()
    for iri, view in views.items():
        found = extractor.extract(view.html.text, base_url=iri)
        assert len(found) == 1, iri
        assert found[0] == json.loads(view.embedded()), iri
        if iri not in article_documents(views):
            assert found[0] == json.loads(view.jsonld.text), iri


def test_every_term_of_every_view_is_schema_org_or_ours(views: dict[str, Views]) -> None:
    union = Graph()
    for iri, view in views.items():
        if iri != BASE + "ontology":  # the vocabulary itself, in OWL: not data
            union += rdflib_graph(view.turtle.text, TURTLE)
    assert unknown_terms(union) == set()
    assert domain_gaps(union) <= set(KNOWN_DOMAIN_GAPS)


def article_documents(views: dict[str, Views]) -> dict[str, dict[str, Any]]:
    out = {}
    for iri, view in views.items():
        document = json.loads(view.embedded())
        types = document.get("@type", [])
        if "ScholarlyArticle" in (types if isinstance(types, list) else [types]):
            out[iri] = document
    return out


def test_article_pages_carry_what_search_engines_read(views: dict[str, Views]) -> None:
    """Google's Article guidance: headline (at most 110 characters; `name` the full
    title), author (name, url), datePublished, dateModified, image; and isPartOf,
    identifier, sameAs for scholarly articles. None of our sources gives an image or a
    publisher, so there is none."""
    articles = article_documents(views)
    assert len(articles) == 6
    for iri, document in articles.items():
        assert document["@id"] == iri
        turtle = rdflib_graph(views[iri].turtle.text, TURTLE)
        assert document["name"] == str(turtle.value(URIRef(iri), SCHEMA.name)), iri
        assert len(document["headline"]) <= 110, iri
        if len(document["name"]) <= 110:
            assert document["headline"] == document["name"], iri
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", document["dateModified"])
        authors = (
            document["author"] if isinstance(document["author"], list) else [document["author"]]
        )
        for author in authors:
            assert author["@type"] in ("Person", "Organization"), iri
            assert author["name"], iri
            assert author["url"] == author["@id"], iri  # the author's page here
            assert author["url"].startswith(BASE)
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", document["datePublished"]), iri
        assert document["isPartOf"]["@id"].startswith(BASE + "periodical/"), iri
        # Bioschemas: isPartOf the most specific of issue, volume and journal, described
        # down to the journal's name (from their own descriptions).
        part = document["isPartOf"]
        while part.get("@type") != "Periodical":
            assert part["@type"] in ("PublicationIssue", "PublicationVolume"), iri
            assert part.get("issueNumber") or part.get("volumeNumber"), iri
            part = part["isPartOf"]
        assert part["name"], iri
        assert document["identifier"]["propertyID"] == "DOI", iri
        assert document["sameAs"] == "https://doi.org/" + document["identifier"]["value"], iri
        assert "image" not in document and "publisher" not in document


# --- Response headers: Link, ETag, Last-Modified, 304 -------------------------------------


def links(response: httpx.Response) -> dict[tuple[str, str], str]:
    """(rel, type) -> target of every Link header item."""
    out: dict[tuple[str, str], str] = {}
    header = response.headers.get("link")
    for item in header.split(", <") if header else []:
        match = re.fullmatch(r"<?([^>]*)>((?:; [a-z]+=\"[^\"]*\")*)", item.strip())
        assert match, item
        params = dict(re.findall(r'; ([a-z]+)="([^"]*)"', match.group(2)))
        out[(params["rel"], params.get("type", ""))] = match.group(1)
    return out


def test_every_resource_response_links_its_formats_and_the_dataset(
    views: dict[str, Views],
) -> None:
    names = {
        TURTLE: "turtle",
        JSONLD: "jsonld",
        "application/n-triples": "ntriples",
        "application/rdf+xml": "rdfxml",
        HTML: "html",
    }
    for iri, view in views.items():
        if "?" in iri or iri.endswith(("/articles", "/ontology")):
            continue  # listing pages and the vocabulary document
        for served, response in ((TURTLE, view.turtle), (JSONLD, view.jsonld), (HTML, view.html)):
            expected = {
                ("alternate", media_type): f"{iri}?format={name}"
                for media_type, name in names.items()
                if media_type != served
            }
            if iri != BASE + "dataset":
                expected[("describedby", "")] = BASE + "dataset"
            assert links(response) == expected, (iri, served)
            assert response.headers["etag"].startswith('W/"'), iri


def test_validators_differ_per_representation(views: dict[str, Views]) -> None:
    view = views[SEED_IRI]
    tags = {r.headers["etag"] for r in (view.turtle, view.jsonld, view.html)}
    assert len(tags) == 3


def graph_generated_at(server: LiveServer, iri: str) -> str:
    """The Last-Modified a resource of one record should have: its description was
    published when that record was read (its graph's generatedAtTime); see
    test_view_freshness for descriptions made from several."""
    response = httpx.get(
        server.url + "/sparql",
        params={
            "query": "SELECT ?t WHERE { GRAPH ?g { ?g <http://xmlns.com/foaf/0.1/primaryTopic> "
            f"<{iri}> ; <http://www.w3.org/ns/prov#generatedAtTime> ?t }} }}"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    (binding,) = response.json()["results"]["bindings"]
    return str(binding["t"]["value"])


def test_last_modified_is_when_the_record_was_generated(live_server: LiveServer) -> None:
    response = httpx.get(url_of(live_server, SEED_IRI), headers={"Accept": TURTLE})
    modified = parsedate_to_datetime(response.headers["last-modified"])
    generated = graph_generated_at(live_server, SEED_IRI)
    assert modified.isoformat() == generated.replace("Z", "+00:00")


@pytest.mark.parametrize("accept", [TURTLE, JSONLD, HTML])
def test_conditional_requests_get_304(live_server: LiveServer, accept: str) -> None:
    url = url_of(live_server, SEED_IRI)
    first = httpx.get(url, headers={"Accept": accept})
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    for condition in (
        {"If-None-Match": tag},
        {"If-None-Match": f'"other", {tag}'},
        {"If-None-Match": tag.removeprefix("W/")},  # weak comparison
        {"If-None-Match": "*"},
        {"If-Modified-Since": modified},
    ):
        response = httpx.get(url, headers={"Accept": accept, **condition})
        assert response.status_code == 304, condition
        assert response.content == b""
        assert response.headers["etag"] == tag
        assert response.headers["last-modified"] == modified
        assert response.headers["vary"] == "Accept"
    for condition in (
        {"If-None-Match": '"other"'},
        {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        {"If-Modified-Since": "not a date"},
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
        {"If-None-Match": '"other"', "If-Modified-Since": modified},
    ):
        response = httpx.get(url, headers={"Accept": accept, **condition})
        assert response.status_code == 200, condition
        assert response.headers["etag"] == tag


def headers_of(server: LiveServer, iris: list[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for iri in iris:
        response = httpx.get(url_of(server, iri), headers={"Accept": TURTLE})
        assert response.status_code == 200, response.text
        out[iri] = (response.headers["etag"], response.headers["last-modified"])
    return out


def test_changing_a_record_changes_only_its_resources_validators(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert (
        run_cli("ingest", "--store", str(store), *map(str, EXAMPLES.glob("*.txt"))).returncode == 0
    )
    person = f"{BASE}person/doi/{SEED_DOI}/"
    watched = [
        SEED_IRI,
        person + "1",  # renamed below
        person + "3",  # re-ingested, unchanged
        BASE + "article/doi/10.1056/nejmoa1203421",  # another record
    ]
    process, server = start_server(store)
    try:
        before = headers_of(server, watched)
    finally:
        stop_server(process)
    time.sleep(1.1)  # Last-Modified counts whole seconds
    changed = tmp_path / SEED.name
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("Successful Treatment", "Successful Therapy", 1)
    text = text.replace("Htun, Kyaw Thu,", "Htun, Kyaw,", 1)
    changed.write_text(text, encoding="utf-8")
    assert run_cli("ingest", "--store", str(store), str(changed)).returncode == 0
    process, server = start_server(store)
    try:
        after = headers_of(server, watched)
    finally:
        stop_server(process)
    article, renamed, same, other = watched
    for iri in (article, renamed):
        assert after[iri][0] != before[iri][0], iri
        assert parsedate_to_datetime(after[iri][1]) > parsedate_to_datetime(before[iri][1])
    assert after[same][0] == before[same][0]  # same triples, same tag
    assert after[other] == before[other]


# --- The embed snippet --------------------------------------------------------------------


def test_embed_answers_just_the_script_block(
    live_server: LiveServer, views: dict[str, Views]
) -> None:
    response = httpx.get(url_of(live_server, SEED_IRI) + "?embed", headers={"Accept": TURTLE})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    match = SCRIPT.fullmatch(response.text)
    assert match, response.text[:200]
    assert match.group(1) == views[SEED_IRI].embedded().strip("\n")  # as the page has it
    assert response.headers["etag"] not in {
        views[SEED_IRI].html.headers["etag"],
        views[SEED_IRI].turtle.headers["etag"],
    }
    assert ("describedby", "") in links(response)
    again = httpx.get(
        url_of(live_server, SEED_IRI) + "?embed",
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304


def test_embed_command_prints_the_same(live_server: LiveServer, example_store: Path) -> None:
    trial = BASE + "trial/nct/NCT02349698"
    for iri, argument in ((SEED_IRI, SEED_IRI), (trial, "trial/nct/NCT02349698")):
        served = httpx.get(url_of(live_server, iri) + "?embed").text
        result = run_cli("embed", argument, "--store", str(example_store), "--base-uri", BASE)
        assert result.returncode == 0, result.stderr
        assert result.stdout == served


def test_embed_command_for_an_unknown_iri(example_store: Path) -> None:
    result = run_cli("embed", BASE + "article/doi/10.9999/nope", "--store", str(example_store))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "nothing is published about" in result.stderr


# --- Listing pages --------------------------------------------------------------------------


def listing(server: LiveServer, path: str, accept: str = HTML, **params: str) -> httpx.Response:
    return httpx.get(f"{server.url}/{path}", headers={"Accept": accept}, params=params)


def item_list(response: httpx.Response) -> list[tuple[int, str, str]]:
    """(position, item IRI, name) of a listing's JSON-LD, in order."""
    document = json.loads(response.text)
    assert document["@type"] == "ItemList"
    elements = document.get("itemListElement", [])
    elements = elements if isinstance(elements, list) else [elements]
    rows = [(e["position"], e["item"]["@id"], e["item"].get("name", "")) for e in elements]
    return sorted(rows)


@pytest.mark.parametrize(
    ("path", "kind", "count"),
    [
        ("articles", "ScholarlyArticle", 6),
        ("journals", "Periodical", 5),
        ("trials", "MedicalTrial", 3),
        ("people", "Person", 57),
    ],
)
def test_listing_pages_list_every_resource_of_a_class(
    live_server: LiveServer, path: str, kind: str, count: int
) -> None:
    rows: list[tuple[int, str, str]] = []
    page = 1
    while True:
        response = listing(live_server, path, JSONLD, page=str(page))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/ld+json; charset=utf-8"
        document = json.loads(response.text)
        assert document["@id"] == BASE + path
        assert document["numberOfItems"] == count
        rows += item_list(response)
        if ("next", "") not in links(response):
            break
        assert links(response)[("next", "")] == f"{BASE}{path}?page={page + 1}"
        page += 1
    assert page == -(-count // PAGE_SIZE)
    assert [position for position, _, _ in rows] == list(range(1, count + 1))
    assert len({iri for _, iri, _ in rows}) == count
    graph = rdflib_graph(listing(live_server, path, TURTLE).text, TURTLE)
    for _, iri, _ in rows[:PAGE_SIZE]:
        assert (URIRef(iri), RDF.type, SCHEMA[kind]) in graph


def test_people_are_paged_with_next_and_prev_links(live_server: LiveServer) -> None:
    first = listing(live_server, "people")
    assert first.status_code == 200
    assert links(first) == {
        ("next", ""): BASE + "people?page=2",
        ("last", ""): BASE + "people?page=2",
    }
    page = parse_html(first.text)
    assert len(page.one("ol", class_="items").find_all("li")) == PAGE_SIZE
    paging = {
        link.attrs["rel"]: link.attrs["href"]
        for link in page.find_all("link")
        if link.attrs.get("rel") in ("next", "prev")
    }
    assert paging == {"next": "/people?page=2"}
    second = listing(live_server, "people", page="2")
    assert links(second) == {("first", ""): BASE + "people", ("prev", ""): BASE + "people"}
    items = parse_html(second.text).one("ol", class_="items")
    assert items.attrs["start"] == str(PAGE_SIZE + 1)
    assert len(items.find_all("li")) == 57 - PAGE_SIZE
    for href in (a.attrs["href"] for a in items.find_all("a")):
        assert href is not None and href.startswith("/person/")
        assert httpx.get(live_server.url + href, headers={"Accept": TURTLE}).status_code == 200
    assert listing(live_server, "people", page="3").status_code == 404
    for bad in ("0", "x", "-1", "1.5"):
        response = listing(live_server, "people", page=bad)
        assert response.status_code == 400, bad
        assert "pages are numbered" in response.text


def test_listing_page_html_embeds_the_item_list(live_server: LiveServer) -> None:
    response = listing(live_server, "articles")
    page = parse_html(response.text)
    assert page.one("h1").text() == "Articles"
    hrefs = [a.attrs["href"] for a in page.one("ol", class_="items").find_all("a")]
    assert len(hrefs) == 6 and all(h and h.startswith("/article/doi/") for h in hrefs)
    (block,) = jsonld_blocks(page)
    assert json.loads(block) == json.loads(listing(live_server, "articles", JSONLD).text)


def test_landing_page_links_the_listings(live_server: LiveServer) -> None:
    page = parse_html(httpx.get(live_server.url + "/", headers={"Accept": BROWSER}).text)
    hrefs = {a.attrs["href"] for a in page.find_all("a")}
    assert {"/articles", "/journals", "/people", "/trials"} <= hrefs


# --- Identifier resolution ------------------------------------------------------------------

ORCID_ONE = "0000-0002-1825-0097"
ORCID_SHARED = "0000-0001-5109-3700"


def identifier_records() -> list[tuple[Record | TrialRecord, str | None]]:
    """Records carrying every kind of identifier, with the article key to publish them
    under (None: the one they mint)."""
    journal = Periodical("The New England journal of medicine", ("0028-4793", "1533-4406"))
    source = SourceRef("identifiers.txt", 1, format="test")
    return [
        (
            Record(
                source,
                title="An article with a mixed-case DOI",
                doi="10.1234/ABC.Def",
                pmid="11111111",
                periodical=journal,
                date=PartialDate(2020),
                authors=[
                    Person("Josiah Carberry", "Carberry", "Josiah", orcid=ORCID_ONE),
                    Person("Jane Roe", "Roe", "Jane", orcid=ORCID_SHARED),
                ],
            ),
            None,
        ),
        (
            # Published under its PMID first; a later source brought the DOI.
            Record(
                SourceRef("identifiers.txt", 2, format="test"),
                title="An article known by its PMID",
                doi="10.5555/PMID.Keyed",
                pmid="22222222",
                authors=[Person("Jane Roe", "Roe", "Jane", orcid=ORCID_SHARED)],
            ),
            pmid_key("22222222"),
        ),
        (
            TrialRecord(
                SourceRef("identifiers.txt", 3, format="test"),
                TrialId("nct", "NCT01234567"),
                title="A trial registered three times",
                secondary_ids=[
                    TrialId("eudract", "2010-012345-12"),
                    TrialId("drks", "DRKS00001234"),
                    TrialId("isrctn", "ISRCTN12345678"),
                ],
            ),
            None,
        ),
    ]


@pytest.fixture(scope="module")
def identifier_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("identifiers")
    store = OxigraphStore(folder / "store")
    mapper = RecordMapper(BASE)
    for record, key in identifier_records():
        mapped = mapper.map(record, key)
        store.replace_graph(mapped.graph, mapped.triples + mapper.provenance(mapped))
    PublishedView(store, BASE).rebuild()  # the graphs were written around the pipeline
    store.flush()
    store.close()
    process, server = start_server(folder / "store")
    try:
        yield server
    finally:
        stop_server(process)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("doi/10.1234/ABC.Def", "article/doi/10.1234/abc.def"),
        ("doi/10.1234/abc.def", "article/doi/10.1234/abc.def"),
        ("doi/10.1234/ABC.DEF", "article/doi/10.1234/abc.def"),
        ("doi/10.5555/PMID.Keyed", "article/pmid/22222222"),  # by the published identifier
        ("doi/10.5555/pmid.keyed", "article/pmid/22222222"),
        ("pmid/11111111", "article/doi/10.1234/abc.def"),
        ("pmid/22222222", "article/pmid/22222222"),
        ("issn/0028-4793", "periodical/issn/0028-4793"),
        ("issn/15334406", "periodical/issn/0028-4793"),  # the journal's other ISSN
        (f"orcid/{ORCID_ONE}", f"person/orcid/{ORCID_ONE}"),
        ("nct/NCT01234567", "trial/nct/NCT01234567"),
        ("nct/nct01234567", "trial/nct/NCT01234567"),
        ("eudract/2010-012345-12", "trial/nct/NCT01234567"),
        ("drks/DRKS00001234", "trial/nct/NCT01234567"),
        ("isrctn/ISRCTN12345678", "trial/nct/NCT01234567"),
    ],
)
def test_identifier_routes_see_other(identifier_server: LiveServer, path: str, target: str) -> None:
    response = httpx.get(f"{identifier_server.url}/{path}")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == BASE + target
    # ... and the resource is there.
    resource = httpx.get(url_of(identifier_server, BASE + target), headers={"Accept": TURTLE})
    assert resource.status_code == 200


def test_an_orcid_id_in_two_articles_names_one_person(identifier_server: LiveServer) -> None:
    """Not `300 Multiple Choices` (one person resource per authorship) any more: the
    published view joins the authorships (publisher.mapping.identity)."""
    response = httpx.get(f"{identifier_server.url}/orcid/{ORCID_SHARED}")
    assert response.status_code == 303, response.text
    person = BASE + f"person/orcid/{ORCID_SHARED}"
    assert response.headers["location"] == person
    works = httpx.get(
        f"{identifier_server.url}/sparql",
        params={"query": f"SELECT ?a WHERE {{ ?a <https://schema.org/author> <{person}> }}"},
        headers={"Accept": "text/csv"},
    )
    assert sorted(works.text.split()[1:]) == [
        BASE + "article/doi/10.1234/abc.def",
        BASE + "article/pmid/22222222",
    ]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("doi/10.9999/unknown", 404, "nothing is published here for DOI 10.9999/unknown"),
        ("pmid/33333333", 404, "nothing is published here for PMID 33333333"),
        ("issn/0000-0019", 404, "nothing is published here for ISSN 0000-0019"),
        ("orcid/0000-0003-1419-2405", 404, "nothing is published here for ORCID iD"),
        ("nct/NCT99999999", 404, "nothing is published here for ClinicalTrials.gov number"),
        ("drks/DRKS99999999", 404, "nothing is published here for DRKS number DRKS99999999"),
        ("doi/not-a-doi", 400, "is not a DOI"),
        ("pmid/12ab", 400, "is not a PMID"),
        ("issn/12345", 400, "is not an ISSN"),
        ("orcid/12", 400, "is not an ORCID iD"),
        ("nct/12345678x", 400, "is not a ClinicalTrials.gov registration number"),
    ],
)
def test_identifier_routes_say_when_we_have_none(
    identifier_server: LiveServer, path: str, status: int, message: str
) -> None:
    response = httpx.get(f"{identifier_server.url}/{path}")
    assert response.status_code == status
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert message in response.text


def test_identifier_routes_do_not_shadow_minted_iris(live_server: LiveServer) -> None:
    for iri in (SEED_IRI, BASE + "trial/nct/NCT02349698", BASE + "periodical/issn/2234-943X"):
        assert httpx.get(url_of(live_server, iri), headers={"Accept": TURTLE}).status_code == 200
    response = httpx.get(f"{live_server.url}/doi/{SEED_DOI.upper()}")
    assert response.status_code == 303
    assert response.headers["location"] == SEED_IRI
