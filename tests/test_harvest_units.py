"""The side database, search queries and feed paging, without a server: what the HTTP
tests cannot reach cheaply (50 001 resources, every query syntax, the union of sources)."""

from __future__ import annotations

import statistics
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from conftest import BASE, EXAMPLES, REPO, SEED
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from publisher.harvest import feed, sitemaps
from publisher.harvest.recorder import Recorder
from publisher.harvest.search import fts_query, highlight, search
from publisher.harvest.sidecar import (
    MARK_END,
    MARK_START,
    Document,
    Publication,
    Sidecar,
    sidecar_path,
)
from publisher.mapping.vocab import PROV, RDF_TYPE, SCHEMA, XSD, schema
from publisher.model import Record
from publisher.pipeline import Checker, Pipeline
from publisher.readers.registry import AUTO, read_file
from publisher.store.oxigraph import OxigraphStore

DATA = REPO / "tests" / "data" / "harvest"
GENERATED = NamedNode(PROV + "generatedAtTime")


def record_triples(graph: str, subjects: list[str], when: str, label: str = "x") -> list[Triple]:
    triples = [
        Triple(NamedNode(graph), GENERATED, Literal(when, datatype=NamedNode(XSD + "dateTime")))
    ]
    for iri in subjects:
        triples.append(Triple(NamedNode(iri), RDF_TYPE, schema("Person")))
        triples.append(Triple(NamedNode(iri), schema("name"), Literal(label)))
    return triples


def test_the_side_database_lives_beside_the_store_unless_configured(tmp_path: Path) -> None:
    assert sidecar_path(tmp_path / "store") == tmp_path / "store.index.sqlite"
    assert sidecar_path(tmp_path / "store", tmp_path / "x.db") == tmp_path / "x.db"


def test_a_missing_side_database_reads_as_empty(tmp_path: Path) -> None:
    reader = Sidecar(tmp_path / "absent.sqlite", read_only=True)
    assert reader.change_count() == 0
    assert reader.sitemap_chunks(50_000) == []
    assert reader.search('"x"', 10, 0) == (0, [])
    assert reader.resource_state(BASE + "article/x") is None
    assert not (tmp_path / "absent.sqlite").exists()  # reading never creates it


def test_sitemaps_hold_at_most_50000_urls(tmp_path: Path) -> None:
    writer = Sidecar(tmp_path / "index.sqlite")
    people = [f"{BASE}person/x/{n}" for n in range(50_001)]
    writer.graph_stored(BASE + "graph/t/1", people[0], record_triples(BASE + "graph/t/1", people,
                        "2024-01-02T03:04:05Z"), BASE)  # fmt: skip
    person = (SCHEMA + "Person",)
    writer.record_view([Publication(p, person, "x", "2024-01-02T03:04:05Z") for p in people], [])
    writer.close()
    reader = Sidecar(tmp_path / "index.sqlite", read_only=True)
    chunks = reader.sitemap_chunks(sitemaps.MAX_URLS)
    assert [(c.number, c.count) for c in chunks] == [(1, 50_000), (2, 1)]
    first = reader.sitemap_urls(1, sitemaps.MAX_URLS)
    assert first is not None and len(first) == 50_000
    assert reader.sitemap_urls(2, sitemaps.MAX_URLS) == [(people[-1], "2024-01-02T03:04:05+00:00")]
    assert reader.sitemap_urls(3, sitemaps.MAX_URLS) is None
    document = ET.fromstring(sitemaps.urlset(first))
    assert len(document) == 50_000
    assert len(sitemaps.urlset(first)) < 50 * 1024 * 1024  # the protocol's other limit
    index = ET.fromstring(sitemaps.sitemap_index(BASE, chunks))
    assert len(index) == 2


