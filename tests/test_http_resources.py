"""Dereferencing minted IRIs over real HTTP: content negotiation, descriptions, HTML pages.

The server is a real `publisher serve` process (conftest.live_server) holding every example
record. Facts about the seed article were checked by hand against its page,
publisher/examples/records/000_a5c995328e4ea53f.txt.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import httpx
import pytest
from conftest import BASE, SEED, SEED_DOI, SEED_IRI, LiveServer, run_cli, start_server, stop_server
from helpers.crawler_graph import crawler_problems
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

SCHEMA = Namespace("https://schema.org/")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # rdflib's own warns when pytest probes it
BIBO = Namespace("http://purl.org/ontology/bibo/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
PROV = Namespace("http://www.w3.org/ns/prov#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
ONTOLOGY = URIRef("https://w3id.org/scholarly-publisher/ontology")  # fixed, whatever the base
PUB = Namespace(ONTOLOGY + "#")

# rdflib's JSON-LD parser uses its own deprecated class internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

ARTICLE = URIRef(SEED_IRI)
VOLUME = URIRef(BASE + "periodical/issn/2234-943X/volume/11")
PERIODICAL = URIRef(BASE + "periodical/issn/2234-943X")
TRIAL = URIRef(BASE + "trial/nct/NCT02349698")
AUTHOR_NAMES = [
    "Kyaw Thu Htun",
    "Qiang Gong",
    "Le Ma",
    "Ping Wang",
    "Ya Tan",
    "Guangsheng Wu",
    "Jieping Chen",
]
AUTHORS = [URIRef(f"{BASE}person/doi/{SEED_DOI}/{n}") for n in range(1, 8)]
SEED_TITLE = (
    "Successful Treatment of Refractory and Relapsed CNS Acute Lymphoblastic Leukemia"
    " With CD-19 CAR-T Immunotherapy: A Case Report"
)
# The six example articles (several_records_en.txt holds two): path -> title.
EXAMPLE_ARTICLES = {
    "/article/doi/10.3389/fonc.2021.699946": SEED_TITLE,
    "/article/doi/10.1371/journal.pone.0134826": "Changes in Data Sharing and Data Reuse"
    " Practices and Perceptions among Scientists Worldwide",
    "/article/doi/10.1016/j.bpj.2015.04.023": "Modeling Macromolecular Motions by"
    " X-Ray-Scattering-Constrained Molecular Dynamics",
    "/article/doi/10.1056/nejmoa1203421": "Improved survival with MEK inhibition in"
    " BRAF-mutated melanoma",
    "/article/doi/10.1056/nejmoa1715274": "Inhaled Combined Budesonide-Formoterol as Needed"
    " in Mild Asthma",
    "/article/doi/10.7554/elife.01567": "Automated quantitative histology reveals vascular"
    " morphodynamics during Arabidopsis hypocotyl secondary growth",
}

TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"
HTML = "text/html"
RDFLIB_FORMAT = {TURTLE: "turtle", JSONLD: "json-ld", NTRIPLES: "nt", RDFXML: "xml"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def seed_abstract() -> str:
    """The abstract exactly as the seed page has it (its `Zusammenfassung:` line)."""
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.startswith("Zusammenfassung:"):
            return line.removeprefix("Zusammenfassung:")
    raise AssertionError("the seed page has no Zusammenfassung line")


def url_of(server: LiveServer, iri: str) -> str:
    """Where the server answers for one of its IRIs (they name port 8000, it listens elsewhere)."""
    assert iri.startswith(server.base_uri), iri
    return server.url + "/" + iri[len(server.base_uri) :]


def get(server: LiveServer, iri: str, accept: str | None = None, **params: str) -> httpx.Response:
    """GET an IRI; without `accept`, httpx sends its default `Accept: */*`."""
    headers = {"Accept": accept} if accept is not None else {}
    return httpx.get(url_of(server, iri), headers=headers, params=params, timeout=30)


def get_without_accept(server: LiveServer, iri: str) -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        request = client.build_request("GET", url_of(server, iri))
        del request.headers["Accept"]
        assert "accept" not in request.headers
        return client.send(request)


# --- RDF parsing --------------------------------------------------------------------------


def remote_contexts(document: Any) -> list[Any]:
    """Every @context in a JSON-LD document that is (or lists) a reference, not an object."""
    found: list[Any] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "@context":
                values = value if isinstance(value, list) else [value]
                found += [v for v in values if not isinstance(v, dict)]
            found += remote_contexts(value)
    elif isinstance(document, list):
        for item in document:
            found += remote_contexts(item)
    return found


@contextmanager
def no_network() -> Iterator[None]:
    """Fail any attempt to open a connection (rdflib would fetch a remote @context)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access while parsing: {args}")

    with (
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(socket, "create_connection", refuse),
    ):
        yield


