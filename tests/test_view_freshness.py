"""ETag, Last-Modified, the change feed and the sitemaps' lastmod follow the published
view: one article's consolidated description through its life, over the real command
line and a real server (restarted between steps: `serve` opens the store read-only).

The sources are real records of the NEJM melanoma article (DOI 10.1056/NEJMoa1203421):
the bundled catalogue page (vufind-text, the least trusted format) and PubMed's efetch
XML (shared/samples, from NCBI; trusted most). Steps, a second apart (HTTP dates count
whole seconds):

0. the catalogue page: the article is created;
1. PubMed: a second source, the description changes;
2. the catalogue page again, unchanged: nothing changes but the record's timestamp;
3. the catalogue page with another title: the record changed, but PubMed's title wins,
   so the published description does not;
4. the catalogue page removed: the description changes though the remaining source
   (PubMed) is older than the removed one;
5. PubMed removed: the article is gone.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BASE, EXAMPLES, LiveServer, run_cli, shared_path, start_server, stop_server
from pyoxigraph import Literal, NamedNode, Triple

from publisher.harvest.recorder import Recorder
from publisher.harvest.sidecar import Sidecar, canonical_time
from publisher.mapping.records import RecordMapper
from publisher.mapping.vocab import schema
from publisher.pipeline import Pipeline
from publisher.readers.registry import read_file
from publisher.store.layout import Layout
from publisher.store.oxigraph import OxigraphStore
from publisher.store.published import MODIFIED, PublishedView

ARTICLE = f"{BASE}article/doi/10.1056/nejmoa1203421"
AUTHOR = f"{BASE}person/doi/10.1056/nejmoa1203421/1"  # Keith T. Flaherty
CATALOGUE_GRAPH = f"{BASE}graph/vufind-text/doi/10.1056/nejmoa1203421"
PUBMED_GRAPH = f"{BASE}graph/pubmed-xml/id/22663011"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
TURTLE = {"Accept": "text/turtle"}
WATCHED = (ARTICLE, AUTHOR)


@dataclass(frozen=True)
class Representation:
    status: int
    etag: str | None
    modified: datetime | None


@dataclass(frozen=True)
class Step:
    turtle: dict[str, Representation]  # per watched IRI
    jsonld: Representation  # the article's
    html: Representation  # the article's page
    lastmod: dict[str, datetime]  # the sitemaps' (live resources)
    activities: list[dict[str, Any]]  # the whole feed, oldest first
    described: dict[str, frozenset[str]]  # each watched IRI's published triples, as stored
    # The article's Turtle asked for again with the previous step's validators: status
    # with If-Modified-Since alone, and with If-None-Match alone.
    revalidated: tuple[int, int] | None


def _representation(response: httpx.Response) -> Representation:
    modified = response.headers.get("last-modified")
    return Representation(
        response.status_code,
        response.headers.get("etag"),
        parsedate_to_datetime(modified) if modified else None,
    )


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def url_of(server: LiveServer, iri: str) -> str:
    return server.url + iri.removeprefix(BASE[:-1])


def _feed(server: LiveServer) -> list[dict[str, Any]]:
    collection = httpx.get(server.url + "/changes").json()
    activities: list[dict[str, Any]] = []
    if collection["totalItems"]:
        number = 1
        while True:
            page = httpx.get(f"{server.url}/changes/{number}").json()
            activities += page["orderedItems"]
            if "next" not in page:
                break
            number += 1
    assert len(activities) == collection["totalItems"]
    return activities


def _lastmods(server: LiveServer) -> dict[str, datetime]:
    found = {}
    index = ET.fromstring(httpx.get(server.url + "/sitemap.xml").content)
    for loc in index.iter(f"{SITEMAP}loc"):
        child = ET.fromstring(httpx.get(url_of(server, loc.text or "")).content)
        for url in child.iter(f"{SITEMAP}url"):
            lastmod = url.findtext(f"{SITEMAP}lastmod") or ""
            found[url.findtext(f"{SITEMAP}loc") or ""] = _instant(lastmod)
    return found


def _described(store: Path) -> dict[str, frozenset[str]]:
    opened = OxigraphStore(store, read_only=True)
    try:
        return {
            iri: frozenset(str(t) for t in opened.owned_triples(None, NamedNode(iri)))
            for iri in WATCHED
        }
    finally:
        opened.close()


def snapshot(store: Path, previous: Step | None) -> Step:
    """What the server answers after a step (restarted: it opens the store read-only),
    and what the store holds."""
    process, server = start_server(store)
    try:
        revalidated = None
        if previous is not None:
            kept = previous.turtle[ARTICLE]
            assert kept.modified is not None and kept.etag is not None
            by_date = {"If-Modified-Since": format_datetime(kept.modified, usegmt=True)}
            by_tag = {"If-None-Match": kept.etag}
            revalidated = (
                httpx.get(url_of(server, ARTICLE), headers={**TURTLE, **by_date}).status_code,
                httpx.get(url_of(server, ARTICLE), headers={**TURTLE, **by_tag}).status_code,
            )
        turtle = {
            iri: _representation(httpx.get(url_of(server, iri), headers=TURTLE)) for iri in WATCHED
        }
        page = url_of(server, ARTICLE)
        jsonld = _representation(httpx.get(page, headers={"Accept": "application/ld+json"}))
        html = _representation(httpx.get(page, headers={"Accept": "text/html"}))
        lastmod, activities = _lastmods(server), _feed(server)
    finally:
        stop_server(process)
    return Step(turtle, jsonld, html, lastmod, activities, _described(store), revalidated)


def cli(*args: str) -> None:
    result = run_cli(*args[:1], "--store", *args[1:2], "--base-uri", BASE, *args[2:])
    assert result.returncode == 0, result.stdout + result.stderr


def about(activities: list[dict[str, Any]], iri: str) -> list[str]:
    return [a["type"] for a in activities if a["object"]["id"] == iri]


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> list[Step]:
    folder = tmp_path_factory.mktemp("freshness")
    store = str(folder / "store")
    catalogue = EXAMPLES / "nejm_22663011_en.txt"
    pubmed = shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml")
    retitled = folder / "retitled" / catalogue.name  # the same file name, another title
    retitled.parent.mkdir()
    text = catalogue.read_text(encoding="utf-8")
    first_line = text.splitlines()[0]
    retitled.write_text(text.replace(first_line, "MEK inhibition in melanoma", 1), encoding="utf-8")
    actions = [
        ("ingest", store, str(catalogue)),
        ("ingest", store, str(pubmed)),
        ("ingest", store, str(catalogue)),
        ("ingest", store, str(retitled)),
        ("remove", store, CATALOGUE_GRAPH),
        ("remove", store, PUBMED_GRAPH),
    ]
    taken = []
    for action in actions:
        if taken:
            time.sleep(1.1)  # Last-Modified counts whole seconds
        cli(*action)
        taken.append(snapshot(Path(store), taken[-1] if taken else None))
    return taken


def new_activities(steps: list[Step], n: int) -> list[dict[str, Any]]:
    before = len(steps[n - 1].activities) if n else 0
    assert steps[n].activities[:before] == (steps[n - 1].activities if n else [])
    return steps[n].activities[before:]


# Whether each step changes the article's published description.
CHANGES = [True, True, False, False, True, True]


def test_the_scenario_changes_the_description_when_expected(steps: list[Step]) -> None:
    described = [step.described[ARTICLE] for step in steps]
    assert described[0] and not described[5]
    for n in range(1, len(steps)):
        assert (described[n] != described[n - 1]) == CHANGES[n], n


def test_etags_change_exactly_when_the_description_does(steps: list[Step]) -> None:
    for n in range(1, 5):
        before, after = steps[n - 1], steps[n]
        for mine, theirs in ((after.turtle[ARTICLE], before.turtle[ARTICLE]),
                             (after.jsonld, before.jsonld)):  # fmt: skip
            assert mine.status == 200
            assert (mine.etag != theirs.etag) == CHANGES[n], n
        person = after.described[AUTHOR] != before.described[AUTHOR]
        assert (after.turtle[AUTHOR].etag != before.turtle[AUTHOR].etag) == person, n


def test_last_modified_is_when_the_description_last_changed(steps: list[Step]) -> None:
    for n in range(1, 5):
        before, after = steps[n - 1].turtle[ARTICLE], steps[n].turtle[ARTICLE]
        assert after.modified is not None and before.modified is not None
        if CHANGES[n]:
            assert after.modified > before.modified, n
        else:
            assert after.modified == before.modified, n  # not the re-ingested record's time
        # Every representation of the resource says the same.
        assert steps[n].jsonld.modified == after.modified
        assert steps[n].html.modified == after.modified
    assert steps[5].turtle[ARTICLE].status == 410


def test_a_client_revalidating_gets_304_until_the_description_changes(
    steps: list[Step],
) -> None:
    """By date or by tag: steps 2 and 3 (a record re-ingested as it was, then changed in
    a way that loses to PubMed) leave a client's copy valid; steps 1 and 4 do not."""
    expected = {1: (200, 200), 2: (304, 304), 3: (304, 304), 4: (200, 200), 5: (410, 410)}
    assert {n: steps[n].revalidated for n in expected} == expected