def test_change_types_follow_the_published_view(tmp_path: Path) -> None:
    writer = Sidecar(tmp_path / "index.sqlite")
    article, author = BASE + "article/doi/10.1/a", BASE + "person/doi/10.1/a/1"
    one, two = BASE + "graph/a/1", BASE + "graph/b/1"

    def view(iri: str, time: str | None, *, changed: bool = True) -> Publication:
        kind = "ScholarlyArticle" if iri == article else "Person"
        return Publication(iri, (SCHEMA + kind,), "A", time, changed)

    # A record stored: kept here, but logged only once the view publishes its resources.
    stored = writer.graph_stored(
        one, article, record_triples(one, [article, author], "2024-01-01T00:00:00Z"), BASE
    )
    assert stored is not None and stored.main == article
    assert writer.change_count() == 0 and writer.resource_state(article) is None
    first = writer.record_view(
        [view(author, "2024-01-01T00:00:00Z"), view(article, "2024-01-01T00:00:00Z")], []
    )
    assert [(c.type, c.resource, c.kind) for c in first] == [
        ("Create", article, "article"),  # one time: in IRI order
        ("Create", author, "person"),
    ]
    # The same data again (a re-ingest): only the timestamp differs, nothing is kept anew.
    assert (
        writer.graph_stored(
            one, article, record_triples(one, [article, author], "2024-02-01T00:00:00Z"), BASE
        )
        is None
    )
    # A description written anew is an Update, whatever time it gives; one the view kept
    # as it was is nothing, unless this database is behind (a killed run).
    changed = writer.record_view([view(article, "2024-03-01T00:00:00Z")], [])
    assert [c.type for c in changed] == ["Update"]
    assert writer.record_view([view(article, "2024-03-01T00:00:00Z", changed=False)], []) == []
    assert writer.record_view([view(article, None, changed=False)], []) == []
    behind = writer.record_view([view(article, "2024-04-01T00:00:00Z", changed=False)], [])
    assert [(c.type, c.time) for c in behind] == [("Update", "2024-04-01T00:00:00+00:00")]
    assert writer.behind({article: "2024-04-01T00:00:00Z", author: None}) == []
    assert writer.behind({article: "2024-05-01T00:00:00Z"}) == [article]
    # A second source: the record's graph is kept; the view decides what changed.
    assert writer.graph_stored(
        two, article, record_triples(two, [article], "2024-04-01T00:00:00Z"), BASE
    )
    removed = writer.graph_removed(one)
    assert removed is not None and removed.described  # the other source remains
    gone = writer.record_view([], [(author, "2024-05-01T00:00:00Z")])
    assert [(c.type, c.resource) for c in gone] == [("Delete", author)]
    assert writer.resource_state(author) is False
    assert writer.record_view([], [(author, "2024-05-02T00:00:00Z")]) == []  # once
    removed = writer.graph_removed(two)
    assert removed is not None and not removed.described
    assert writer.graph_removed(two) is None
    assert [c.type for c in writer.record_view([], [(article, "2024-06-01T00:00:00Z")])] == [
        "Delete"
    ]
    assert writer.resource_state(article) is False
    writer.graph_stored(one, article, record_triples(one, [article], "2024-07-01T00:00:00Z"), BASE)
    back = writer.record_view([view(article, "2024-07-01T00:00:00Z")], [])
    assert [c.type for c in back] == ["Create"]
    assert [c.seq for c in writer.changes(1, 100)] == [1, 2, 3, 4, 5, 6, 7]  # gap-free
    assert [c.graph for c in writer.changes(1, 100)] == [None] * 7  # about resources
    writer.close()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("leukemia", '"leukemia"'),
        ("CD-19 car-t", '"CD 19" AND "car t"'),
        ('"acute lymphoblastic"', '"acute lymphoblastic"'),
        ("leuk*", '"leuk"*'),
        ("author:Gong title:therapy", 'authors : "Gong" AND title : "therapy"'),
        ('journal:"new england"', 'journal : "new england"'),
        ("http://x.org", '"http" AND "x org"'),
        ('NEAR( OR "', '"NEAR" AND "OR"'),
        ("", None),
        ("*** ::", None),
    ],
)
def test_user_input_becomes_a_safe_fts5_query(typed: str, expected: str | None) -> None:
    assert fts_query(typed) == expected


def test_highlighting_escapes_first_then_marks() -> None:
    text = f'<b>{MARK_START}x&y{MARK_END}</b> "q"'
    assert str(highlight(text)) == "&lt;b&gt;<mark>x&amp;y</mark>&lt;/b&gt; &#34;q&#34;"
    # Record text cannot smuggle markers in: they are removed before indexing.
    assert Document(title=f"a{MARK_START}b{MARK_END}").columns()[0] == "a b "


def test_feed_pages_have_fixed_boundaries() -> None:
    assert feed.page_range(1, 1000) == (1, 1000)
    assert feed.page_range(3, 1000) == (2001, 3000)
    assert feed.page_count(0, 1000) == 1
    assert feed.page_count(999, 1000) == 1
    assert feed.page_count(1000, 1000) == 2  # page 1 full, page 2 open (empty)
    assert feed.page_count(1001, 1000) == 2