def parse_rdf(body: str, media_type: str) -> Graph:
    graph = Graph()
    if media_type == JSONLD:
        document = json.loads(body)
        assert remote_contexts(document) == []
        assert isinstance(document["@context"], dict)
        with no_network():
            graph.parse(data=body, format="json-ld")
    else:
        graph.parse(data=body, format=RDFLIB_FORMAT[media_type])
    return graph


# --- A small HTML tree, with the standard library only ------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        """Descendants by tag; `class_="x"` matches one of the classes, other attrs exactly."""
        out = []
        for element in self.iter():
            if element.tag != tag:
                continue
            ok = True
            for name, wanted in attrs.items():
                if name == "class_":
                    ok = ok and wanted in (element.attrs.get("class") or "").split()
                else:
                    ok = ok and element.attrs.get(name) == wanted
            if ok:
                out.append(element)
        return out

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}> elements"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        # Character references in text and attributes are decoded (as a browser does);
        # the raw text of <script> is left exactly as sent.
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert any(e.tag == tag for e in self.stack[1:]), f"stray </{tag}>"
        while self.stack.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def jsonld_blocks(page: Element) -> list[str]:
    return [s.text() for s in page.find_all("script", type="application/ld+json")]


# --- Fixtures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    response: httpx.Response
    graph: Graph


@pytest.fixture(scope="module")
def seed(live_server: LiveServer) -> dict[str, Fetched]:
    """The seed article in all five representations, each parsed into a graph."""
    out = {}
    for media_type in (TURTLE, JSONLD, NTRIPLES, RDFXML):
        response = get(live_server, SEED_IRI, media_type)
        assert response.status_code == 200, response.text
        out[media_type] = Fetched(response, parse_rdf(response.text, media_type))
    response = get(live_server, SEED_IRI, HTML)
    assert response.status_code == 200, response.text
    (block,) = jsonld_blocks(parse_html(response.text))
    out[HTML] = Fetched(response, parse_rdf(block, JSONLD))
    return out


@pytest.fixture(scope="module")
def seed_graph(seed: dict[str, Fetched]) -> Graph:
    return seed[TURTLE].graph


@pytest.fixture(scope="module")
def seed_page(seed: dict[str, Fetched]) -> Element:
    return parse_html(seed[HTML].response.text)


# --- One description, five representations -----------------------------------------------


@pytest.mark.parametrize("media_type", [TURTLE, JSONLD, NTRIPLES, RDFXML, HTML])
def test_each_representation_has_its_exact_headers(
    seed: dict[str, Fetched], media_type: str
) -> None:
    response = seed[media_type].response
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize("media_type", [JSONLD, NTRIPLES, RDFXML])
def test_all_representations_are_the_same_graph(seed: dict[str, Fetched], media_type: str) -> None:
    turtle = seed[TURTLE].graph
    other = seed[media_type].graph
    assert len(other) == len(turtle)
    assert isomorphic(other, turtle)


def test_the_page_embeds_the_graph_with_what_crawlers_read(seed: dict[str, Fetched]) -> None:
    """An article page's JSON-LD is its graph plus what search engines look for (a short
    headline, dateModified, the journal chain, the Bioschemas profile): nothing else."""
    assert crawler_problems(seed[HTML].graph, seed[TURTLE].graph, URIRef(SEED_IRI)) == []


def test_jsonld_has_an_inline_context_and_the_article_on_top(seed: dict[str, Fetched]) -> None:
    document = json.loads(seed[JSONLD].response.text)
    assert document["@context"]["@vocab"] == "https://schema.org/"
    assert document["@id"] == SEED_IRI
    assert sorted(document["@type"]) == ["MedicalScholarlyArticle", "ScholarlyArticle"]
    assert document["name"] == SEED_TITLE