def test_the_page_shows_when_its_sources_were_read(steps: list[Step]) -> None:
    """The HTML page lists its sources with the time each was read: a re-ingest changes
    the page (its ETag), not the published description (its date)."""
    assert steps[2].html.etag != steps[1].html.etag
    assert steps[2].html.modified == steps[1].html.modified


def test_the_feed_has_one_activity_per_description_change(steps: list[Step]) -> None:
    expected = [["Create"], ["Update"], [], [], ["Update"], ["Delete"]]
    for n, types in enumerate(expected):
        activities = new_activities(steps, n)
        assert about(activities, ARTICLE) == types, n
        for activity in activities:
            assert activity["object"]["id"] in steps[n].lastmod or activity["type"] == "Delete"
        if types and types[0] != "Delete":
            (activity,) = [a for a in activities if a["object"]["id"] == ARTICLE]
            assert activity["object"]["type"] == "schema:ScholarlyArticle"
            modified = steps[n].turtle[ARTICLE].modified
            assert _instant(activity["endTime"]) == modified, n
    # The other resources of the records follow their own descriptions: the first author
    # was created with the article and is gone with it.
    assert about(new_activities(steps, 0), AUTHOR) == ["Create"]
    assert about(new_activities(steps, 5), AUTHOR) == ["Delete"]
    for n in (2, 3):
        assert new_activities(steps, n) == [], n  # nothing changed anywhere
    times = [_instant(a["endTime"]) for a in steps[-1].activities]
    assert times == sorted(times)