def test_search_entries_are_the_union_of_an_articles_sources(tmp_path: Path) -> None:
    store = OxigraphStore()
    sidecar = Sidecar(tmp_path / "index.sqlite")
    recorder = Recorder(sidecar, store, BASE)
    pipeline = Pipeline(BASE, store, recorder=recorder)
    melanoma = BASE + "article/doi/10.1056/nejmoa1203421"
    for path in (EXAMPLES / "nejm_22663011_en.txt", DATA / "nejm_second_source.ris"):
        outcomes = list(pipeline.run_file(path))
        assert all(getattr(o, "accepted", True) for o in outcomes)
    sidecar.commit()
    found = search(sidecar, "pharmacovigilance", 1, BASE)
    assert [h.iri for h in found.hits] == [melanoma]
    assert "<mark>Pharmacovigilance</mark>" in str(found.hits[0].subjects)
    assert recorder.removed(BASE + "graph/ris/doi/10.9999/unknown") is None
    graph = next(g for g in sidecar.graphs_of(melanoma) if "/ris/" in g)
    store.remove_graph(NamedNode(graph))
    change = recorder.removed(graph)
    assert change is not None and change.described  # by the catalogue page
    assert search(sidecar, "pharmacovigilance", 1, BASE).total == 0
    assert search(sidecar, "trametinib", 1, BASE).total == 1  # the catalogue page remains
    sidecar.close()


def test_recording_a_record_does_not_slow_down_with_the_size_of_its_journal(
    tmp_path: Path,
) -> None:
    """Every record restates its journal; reading a search entry from the union of graphs
    would meet the journal once per article (and join the copies): 400 records of one
    journal took 0.7 s each that way. Read per source graph, the cost stays flat."""
    store = OxigraphStore()
    sidecar = Sidecar(tmp_path / "index.sqlite")
    recorder = Recorder(sidecar, store, BASE)
    record = next(iter(read_file(SEED, AUTO)))
    assert isinstance(record, Record)
    mapped = Checker(BASE).check(record, None)
    assert mapped.triples is not None
    triples = [quad.triple for quad in parse(mapped.triples, format=RdfFormat.N_TRIPLES)]
    key = "fonc.2021.699946"

    def rename(term: Any, n: int) -> Any:
        return NamedNode(term.value.replace(key, f"x.{n}")) if isinstance(term, NamedNode) else term

    timings = []
    for n in range(400):
        copy = [Triple(rename(t.subject, n), t.predicate, rename(t.object, n)) for t in triples]
        graph = f"{BASE}graph/vufind-text/doi/10.3389/x.{n}"
        store.replace_graph(NamedNode(graph), copy)
        with mock.patch.object(store, "query", wraps=store.query) as queried:
            started = time.perf_counter()
            assert recorder.stored(graph, f"{BASE}article/doi/10.3389/x.{n}", copy) == []
            timings.append(time.perf_counter() - started)
        # Each article's only source: its entry comes from the triples in hand, never
        # from the store's union of graphs (where the journal's copies pile up).
        assert queried.call_count == 0
    # Milliseconds each, against 0.7 s read from the union; the median, so that a moment
    # when a loaded machine stalls the test does not count.
    assert statistics.median(timings[-50:]) < 0.1, timings[-50:]
    found = search(sidecar, "journal:frontiers", 1, BASE)
    assert found.total == 400
    sidecar.close()


def test_ctrl_c_inside_a_record_leaves_none_of_it(tmp_path: Path) -> None:
    writer = Sidecar(tmp_path / "index.sqlite")
    first, second = BASE + "article/a", BASE + "article/b"
    article = (SCHEMA + "ScholarlyArticle",)
    with writer.atomic():
        writer.graph_stored(BASE + "graph/x/1", first, record_triples(BASE + "graph/x/1",
                            [first], "2024-01-01T00:00:00Z"), BASE)  # fmt: skip
        writer.record_view([Publication(first, article, "a", "2024-01-01T00:00:00Z")], [])
    with (
        mock.patch.object(Sidecar, "_log", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
        writer.atomic(),
    ):
        writer.graph_stored(BASE + "graph/x/2", second, record_triples(BASE + "graph/x/2",
                            [second], "2024-01-02T00:00:00Z"), BASE)  # fmt: skip
        writer.record_view([Publication(second, article, "b", "2024-01-02T00:00:00Z")], [])
    writer.close()  # commits what is whole
    reader = Sidecar(tmp_path / "index.sqlite", read_only=True)
    assert reader.change_count() == 1
    assert reader.resource_state(first) is True
    assert reader.resource_state(second) is None