def test_html_embeds_the_jsonld_document_for_crawlers(seed: dict[str, Fetched]) -> None:
    (block,) = jsonld_blocks(parse_html(seed[HTML].response.text))
    page, served = json.loads(block), json.loads(seed[JSONLD].response.text)
    assert page["@context"]["@vocab"] == served["@context"]["@vocab"]
    assert page["name"] == served["name"] == SEED_TITLE  # the full title
    assert len(page["headline"]) <= 110 and SEED_TITLE.startswith(page["headline"][:-1])
    for key in ("@id", "@type", "author", "datePublished", "identifier", "abstract"):
        assert page[key] == served[key], key


# --- What the seed article's description says ---------------------------------------------


def test_seed_types(seed_graph: Graph) -> None:
    assert set(seed_graph.objects(ARTICLE, RDF.type)) == {
        SCHEMA.ScholarlyArticle,
        SCHEMA.MedicalScholarlyArticle,
    }


def test_seed_literals(seed_graph: Graph) -> None:
    def only(predicate: URIRef) -> Any:
        values = list(seed_graph.objects(ARTICLE, predicate))
        assert len(values) == 1, (predicate, values)
        return values[0]

    assert only(SCHEMA.name) == Literal(SEED_TITLE)
    assert only(SCHEMA.headline) == Literal(SEED_TITLE)
    assert only(SCHEMA.publicationType) == Literal("Case Reports")
    assert only(SCHEMA.datePublished) == Literal("2021-08", datatype=XSD.gYearMonth)
    assert only(SCHEMA.inLanguage) == Literal("en")
    assert only(SCHEMA.abstract) == Literal(seed_abstract(), lang="en")
    assert only(SCHEMA.sameAs) == URIRef(f"https://doi.org/{SEED_DOI}")
    assert only(SCHEMA.mentions) == TRIAL
    assert only(SCHEMA.isPartOf) == VOLUME


def test_seed_doi_is_a_property_value(seed_graph: Graph) -> None:
    rows = list(
        seed_graph.query(
            """SELECT ?id ?kind ?value WHERE {
                 ?article schema:identifier ?id .
                 ?id a schema:PropertyValue ; schema:propertyID ?kind ; schema:value ?value }""",
            initNs={"schema": SCHEMA},
            initBindings={"article": ARTICLE},
        )
    )
    assert len(rows) == 1
    identifier, kind, value = rows[0]  # type: ignore[misc]
    # A node of the article's own (its IRI under the article's, no blank node: the
    # published view is replaced exactly and dumped byte for byte the same).
    assert isinstance(identifier, URIRef) and str(identifier).startswith(f"{ARTICLE}#id-doi-")
    assert (kind, value) == (Literal("DOI"), Literal(SEED_DOI))


def test_seed_has_seven_authors_in_order(seed_graph: Graph) -> None:
    (head,) = seed_graph.objects(ARTICLE, BIBO.authorList)
    ordered = list(Collection(seed_graph, head))
    assert ordered == AUTHORS
    assert [str(seed_graph.value(a, SCHEMA.name)) for a in ordered] == AUTHOR_NAMES
    assert set(seed_graph.objects(ARTICLE, SCHEMA.author)) == set(AUTHORS)


def test_seed_author_names_by_sparql(seed_graph: Graph) -> None:
    rows = seed_graph.query(
        """SELECT ?name (COUNT(?before) AS ?position) WHERE {
             ?article bibo:authorList ?list .
             ?list rdf:rest* ?cell . ?cell rdf:first ?author . ?author schema:name ?name .
             ?cell (^rdf:rest)* ?before . ?list rdf:rest* ?before .
           } GROUP BY ?name ORDER BY ?position""",
        initNs={"schema": SCHEMA, "bibo": BIBO, "rdf": RDF},
        initBindings={"article": ARTICLE},
    )
    assert [str(row[0]) for row in rows] == AUTHOR_NAMES  # type: ignore[index]


# --- How far a description reaches ----------------------------------------------------------


def test_description_is_own_triples_its_nodes_and_neighbour_labels(seed_graph: Graph) -> None:
    subjects = set(seed_graph.subjects())
    assert not any(isinstance(s, BNode) for s in subjects)
    owned = {s for s in subjects if str(s).startswith(f"{ARTICLE}#")}
    assert subjects - owned == {ARTICLE, VOLUME, TRIAL, *AUTHORS}
    # The DOI PropertyValue and the seven cells of the author list, named under the
    # article's IRI.
    assert len(owned) == 8
    # 20 statements about the article, 3 for the DOI, 2 per list cell, and for what it links
    # to only labels, types and links: 7 persons x 3 (type, name, url), the volume's type,
    # the trial's type and registry page.
    assert len(list(seed_graph.predicate_objects(ARTICLE))) == 20
    assert len(seed_graph) == 20 + 3 + 7 * 2 + 7 * 3 + 1 + 2


