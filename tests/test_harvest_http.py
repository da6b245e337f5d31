"""Harvesting over real HTTP: VoID/DCAT, sitemaps, robots.txt, dumps (with ranges and
checksums), the change feed, 410 for withdrawn resources, and search.

One store for the module, built through the real command line: the six example records,
a second source (RIS) for the NEJM melanoma article, a page full of markup, then the
Biophysical Journal article (minimal_en.txt) removed. So the change feed holds a Create
for every resource published, and a Delete for each the removal withdrew.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import BASE, EXAMPLES, REPO, SEED_IRI, LiveServer, run_cli, start_server, stop_server
from pyoxigraph import QuerySolutions
from pyoxigraph import Store as OxStore
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("https://schema.org/")
PROV = Namespace("http://www.w3.org/ns/prov#")
PUB = Namespace("https://w3id.org/scholarly-publisher/ontology#")
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DATA = REPO / "tests" / "data" / "harvest"
DATASET = URIRef(BASE + "dataset")
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
PAGE_SIZE = 4
SITEMAP_SIZE = 25
REMOVED_GRAPH = BASE + "graph/vufind-text/doi/10.1016/j.bpj.2015.04.023"
REMOVED = BASE + "article/doi/10.1016/j.bpj.2015.04.023"
MELANOMA = BASE + "article/doi/10.1056/nejmoa1203421"
MARKUP = BASE + "article/doi/10.5555/xss.2020.1"

pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning"),
]


@dataclass(frozen=True)
class Published:
    server: LiveServer
    store: Path
    dumps: Path


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    root = tmp_path_factory.mktemp("harvest")
    store, dumps = root / "store", root / "dumps"
    files = [*map(str, sorted(EXAMPLES.glob("*.txt")))]
    files += [str(DATA / "nejm_second_source.ris"), str(DATA / "markup_in_record.txt")]
    result = run_cli("ingest", "--store", str(store), "--base-uri", BASE, *files)
    assert result.returncode == 0, result.stderr
    result = run_cli("remove", "--store", str(store), REMOVED_GRAPH)
    assert result.returncode == 0, result.stderr
    result = run_cli("export", "--store", str(store), "--base-uri", BASE, str(dumps))
    assert result.returncode == 0, result.stderr
    env = {
        "PUBLISHER_DUMPS": str(dumps),
        "PUBLISHER_CHANGES_PAGE_SIZE": str(PAGE_SIZE),
        "PUBLISHER_SITEMAP_SIZE": str(SITEMAP_SIZE),
        "PUBLISHER_TITLE": "Test catalogue",
        "PUBLISHER_LICENSE": LICENSE,
        "PUBLISHER_PUBLISHER_NAME": "Test Library",
    }
    process, server = start_server(store, env=env)
    yield Published(server, store, dumps)
    stop_server(process)


def get(published: Published, path: str, **headers: str) -> httpx.Response:
    return httpx.get(published.server.url + path, headers=headers, timeout=30)


def store_query(published: Published, query: str) -> list[dict[str, str]]:
    """Ask the store itself (read-only, beside the server) what the answers should be."""
    store = OxStore.read_only(str(published.store))
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    rows = [{n: row[n].value for n in names if row[n] is not None} for row in result]
    del store
    return rows


def live_resources(published: Published) -> set[str]:
    rows = store_query(
        published,
        f"""SELECT DISTINCT ?s WHERE {{
          GRAPH ?g {{ ?g a <{PUB}SourceRecord> . ?s ?p ?o }}
          FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{BASE}")
                 && !STRSTARTS(STR(?s), "{BASE}graph/"))
        }}""",
    )
    return {row["s"] for row in rows}


def dataset_graph(published: Published, path: str = "/.well-known/void") -> Graph:
    response = get(published, path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")  # */* gets Turtle
    return Graph().parse(data=response.text, format="turtle")


# --- VoID and DCAT ------------------------------------------------------------------------


def test_void_describes_the_dataset_with_the_configured_licence_and_publisher(
    published: Published,
) -> None:
    graph = dataset_graph(published)
    assert (DATASET, RDF.type, VOID.Dataset) in graph
    assert (DATASET, RDF.type, DCAT.Dataset) in graph
    assert (DATASET, DCTERMS.title, Literal("Test catalogue")) in graph
    assert (DATASET, DCTERMS.license, URIRef(LICENSE)) in graph
    publisher = graph.value(DATASET, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == Literal("Test Library")
    assert (DATASET, VOID.sparqlEndpoint, URIRef(BASE + "sparql")) in graph
    assert (DATASET, VOID.uriSpace, Literal(BASE)) in graph
    vocabularies = set(graph.objects(DATASET, VOID.vocabulary))
    assert {URIRef("https://schema.org/"), URIRef("http://purl.org/ontology/bibo/")} <= vocabularies
    # The example of each kind is the first of its listing (by name): the same whatever
    # the order in which records came.
    examples = set(graph.objects(DATASET, VOID.exampleResource))
    articles = Graph().parse(data=get(published, "/articles", accept="text/turtle").text)
    sdo = Namespace("https://schema.org/")
    first = next(
        articles.value(item, sdo.item)
        for item in articles.objects(None, sdo.itemListElement)
        if articles.value(item, sdo.position) == Literal(1)
    )
    assert first in examples
    assert graph.value(DATASET, DCTERMS.modified) is not None
    # The validation summary stays part of the description.
    assert graph.value(DATASET, PUB.acceptedRecords) == Literal(7)  # 8 published, 1 removed
    assert graph.value(DATASET, PUB.rejectedRecords) == Literal(0)


def test_void_is_negotiated_like_every_resource(published: Published) -> None:
    turtle = dataset_graph(published, "/dataset")
    jsonld = get(published, "/dataset", accept="application/ld+json")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert isomorphic(turtle, Graph().parse(data=jsonld.text, format="json-ld"))
    ntriples = get(published, "/.well-known/void", accept="application/n-triples")
    assert isomorphic(turtle, Graph().parse(data=ntriples.text, format="nt"))
    html = get(published, "/dataset", accept="text/html")
    assert html.headers["content-type"].startswith("text/html")
    assert "void#classPartition" in html.text or "classPartition" in html.text


def test_void_counts_agree_with_the_store(published: Published) -> None:
    graph = dataset_graph(published)
    partitions = {
        graph.value(node, VOID["class"]): node
        for node in graph.objects(DATASET, VOID.classPartition)
    }
    articles = store_query(
        published,
        "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a <https://schema.org/ScholarlyArticle> }",
    )
    node = partitions[SCHEMA.ScholarlyArticle]
    assert graph.value(node, VOID.entities) == Literal(int(articles[0]["n"]))
    assert int(articles[0]["n"]) == 6  # seven articles published, one removed
    statements = store_query(
        published,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{PUB}SourceRecord> . ?s ?p ?o }} }}",
    )
    assert graph.value(DATASET, VOID.triples) == Literal(int(statements[0]["n"]))
    names = store_query(
        published,
        f"""SELECT (COUNT(*) AS ?n) WHERE {{
              GRAPH ?g {{ ?g a <{PUB}SourceRecord> . ?s <https://schema.org/name> ?o }} }}""",
    )
    by_property = {
        graph.value(node, VOID.property): graph.value(node, VOID.triples)
        for node in graph.objects(DATASET, VOID.propertyPartition)
    }
    assert by_property[SCHEMA.name] == Literal(int(names[0]["n"]))
    assert graph.value(DATASET, VOID.entities) == Literal(len(live_resources(published)))


def test_void_lists_the_dumps_with_size_checksum_and_date(published: Published) -> None:
    graph = dataset_graph(published)
    dumps = set(graph.objects(DATASET, VOID.dataDump))
    assert dumps == {URIRef(f"{BASE}dumps/dataset.{ext}.gz") for ext in ("nt", "nq", "ttl")}
    for dump in dumps:
        assert (DATASET, DCAT.distribution, dump) in graph
        local = published.dumps / str(dump).rsplit("/", 1)[-1]
        assert int(graph.value(dump, DCAT.byteSize)) == local.stat().st_size
        checksum = graph.value(dump, SPDX.checksum)
        assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        expected = hashlib.sha256(local.read_bytes()).hexdigest()
        assert str(graph.value(checksum, SPDX.checksumValue)) == expected
        assert graph.value(dump, DCTERMS.modified) is not None
        assert graph.value(dump, DCAT.downloadURL) == dump


# --- Sitemaps and robots.txt -------------------------------------------------------------


def test_sitemaps_list_every_live_resource_with_its_lastmod(published: Published) -> None:
    index = ET.fromstring(get(published, "/sitemap.xml").content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    children = [e.findtext(f"{SITEMAP}loc") or "" for e in index.iter(f"{SITEMAP}sitemap")]
    assert len(children) >= 3  # ~80 resources, 25 per sitemap
    lastmods: dict[str, str] = {}
    for child in children:
        assert child.startswith(f"{BASE}sitemaps/") and child.endswith(".xml")
        urlset = ET.fromstring(get(published, child.removeprefix(BASE[:-1])).content)
        urls = list(urlset.iter(f"{SITEMAP}url"))
        assert 0 < len(urls) <= SITEMAP_SIZE
        for url in urls:
            lastmods[url.findtext(f"{SITEMAP}loc") or ""] = url.findtext(f"{SITEMAP}lastmod") or ""
    assert set(lastmods) == live_resources(published)
    assert REMOVED not in lastmods
    kinds = {iri.removeprefix(BASE).split("/", 1)[0] for iri in lastmods}
    assert {"article", "person", "periodical", "trial", "organization"} <= kinds
    # lastmod: when the resource's published description last changed; made in one
    # run from both its records, that is when the later of them was read.
    stamps = store_query(
        published,
        f"""SELECT ?g ?t WHERE {{ GRAPH ?g {{ ?g <{PROV}generatedAtTime> ?t ;
                                              <http://xmlns.com/foaf/0.1/primaryTopic> ?a }}
             FILTER(?a = <{MELANOMA}>) }}""",
    )
    latest = max(stamps, key=lambda row: row["t"])["t"]
    assert _instant(lastmods[MELANOMA]) == _instant(latest)
    assert get(published, "/sitemaps/999.xml").status_code == 404


def _instant(stamp: str) -> str:
    return stamp.replace("+00:00", "Z")


def test_robots_txt_points_to_the_sitemap_index(published: Published) -> None:
    response = get(published, "/robots.txt")
    assert response.status_code == 200
    assert f"Sitemap: {BASE}sitemap.xml" in response.text.splitlines()


# --- Dumps ----------------------------------------------------------------------------------


def test_dumps_listing_names_sizes_and_checksums(published: Published) -> None:
    listing = get(published, "/dumps/", accept="application/json").json()
    names = [f["name"] for f in listing["files"]]
    assert names == ["dataset.nt.gz", "dataset.nq.gz", "dataset.ttl.gz"]
    for entry in listing["files"]:
        local = published.dumps / entry["name"]
        assert entry["byteSize"] == local.stat().st_size
        assert entry["sha256"] == hashlib.sha256(local.read_bytes()).hexdigest()
    html = get(published, "/dumps/", accept="text/html")
    assert "dataset.nq.gz" in html.text and listing["files"][0]["sha256"] in html.text
    sums = get(published, "/dumps/SHA256SUMS").text
    for entry in listing["files"]:
        assert f"{entry['sha256']}  {entry['name']}" in sums
    assert get(published, "/dumps/nothing.gz").status_code == 404
    assert get(published, "/dumps/..%2Fstore").status_code == 404


def test_dump_downloads_carry_length_and_digest_and_resume_with_ranges(
    published: Published,
) -> None:
    local = published.dumps / "dataset.nq.gz"
    content = local.read_bytes()
    digest = b64encode(hashlib.sha256(content).digest()).decode()
    whole = get(published, "/dumps/dataset.nq.gz")
    assert whole.status_code == 200
    assert whole.content == content
    assert int(whole.headers["content-length"]) == len(content)
    assert whole.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert whole.headers["digest"] == f"sha-256={digest}"
    assert whole.headers["accept-ranges"] == "bytes"
    # A download cut after 1000 bytes, resumed from there.
    first = get(published, "/dumps/dataset.nq.gz", range="bytes=0-999")
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-999/{len(content)}"
    assert first.headers["repr-digest"] == f"sha-256=:{digest}:"  # of the whole file
    rest = get(
        published,
        "/dumps/dataset.nq.gz",
        range="bytes=1000-",
        **{"if-range": whole.headers["etag"]},
    )
    assert rest.status_code == 206
    assert rest.headers["content-range"] == f"bytes 1000-{len(content) - 1}/{len(content)}"
    assert hashlib.sha256(first.content + rest.content).digest() == hashlib.sha256(content).digest()
    # A stale validator gets the whole file again, not a wrong piece.
    stale = get(published, "/dumps/dataset.nq.gz", range="bytes=1000-", **{"if-range": '"old"'})
    assert stale.status_code == 200 and stale.content == content
    head = httpx.head(published.server.url + "/dumps/dataset.nq.gz")
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(content)


def test_dumps_hold_the_data_with_provenance(published: Published) -> None:
    manifest = json.loads((published.dumps / "manifest.json").read_text())
    counts = {f["name"]: f["statements"] for f in manifest["files"]}
    ntriples = Graph().parse(data=gzip.decompress((published.dumps / "dataset.nt.gz").read_bytes()),
                             format="nt")  # fmt: skip
    assert len(ntriples) == counts["dataset.nt.gz"]
    turtle = Graph().parse(data=gzip.decompress((published.dumps / "dataset.ttl.gz").read_bytes()),
                           format="turtle")  # fmt: skip
    assert isomorphic(ntriples, turtle)
    assert (URIRef(SEED_IRI), RDF.type, SCHEMA.ScholarlyArticle) in ntriples
    assert not any(ntriples.triples((URIRef(REMOVED), None, None)))
    quads = Dataset()
    quads.parse(data=gzip.decompress((published.dumps / "dataset.nq.gz").read_bytes()),
                format="nquads")  # fmt: skip
    assert sum(1 for _ in quads.quads((None, None, None, None))) == counts["dataset.nq.gz"]
    seed_graph = URIRef(BASE + "graph/vufind-text/doi/10.3389/fonc.2021.699946")
    record = quads.graph(seed_graph)
    assert record.value(seed_graph, PROV.generatedAtTime) is not None
    assert (
        seed_graph,
        URIRef("http://xmlns.com/foaf/0.1/primaryTopic"),
        URIRef(SEED_IRI),
    ) in record


# --- Change feed and tombstones -------------------------------------------------------------


def test_change_feed_is_an_ordered_collection_of_pages(published: Published) -> None:
    response = get(published, "/changes")
    assert response.headers["content-type"].startswith("application/ld+json")
    assert "activitystreams" in response.headers["content-type"]
    collection = response.json()
    assert collection["type"] == "OrderedCollection"
    total = collection["totalItems"]
    pages = total // PAGE_SIZE + 1  # the full pages and the open one
    assert collection["first"]["id"] == f"{BASE}changes/1"
    assert collection["last"]["id"] == f"{BASE}changes/{pages}"
    items = []
    for number in range(1, pages + 1):
        page = get(published, f"/changes/{number}").json()
        assert page["type"] == "OrderedCollectionPage"
        assert page["partOf"]["id"] == f"{BASE}changes"
        assert page["startIndex"] == (number - 1) * PAGE_SIZE
        assert ("prev" in page) == (number > 1)
        assert ("next" in page) == (number < pages)
        assert len(page["orderedItems"]) == (PAGE_SIZE if number < pages else total % PAGE_SIZE)
        items += page["orderedItems"]
    # One activity per change of a published description: every resource published is
    # created once; the removed record's resources are deleted (410 from then on).
    history: dict[str, list[str]] = {}
    for item in items:
        history.setdefault(item["object"]["id"], []).append(item["type"])
    assert set(history) == live_resources(published) | {
        iri for iri, types in history.items() if types[-1] == "Delete"
    }
    assert all(types[0] == "Create" for types in history.values())
    assert all(types.count("Create") == 1 for types in history.values())
    assert history[REMOVED] == ["Create", "Delete"]
    assert history[BASE + "person/doi/10.1016/j.bpj.2015.04.023/1"] == ["Create", "Delete"]
    assert {"Create", "Delete"} <= {i["type"] for i in items}
    assert history[MELANOMA][0] == "Create" and "Delete" not in history[MELANOMA]
    (markup,) = [i for i in items if i["object"]["id"] == MARKUP]
    assert markup["object"] == {"id": MARKUP, "type": "schema:ScholarlyArticle"}
    times = [i["endTime"] for i in items]
    assert times == sorted(times)  # newest last
    assert len({i["id"] for i in items}) == total
    for missing in (0, pages + 1):
        assert get(published, f"/changes/{missing}").status_code == 404
    activity = get(published, "/changes/1", accept="application/activity+json")
    assert activity.headers["content-type"].startswith("application/activity+json")


def test_withdrawn_resources_answer_410_gone(published: Published) -> None:
    assert get(published, REMOVED.removeprefix(BASE[:-1])).status_code == 410
    author = BASE + "person/doi/10.1016/j.bpj.2015.04.023/1"
    assert get(published, author.removeprefix(BASE[:-1])).status_code == 410
    assert get(published, "/article/doi/10.9999/never-published").status_code == 404
    assert get(published, MELANOMA.removeprefix(BASE[:-1])).status_code == 200


# --- Search ---------------------------------------------------------------------------------


def search(published: Published, query: str, **params: str) -> dict[str, object]:
    response = httpx.get(
        published.server.url + "/search",
        params={"q": query, "format": "json", **params},
        timeout=30,
    )
    assert response.status_code == 200
    result: dict[str, object] = response.json()
    return result


def hits(result: dict[str, object]) -> list[dict[str, object]]:
    found = result["results"]
    assert isinstance(found, list)
    return found


def test_search_ranks_title_matches_first_and_highlights(published: Published) -> None:
    result = search(published, "survival")
    found = hits(result)
    assert found[0]["id"] == MELANOMA  # "survival" in its title
    assert SEED_IRI in [h["id"] for h in found]  # "survival" in its abstract only
    assert result["total"] == len(found)
    first = found[0]["highlight"]
    assert isinstance(first, dict)
    assert "<mark>survival</mark>" in first["title"]
    assert found[0]["url"] == "/article/doi/10.1056/nejmoa1203421"


def test_search_fields_and_second_sources(published: Published) -> None:
    assert [h["id"] for h in hits(search(published, "author:Flaherty"))] == [MELANOMA]
    journal = {h["id"] for h in hits(search(published, 'journal:"new england"'))}
    assert MELANOMA in journal and len(journal) == 2
    # A subject only the RIS record gives: the article's entry is the union of its sources.
    assert [h["id"] for h in hits(search(published, "subject:pharmacovigilance"))] == [MELANOMA]
    assert [h["id"] for h in hits(search(published, "leuk*"))] == [SEED_IRI]
    assert hits(search(published, "macromolecular")) == []  # removed with its record


def test_search_escapes_record_text(published: Published) -> None:
    response = httpx.get(published.server.url + "/search", params={"q": "hazards"}, timeout=30)
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>Bold</b>" not in page
    assert "&lt;script&gt;" in page
    assert "<mark>Hazards</mark>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    found = hits(search(published, "script"))
    assert found[0]["id"] == MARKUP
    highlight = found[0]["highlight"]
    assert isinstance(highlight, dict)
    assert "&lt;<mark>script</mark>&gt;" in highlight["title"]
    assert found[0]["title"].startswith('Escaping <script>alert("title")')  # plain text


def test_search_takes_any_input(published: Published) -> None:
    for query in ('"', "NEAR(", "*", "title:", "a OR", "x AND NOT y", "'; DROP TABLE search; --"):
        result = search(published, query)
        assert isinstance(result["total"], int)
    assert search(published, "")["total"] == 0
    assert "error" in search(published, "survival", page="100000")


def test_landing_page_has_a_search_box(published: Published) -> None:
    page = get(published, "/", accept="text/html").text
    assert re.search(r'<form[^>]*action="/search"', page)
    assert 'name="q"' in page


def test_head_is_answered_like_get(published: Published) -> None:
    for path in ("/.well-known/void", "/dataset", "/sitemap.xml", "/robots.txt", "/changes",
                 "/changes/1", "/dumps/"):  # fmt: skip
        head = httpx.head(published.server.url + path, timeout=30)
        assert head.status_code == 200, path
        assert head.content == b""
