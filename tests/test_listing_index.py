"""Listing pages from the side database's listing index against the same pages asked of
the store (the SPARQL listing, what older side databases still use): the same items,
labels, positions and totals on every page of every listing, for the whole test corpus
(tests/data, the bundled examples, ../shared/samples when present), after ingest and
again after records are removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import NamedNode
from test_fast_validation import BASE, CORPUS, SHARED_SAMPLES

from publisher.harvest.recorder import harvesting
from publisher.harvest.sidecar import Sidecar, sidecar_path
from publisher.pipeline import Pipeline, expand_paths
from publisher.store.oxigraph import OxigraphStore
from publisher.store.published import PublishedView
from publisher.web import listings
from publisher.web.listings import LISTINGS, PAGE_SIZE, Page, fetch_page


def every_page(store: OxigraphStore, sidecar: Sidecar | None) -> dict[str, list[Page]]:
    pages = {}
    for listing in LISTINGS:
        first = fetch_page(store, listing, 1, sidecar)
        pages[listing.path] = [first] + [
            fetch_page(store, listing, n, sidecar) for n in range(2, first.last + 1)
        ]
    return pages


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, Path]:
    folder = tmp_path_factory.mktemp("listing") / "store"
    store = OxigraphStore(folder)
    files = expand_paths([*CORPUS, SHARED_SAMPLES] if SHARED_SAMPLES.is_dir() else CORPUS)
    with harvesting(store, folder, BASE) as recorder, Pipeline(BASE, store, recorder=recorder
                                                               ) as pipeline:  # fmt: skip
        for path in files:
            for _ in pipeline.run_file(path):
                pass
    return store, sidecar_path(folder)


def test_listing_index_pages_are_the_stores(published: tuple[OxigraphStore, Path]) -> None:
    store, path = published
    sidecar = Sidecar(path, read_only=True)
    assert sidecar.keeps_listings()
    from_index, from_store = every_page(store, sidecar), every_page(store, None)
    assert from_index == from_store
    counts = {name: pages[0].total for name, pages in from_index.items()}
    # The corpus fills every listing, people over several pages.
    if SHARED_SAMPLES.is_dir():  # with the in-repo data alone the listings are shorter
        assert counts["articles"] >= 100 and counts["journals"] >= 20 and counts["trials"] >= 5
        assert counts["people"] > 2 * PAGE_SIZE


def test_listing_index_after_records_are_removed(
    published: tuple[OxigraphStore, Path],
) -> None:
    store, path = published
    graphs = sorted(
        g.value for g in PublishedView(store, BASE).source_graphs()
    )  # fmt: skip
    view = PublishedView(store, BASE)
    with harvesting(store, path.with_name("store"), BASE) as recorder:
        for graph in graphs[::3]:  # a third of the records, among them merged articles
            batch = view.prepare([(NamedNode(graph), None)])  # as `publisher remove` does
            store.remove_graph(NamedNode(graph))
            changes = view.apply(batch)
            recorder.removed(graph)
            recorder.published(changes, view)
    sidecar = Sidecar(path, read_only=True)
    assert every_page(store, sidecar) == every_page(store, None)


def test_an_older_side_database_lists_from_the_store(tmp_path: Path) -> None:
    """A side database made before the listing index answers "not kept": the pages then
    come from the store (listing pages never show a half-filled index)."""
    path = tmp_path / "old.index.sqlite"
    writer = Sidecar(path)
    writer._db.execute("DELETE FROM meta WHERE key = 'listings'")
    writer.commit()
    writer.close()
    assert not Sidecar(path, read_only=True).keeps_listings()
    assert listings.fetch_page(OxigraphStore(None), LISTINGS[0], 1, Sidecar(path, read_only=True)
                               ).total == 0  # fmt: skip


def test_landing_page_shows_the_first_page_of_each_listing(
    published: tuple[OxigraphStore, Path],
) -> None:
    from publisher.web.app import _landing_listing

    store, path = published
    sidecar = Sidecar(path, read_only=True)
    landing = _landing_listing(store, sidecar)
    articles = fetch_page(store, LISTINGS[0], 1, sidecar)
    assert landing["totals"] == {
        "articles": articles.total,
        "periodicals": fetch_page(store, LISTINGS[1], 1, sidecar).total,
        "trials": fetch_page(store, LISTINGS[3], 1, sidecar).total,
    }
    shown = landing["articles"]
    assert isinstance(shown, list) and [iri for iri, _, _ in shown] == [
        item.iri for item in articles.items
    ]
    dated = {iri: date for iri, _, date in shown if date}
    for iri, date in list(dated.items())[:5]:  # each date is the article's own
        found = store.query(f"ASK {{ <{iri}> <https://schema.org/datePublished> ?d"
                            f" FILTER(STR(?d) = {date!r}) }}")  # fmt: skip
        assert bool(found)
    assert len(dated) >= 25