def test_linked_resources_bring_only_their_labels(seed_graph: Graph) -> None:
    for author, name in zip(AUTHORS, AUTHOR_NAMES, strict=True):
        assert set(seed_graph.predicate_objects(author)) == {
            (RDF.type, SCHEMA.Person),
            (SCHEMA.name, Literal(name)),
            (SCHEMA.url, author),  # the author's page, what search engines read as author.url
        }
    assert (None, SCHEMA.givenName, None) not in seed_graph
    assert (None, SCHEMA.familyName, None) not in seed_graph
    assert set(seed_graph.predicate_objects(VOLUME)) == {(RDF.type, SCHEMA.PublicationVolume)}
    assert set(seed_graph.predicate_objects(TRIAL)) == {
        (RDF.type, SCHEMA.MedicalTrial),
        (SCHEMA.sameAs, URIRef("https://clinicaltrials.gov/study/NCT02349698")),
    }
    assert (PERIODICAL, None, None) not in seed_graph


# --- Content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle;q=0.5, application/ld+json", JSONLD),
        ("text/html;q=0.9, text/turtle", TURTLE),
        (BROWSER, HTML),
        ("*/*", TURTLE),
        ("application/n-triples", NTRIPLES),
        ("application/rdf+xml", RDFXML),
        ("text/*", TURTLE),
        ("text/*;q=0.5, text/html", HTML),
        ("text/turtle;q=0, */*", JSONLD),
        ("image/png, application/ld+json;q=0.1", JSONLD),
    ],
)
def test_accept_header_chooses_the_representation(
    live_server: LiveServer, accept: str, expected: str
) -> None:
    response = get(live_server, SEED_IRI, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{expected}; charset=utf-8"
    assert response.headers["vary"] == "Accept"


def test_no_accept_header_gets_turtle(live_server: LiveServer) -> None:
    response = get_without_accept(live_server, SEED_IRI)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    assert (ARTICLE, SCHEMA.name, Literal(SEED_TITLE)) in parse_rdf(response.text, TURTLE)


def test_unacceptable_type_is_406_with_a_message(live_server: LiveServer) -> None:
    response = get(live_server, SEED_IRI, "image/png")
    assert response.status_code == 406
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("cannot serve 'image/png'; available: ")
    for media_type in (TURTLE, JSONLD, NTRIPLES, RDFXML, HTML):
        assert media_type in response.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jsonld", JSONLD),
        ("json-ld", JSONLD),
        ("application/ld+json", JSONLD),
        ("turtle", TURTLE),
        ("ttl", TURTLE),
        ("ntriples", NTRIPLES),
        ("nt", NTRIPLES),
        ("rdfxml", RDFXML),
        ("rdf", RDFXML),
        ("html", HTML),
    ],
)
def test_format_parameter_overrides_accept(
    live_server: LiveServer, seed_graph: Graph, value: str, expected: str
) -> None:
    accept = HTML if expected != HTML else TURTLE
    response = get(live_server, SEED_IRI, accept, format=value)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{expected}; charset=utf-8"
    if expected != HTML:
        assert isomorphic(parse_rdf(response.text, expected), seed_graph)


def test_unknown_format_parameter_is_406(live_server: LiveServer) -> None:
    response = get(live_server, SEED_IRI, format="png")
    assert response.status_code == 406
    assert response.text.startswith("format='png' is not one of: html, turtle, jsonld")


def test_alternate_links_in_the_page_work(live_server: LiveServer, seed_page: Element) -> None:
    links = {
        link.attrs["type"]: link.attrs["href"]
        for link in seed_page.find_all("link", rel="alternate")
    }
    assert links == {
        TURTLE: "?format=turtle",
        JSONLD: "?format=jsonld",
        NTRIPLES: "?format=ntriples",
        RDFXML: "?format=rdfxml",
    }
    for media_type, href in links.items():
        assert href is not None and media_type is not None
        response = httpx.get(url_of(live_server, SEED_IRI) + href, headers={"Accept": BROWSER})
        assert response.status_code == 200
        assert response.headers["content-type"] == f"{media_type}; charset=utf-8"