def test_every_resource_changed_gets_an_activity(steps: list[Step]) -> None:
    for n in range(1, 5):
        changed = {
            iri for iri, when in steps[n].lastmod.items() if steps[n - 1].lastmod.get(iri) != when
        }
        logged = {a["object"]["id"] for a in new_activities(steps, n)}
        assert logged == changed, n


def test_sitemap_lastmod_is_the_published_descriptions_last_change(steps: list[Step]) -> None:
    for n in range(5):
        for iri in WATCHED:
            assert steps[n].lastmod[iri] == steps[n].turtle[iri].modified, (n, iri)
    assert ARTICLE not in steps[5].lastmod and AUTHOR not in steps[5].lastmod


# --- In step with the view: a stopped run, a killed run, a rebuild --------------------------


def _pipeline_run(store: OxigraphStore, path: Path, recorder: Recorder | None) -> None:
    with Pipeline(BASE, store, recorder=recorder) as pipeline:
        for outcome in pipeline.run_file(path):
            assert getattr(outcome, "accepted", True), outcome
    if recorder is not None:
        recorder.sidecar.commit()


def _modified(store: OxigraphStore, iri: str) -> datetime | None:
    return store.describe_view(NamedNode(iri), Layout(BASE).provenance).modified


def _stamp(store: OxigraphStore, iri: str) -> str:
    stamp = PublishedView(store, BASE).stamp(NamedNode(iri))
    assert stamp is not None, iri
    return canonical_time(stamp.value)


@pytest.fixture
def harvested(tmp_path: Path) -> Iterator[tuple[OxigraphStore, Recorder]]:
    """A store holding the catalogue page of the article, and its side database."""
    store = OxigraphStore(tmp_path / "store")
    sidecar = Sidecar(tmp_path / "store.index.sqlite")
    recorder = Recorder(sidecar, store, BASE)
    _pipeline_run(store, EXAMPLES / "nejm_22663011_en.txt", recorder)
    yield store, recorder
    sidecar.close()
    store.close()