def test_unknown_iri_is_404_with_a_message(live_server: LiveServer) -> None:
    iri = BASE + "article/doi/10.9999/nope"
    for accept in (TURTLE, BROWSER):
        response = get(live_server, iri, accept)
        assert response.status_code == 404
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text == f"nothing is published about {iri}\n"


def test_path_that_is_no_iri_is_400(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url + "/article/a%20b")
    assert response.status_code == 400
    assert response.text.startswith("not a valid IRI")


# --- Every kind of minted IRI dereferences ------------------------------------------------


def fetch_graph(server: LiveServer, iri: str) -> Graph:
    response = get(server, iri, TURTLE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    graph = parse_rdf(response.text, TURTLE)
    # ... and the JSON-LD of it says the same.
    response = get(server, iri, JSONLD)
    assert response.status_code == 200
    assert isomorphic(parse_rdf(response.text, JSONLD), graph)
    return graph


def test_person(live_server: LiveServer) -> None:
    graph = fetch_graph(live_server, str(AUTHORS[0]))
    assert set(graph) == {
        (AUTHORS[0], RDF.type, SCHEMA.Person),
        (AUTHORS[0], SCHEMA.name, Literal("Kyaw Thu Htun")),
        (AUTHORS[0], SCHEMA.givenName, Literal("Kyaw Thu")),
        (AUTHORS[0], SCHEMA.familyName, Literal("Htun")),
        (AUTHORS[0], SCHEMA.url, AUTHORS[0]),
    }


def test_periodical(live_server: LiveServer) -> None:
    graph = fetch_graph(live_server, str(PERIODICAL))
    assert set(graph) == {
        (PERIODICAL, RDF.type, SCHEMA.Periodical),
        (PERIODICAL, SCHEMA.name, Literal("Frontiers in oncology")),
        (PERIODICAL, SCHEMA.issn, Literal("2234-943X")),
    }


def test_volume(live_server: LiveServer) -> None:
    graph = fetch_graph(live_server, str(VOLUME))
    assert set(graph) == {
        (VOLUME, RDF.type, SCHEMA.PublicationVolume),
        (VOLUME, SCHEMA.volumeNumber, Literal("11")),
        (VOLUME, SCHEMA.isPartOf, PERIODICAL),
        # the periodical's label (and type), not its ISSN
        (PERIODICAL, RDF.type, SCHEMA.Periodical),
        (PERIODICAL, SCHEMA.name, Literal("Frontiers in oncology")),
    }


def test_trial(live_server: LiveServer) -> None:
    graph = fetch_graph(live_server, str(TRIAL))
    assert set(graph.predicate_objects(TRIAL)) == {
        (RDF.type, SCHEMA.MedicalTrial),
        (SCHEMA.sameAs, URIRef("https://clinicaltrials.gov/study/NCT02349698")),
        (SCHEMA.identifier, graph.value(TRIAL, SCHEMA.identifier)),
    }
    identifier = graph.value(TRIAL, SCHEMA.identifier)
    assert isinstance(identifier, URIRef) and str(identifier).startswith(f"{TRIAL}#id-")
    assert set(graph.predicate_objects(identifier)) == {
        (RDF.type, SCHEMA.PropertyValue),
        (SCHEMA.propertyID, Literal("ClinicalTrials.gov")),
        (SCHEMA.value, Literal("NCT02349698")),
    }
    assert len(graph) == 6


def seed_graph_iri(server: LiveServer) -> str:
    response = httpx.get(
        server.url + "/sparql",
        params={"query": f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{SEED_IRI}> a ?t }} }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    bindings = response.json()["results"]["bindings"]
    assert len(bindings) == 1
    assert bindings[0]["g"]["type"] == "uri"
    return str(bindings[0]["g"]["value"])