def test_a_run_stopped_before_the_view_is_finished_with_its_time_and_activity(
    harvested: tuple[OxigraphStore, Recorder],
) -> None:
    store, recorder = harvested
    created = _stamp(store, ARTICLE)
    time.sleep(1.1)
    # What ingest does with PubMed's record, stopped after its graph is written: the
    # resources it touches are marked, the view is not written yet.
    mapper = RecordMapper(BASE)
    (record,) = list(read_file(shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml")))
    mapped = mapper.map(record, "doi/10.1056/nejmoa1203421")
    view = PublishedView(store, BASE)
    view.mark({t.subject for t in mapped.triples if isinstance(t.subject, NamedNode)})
    store.replace_graph(mapped.graph, [*mapped.triples, *mapper.provenance(mapped)])
    assert _stamp(store, ARTICLE) == created  # the view not written yet
    with Pipeline(BASE, store, recorder=recorder):  # the next run finishes it first
        pass
    recorder.sidecar.commit()
    assert not view.pending()
    changed = _stamp(store, ARTICLE)
    assert _instant(changed) > _instant(created)
    assert _modified(store, ARTICLE) == _instant(changed)
    update = [c for c in recorder.sidecar.changes(1, 10_000) if c.resource == ARTICLE]
    assert [(c.type, c.time) for c in update] == [("Create", created), ("Update", changed)]


def test_a_run_killed_before_the_side_database_is_caught_up_by_the_next(
    harvested: tuple[OxigraphStore, Recorder],
) -> None:
    store, recorder = harvested
    pubmed = shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml")
    before = recorder.sidecar.change_count()
    time.sleep(1.1)
    # The store and its view written, the side database not (a run killed in between).
    _pipeline_run(store, pubmed, None)
    assert recorder.sidecar.change_count() == before
    changed = _stamp(store, ARTICLE)
    # The same file again changes nothing in the view; the side database catches up on
    # what it missed (the article changed), with the time the view gave it.
    _pipeline_run(store, pubmed, recorder)
    assert _stamp(store, ARTICLE) == changed
    caught_up = recorder.sidecar.changes(before + 1, 10_000)
    assert ("Update", ARTICLE, changed) in {(c.type, c.resource, c.time) for c in caught_up}
    assert all(c.type == "Update" for c in caught_up)
    assert dict(recorder.sidecar.sitemap_urls(1, 50_000) or [])[ARTICLE] == changed
    # Once caught up, nothing more.
    count = recorder.sidecar.change_count()
    _pipeline_run(store, pubmed, recorder)
    assert recorder.sidecar.change_count() == count


def test_consolidate_keeps_the_times_of_descriptions_it_leaves_as_they_were(
    harvested: tuple[OxigraphStore, Recorder],
) -> None:
    store, recorder = harvested
    provenance = Layout(BASE).provenance
    before = set(store.graph_triples(provenance))
    published = set(store.graph_triples(None))
    modified = _modified(store, ARTICLE)
    count = recorder.sidecar.change_count()
    # What no source describes (left by a store written around the pipeline) goes.
    stray = NamedNode(f"{BASE}article/doi/10.9999/stray")
    store.insert_quads([
        (None, Triple(stray, schema("name"), Literal("Stray"))),
        (None, Triple(stray, schema("identifier"), NamedNode(f"{stray.value}#id-doi"))),
        (None, Triple(NamedNode(f"{stray.value}#id-doi"), schema("value"), Literal("x"))),
        (provenance, Triple(stray, MODIFIED, Literal("2001-01-01T00:00:00Z"))),
    ])  # fmt: skip
    time.sleep(1.1)
    view = PublishedView(store, BASE)
    changes = view.rebuild()  # what `publisher consolidate` does
    recorder.published(changes, view)
    assert changes.written == [] and changes.kept
    assert set(store.graph_triples(None)) == published
    assert set(store.graph_triples(provenance)) == before  # the times too
    assert _modified(store, ARTICLE) == modified
    assert recorder.sidecar.change_count() == count
    assert not view.pending()


def test_a_stopped_run_that_changed_nothing_moves_nothing(
    harvested: tuple[OxigraphStore, Recorder],
) -> None:
    """The article marked and its source written again as it was, then the run stopped:
    the next run recomputes it, finds it the same, and leaves its time and the feed as
    they were (only what differs is written, so even a write stopped halfway leaves an
    unchanged description whole)."""
    store, recorder = harvested
    before, modified = set(store.graph_triples(None)), _stamp(store, ARTICLE)
    count = recorder.sidecar.change_count()
    time.sleep(1.1)
    view = PublishedView(store, BASE)
    view.mark({NamedNode(ARTICLE), NamedNode(AUTHOR)})
    with Pipeline(BASE, store, recorder=recorder):  # recovers first
        pass
    assert not view.pending()
    assert set(store.graph_triples(None)) == before
    assert _stamp(store, ARTICLE) == modified
    assert recorder.sidecar.change_count() == count