def test_named_graph_of_the_seed_record(live_server: LiveServer) -> None:
    iri = seed_graph_iri(live_server)
    assert iri.startswith(BASE)
    record = URIRef(iri)
    graph = fetch_graph(live_server, iri)
    assert set(graph.objects(record, RDF.type)) == {PUB.SourceRecord, PROV.Entity}
    assert graph.value(record, FOAF.primaryTopic) == ARTICLE
    assert graph.value(record, PUB.sourceFormat) == Literal("vufind-text")
    generated = graph.value(record, PROV.generatedAtTime)
    assert isinstance(generated, Literal) and generated.datatype == XSD.dateTime
    # PROV-O: derived from the source record (file and position), generated by our software
    origin = graph.value(record, PROV.wasDerivedFrom)
    assert graph.value(origin, RDF.type) == PROV.Entity
    assert graph.value(origin, PUB.sourceFile) == Literal("000_a5c995328e4ea53f.txt")
    assert graph.value(origin, PUB.recordPosition) == Literal(1)
    activity = graph.value(record, PROV.wasGeneratedBy)
    assert graph.value(activity, PROV.used) == origin
    software = graph.value(activity, PROV.wasAssociatedWith)
    assert set(graph.objects(software, RDF.type)) == {
        PROV.SoftwareAgent,
        SCHEMA.SoftwareApplication,  # whose properties schema:name and softwareVersion are
    }
    assert graph.value(software, SCHEMA.name) == Literal("scholarly-publisher")
    assert graph.value(software, SCHEMA.softwareVersion) == Literal("0.1.0")
    assert len(list(graph.predicate_objects(record))) == 7
    # The primary topic comes with its label, types and links only.
    assert set(graph.predicate_objects(ARTICLE)) == {
        (SCHEMA.name, Literal(SEED_TITLE)),
        (SCHEMA.sameAs, URIRef(f"https://doi.org/{SEED_DOI}")),
        (RDF.type, SCHEMA.ScholarlyArticle),
        (RDF.type, SCHEMA.MedicalScholarlyArticle),
    }


def test_ontology(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url + "/ontology")  # httpx sends Accept: */*
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    assert response.headers["vary"] == "Accept"
    graph = parse_rdf(response.text, TURTLE)
    source_record = PUB.SourceRecord
    assert source_record == URIRef("https://w3id.org/scholarly-publisher/ontology#SourceRecord")
    assert (source_record, RDF.type, RDFS.Class) in graph
    assert (source_record, RDF.type, OWL.Class) in graph
    assert graph.value(source_record, RDFS.label) == Literal("Source record", lang="en")
    comment = graph.value(source_record, RDFS.comment)
    assert isinstance(comment, Literal) and comment.language == "en"
    assert str(comment).startswith("A named graph holding everything published from one")
    assert (
        URIRef("https://w3id.org/scholarly-publisher/ontology"),
        RDF.type,
        OWL.Ontology,
    ) in graph
    assert (PUB.sourceFormat, RDFS.domain, source_record) in graph
    for prop in (PUB.sourceFile, PUB.sourceFormat, PUB.recordPosition, PUB.sourceId):
        assert graph.value(prop, RDFS.label) is not None
        assert graph.value(prop, RDFS.comment) is not None


def test_ontology_negotiates_too(live_server: LiveServer) -> None:
    turtle = parse_rdf(httpx.get(live_server.url + "/ontology").text, TURTLE)
    response = httpx.get(live_server.url + "/ontology", headers={"Accept": JSONLD})
    assert response.headers["content-type"] == "application/ld+json; charset=utf-8"
    assert isomorphic(parse_rdf(response.text, JSONLD), turtle)
    response = httpx.get(live_server.url + "/ontology", headers={"Accept": BROWSER})
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = parse_html(response.text)
    assert page.one("h1").text() == "Scholarly publisher vocabulary"


# --- The HTML page ------------------------------------------------------------------------


def test_page_title_and_heading(seed_page: Element) -> None:
    assert seed_page.one("title").text() == SEED_TITLE
    assert seed_page.one("h1").text() == SEED_TITLE


def test_page_lists_the_authors_in_order_with_links(seed_page: Element) -> None:
    items = seed_page.one("ol", class_="authors").find_all("li")
    assert [li.text() for li in items] == AUTHOR_NAMES
    assert [li.one("a").attrs["href"] for li in items] == [
        f"/person/doi/{SEED_DOI}/{n}" for n in range(1, 8)
    ]


def test_page_journal_date_and_doi(seed_page: Element) -> None:
    assert seed_page.one("span", class_="journal").text() == "Frontiers in oncology, vol. 11"
    assert seed_page.one("time").text() == "August 2021"
    assert seed_page.one("time").attrs["datetime"] == "2021-08"
    journal = seed_page.one("span", class_="journal").find_all("a")
    assert [a.attrs["href"] for a in journal] == [
        "/periodical/issn/2234-943X",
        "/periodical/issn/2234-943X/volume/11",
    ]
    doi = seed_page.one("a", class_="doi")
    assert doi.attrs["href"] == f"https://doi.org/{SEED_DOI}"
    assert doi.text() == SEED_DOI


def test_page_has_the_full_abstract(seed_page: Element) -> None:
    abstract = seed_page.one("p", class_="abstract").text()
    assert abstract == seed_abstract()
    assert abstract.endswith("ClinicalTrials.gov Identifier: NCT02349698.")
    assert not abstract.endswith("...")


def test_page_links_the_trial(live_server: LiveServer, seed_page: Element) -> None:
    links = seed_page.one("ul", class_="trials").find_all("a")
    assert [a.attrs["href"] for a in links] == ["/trial/nct/NCT02349698"]
    response = httpx.get(live_server.url + "/trial/nct/NCT02349698", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_page_has_exactly_one_jsonld_block(seed: dict[str, Fetched]) -> None:
    page = parse_html(seed[HTML].response.text)
    assert len(page.find_all("script")) == 1
    assert len(jsonld_blocks(page)) == 1


def test_landing_page_lists_the_six_articles(live_server: LiveServer) -> None:
    response = httpx.get(live_server.url + "/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = parse_html(response.text)
    headings = [h.text() for h in page.find_all("h2")]
    assert headings[0] == "Articles (6)"
    articles = page.find_all("ul")[0].find_all("a")
    listed = {a.attrs["href"]: a.text() for a in articles}
    assert len(articles) == 6
    assert listed == EXAMPLE_ARTICLES
    for href, title in listed.items():
        assert href is not None
        page_response = httpx.get(live_server.url + href, headers={"Accept": BROWSER})
        assert page_response.status_code == 200
        assert parse_html(page_response.text).one("h1").text() == title


# --- Record text cannot break out of the page ---------------------------------------------

HOSTILE_TITLE = "<script>alert(1)</script> & </script><!-- Case Report"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("hostile")
    lines = SEED.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0].startswith("Successful Treatment")
    page = folder / "hostile.txt"
    page.write_text(HOSTILE_TITLE + "\n" + "".join(lines[1:]), encoding="utf-8")
    store = folder / "store"
    result = run_cli("ingest", "--store", str(store), "--base-uri", BASE, str(page))
    assert result.returncode == 0, result.stdout + result.stderr
    process, server = start_server(store)
    try:
        yield server
    finally:
        stop_server(process)


def test_hostile_title_is_stored_verbatim(hostile_server: LiveServer) -> None:
    response = get(hostile_server, SEED_IRI, TURTLE)
    assert response.status_code == 200
    graph = parse_rdf(response.text, TURTLE)
    assert graph.value(ARTICLE, SCHEMA.name) == Literal(HOSTILE_TITLE)


def test_hostile_title_is_escaped_in_html(hostile_server: LiveServer) -> None:
    response = get(hostile_server, SEED_IRI, BROWSER)
    assert response.status_code == 200
    raw = response.text
    assert "<script>alert" not in raw
    assert "<!-- Case" not in raw
    page = parse_html(raw)
    assert page.one("h1").text() == HOSTILE_TITLE
    assert page.one("title").text() == HOSTILE_TITLE
    # The title did not open any element: still one script, the JSON-LD one.
    assert len(page.find_all("script")) == 1


def test_hostile_title_cannot_end_the_jsonld_block(hostile_server: LiveServer) -> None:
    raw = get(hostile_server, SEED_IRI, BROWSER).text
    (block,) = jsonld_blocks(parse_html(raw))
    assert "</script" not in block.lower()
    assert "<!--" not in block
    assert "<" not in block  # every `<` of record text is sent as \u003c
    document = json.loads(block)
    assert document["name"] == HOSTILE_TITLE
    graph = parse_rdf(block, JSONLD)
    assert graph.value(ARTICLE, SCHEMA.name) == Literal(HOSTILE_TITLE)
    # The script element ends exactly where the server's template ends it.
    assert re.search(r"<script type=\"application/ld\+json\">\n\{.*\n\}\n</script>", raw, re.S)
