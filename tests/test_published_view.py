"""The published view: one consolidated description per resource, made from every source
record that describes it, conforming to the project's own shapes, independent of ingest
order, kept up to date by re-ingest and removal, with field-level provenance as data.

The sources are real records of one article (NEJM 2012, DOI 10.1056/NEJMoa1203421,
PMID 22663011) in five formats: the bundled catalogue page, PubMed's efetch XML
(shared/samples, from NCBI), and the repository's MARCXML, OAI-PMH and RIS test files
written from that record (see the comments in each file). The seed's catalogue page and
MARC record describe a second article.
"""

from __future__ import annotations

import gzip
import random
import shutil
from pathlib import Path

import httpx
import pytest
from conftest import BASE, EXAMPLES, REPO, run_cli, shared_path, start_server, stop_server
from pyoxigraph import Literal, NamedNode, QuerySolutions, RdfFormat, Triple

from publisher.mapping.records import RecordMapper
from publisher.mapping.vocab import BIBO_AUTHOR_LIST, RDF_FIRST, RDF_REST, schema
from publisher.pipeline import Pipeline
from publisher.readers.registry import read_file
from publisher.store.layout import Layout
from publisher.store.oxigraph import OxigraphStore
from publisher.store.published import MODIFIED, PublishedView
from publisher.validation.shacl import ShaclValidator

NEJM = NamedNode(f"{BASE}article/doi/10.1056/nejmoa1203421")
SEED = NamedNode(f"{BASE}article/doi/10.3389/fonc.2021.699946")
LAYOUT = Layout(BASE)
HTML = {"Accept": "text/html"}


def sources() -> list[Path]:
    return [
        EXAMPLES / "nejm_22663011_en.txt",
        EXAMPLES / "000_a5c995328e4ea53f.txt",
        shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml"),
        REPO / "tests" / "data" / "marc" / "articles.xml",
        REPO / "tests" / "data" / "oai" / "listrecords_oai_dc.xml",
        REPO / "tests" / "data" / "harvest" / "nejm_second_source.ris",
    ]


def ingest(store: Path, *paths: Path) -> None:
    for path in paths:
        result = run_cli("ingest", "--store", str(store), "--base-uri", BASE, str(path))
        assert result.returncode in (0, 1), result.stderr  # 1: the OAI page's book
        assert "Traceback" not in result.stderr


def published(store_dir: Path) -> set[tuple[str, str, str]]:
    store = OxigraphStore(store_dir, read_only=True)
    try:
        return {
            (str(t.subject), str(t.predicate), str(t.object)) for t in store.graph_triples(None)
        }
    finally:
        store.close()


@pytest.fixture(scope="module")
def five_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("five") / "store"
    ingest(store, *sources())
    return store


def test_one_value_per_single_valued_property(five_sources: Path) -> None:
    view = published(five_sources)
    about = [(p, o) for s, p, o in view if s == str(NEJM)]
    for single in ("name", "headline", "datePublished", "isPartOf", "abstract", "inLanguage"):
        values = [o for p, o in about if p == str(schema(single))]
        assert len(values) <= 1, (single, values)
    assert len([o for p, o in about if p == str(BIBO_AUTHOR_LIST)]) == 1
    (date,) = [o for p, o in about if p == str(schema("datePublished"))]
    # PubMed's PubDate and the catalogue page: 2012-07-12; MARC: Jul. 2012; RIS: 2012.
    assert date.startswith('"2012-07-12"'), date  # the most precise of the agreeing dates


def test_the_longest_compatible_author_list_is_published(five_sources: Path) -> None:
    store = OxigraphStore(five_sources, read_only=True)
    try:
        rows = store.query(
            f"""SELECT (COUNT(?cell) AS ?n) WHERE {{
                  {NEJM} {BIBO_AUTHOR_LIST} ?list . ?list {RDF_REST}* ?cell .
                  ?cell {RDF_FIRST} ?who }}"""
        )
        assert isinstance(rows, QuerySolutions)
        (row,) = list(rows)
        authors = int(row["n"].value)
        rows = store.query(f"SELECT (COUNT(?a) AS ?n) WHERE {{ {NEJM} {schema('author')} ?a }}")
        assert isinstance(rows, QuerySolutions)
        (listed,) = list(rows)
    finally:
        store.close()
    # PubMed and the catalogue page list all 26 authors (25 people and the METRIC Study
    # Group); the shortened MARC, OAI and RIS lists are shorter.
    assert authors == 26
    assert int(listed["n"].value) == authors


def test_identifiers_are_one_node_per_scheme_and_value(five_sources: Path) -> None:
    view = published(five_sources)
    nodes = [o for s, p, o in view if s == str(NEJM) and p == str(schema("identifier"))]
    schemes = sorted(o for s, p, o in view if p == str(schema("propertyID")) and s in nodes)
    assert schemes == sorted(set(schemes)), schemes  # no scheme twice (DOI case, PMID)
    assert '"DOI"' in schemes and '"PMID"' in schemes
    same_as = [o for s, p, o in view if s == str(NEJM) and p == str(schema("sameAs"))]
    assert len({o.casefold() for o in same_as}) == len(same_as), same_as


def test_the_whole_published_view_conforms_to_the_shapes(five_sources: Path) -> None:
    store = OxigraphStore(five_sources, read_only=True)
    try:
        triples = store.graph_triples(None)
    finally:
        store.close()
    violations = ShaclValidator(fast=False).validate(triples)
    assert violations == [], violations[:5]


def test_no_blank_nodes_in_the_published_view(five_sources: Path) -> None:
    assert not any(s.startswith("_:") or o.startswith("_:") for s, _, o in published(five_sources))


def test_provenance_says_where_each_value_came_from(five_sources: Path) -> None:
    store = OxigraphStore(five_sources, read_only=True)
    try:
        rows = store.query(
            f"""SELECT ?source WHERE {{ GRAPH {LAYOUT.provenance} {{
                  {NEJM} <http://www.w3.org/ns/prov#wasDerivedFrom> ?source }} }}"""
        )
        assert isinstance(rows, QuerySolutions)
        sources_of_nejm = {row["source"].value for row in rows}
        title = store.query(
            f"""SELECT ?value ?published ?source WHERE {{ GRAPH {LAYOUT.provenance} {{
                  ?st <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> {NEJM} ;
                      <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> {schema("name")} ;
                      <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> ?value ;
                      {LAYOUT.published_flag} ?published ;
                      <http://www.w3.org/ns/prov#wasDerivedFrom> ?source }} }}"""
        )
        assert isinstance(title, QuerySolutions)
        claims = [(r["value"].value, r["published"].value, r["source"].value) for r in title]
    finally:
        store.close()
    assert len(sources_of_nejm) == 5, sources_of_nejm
    assert {source for _, _, source in claims} == sources_of_nejm  # every source, one title
    published_titles = {value for value, flag, _ in claims if flag == "true"}
    assert len(published_titles) == 1


def test_ingest_order_does_not_change_the_dumps(five_sources: Path, tmp_path: Path) -> None:
    reverse = tmp_path / "reverse"
    ingest(reverse, *reversed(sources()))
    dumps = {}
    for name, store in (("forward", five_sources), ("reverse", reverse)):
        out = tmp_path / f"dumps-{name}"
        result = run_cli("export", "--store", str(store), "--base-uri", BASE, str(out))
        assert result.returncode == 0, result.stderr
        dumps[name] = gzip.decompress((out / "dataset.nt.gz").read_bytes())
    assert dumps["forward"] == dumps["reverse"]
    assert dumps["forward"].count(b"\n") == len(published(five_sources))


def test_removing_a_source_recomputes_exactly_what_it_touched(
    five_sources: Path, tmp_path: Path
) -> None:
    store = tmp_path / "copy"
    shutil.copytree(five_sources, store)
    pubmed = f"{BASE}graph/pubmed-xml/id/22663011"
    result = run_cli("remove", "--store", str(store), "--base-uri", BASE, pubmed)
    assert result.returncode == 0, result.stderr
    without = tmp_path / "without"
    ingest(without, *[p for p in sources() if "pubmed" not in p.name])
    assert published(store) == published(without)


def test_random_ingests_and_removals_match_a_recomputation(tmp_path: Path) -> None:
    """After every step, the incrementally kept view equals one rebuilt from scratch."""
    store = OxigraphStore()
    pipeline = Pipeline(BASE, store)
    view = PublishedView(store, BASE)
    files = sources()
    chooser = random.Random(13)
    for _ in range(10):
        graphs = [g for g in store.graph_names() if not LAYOUT.is_view_graph(g)]
        graphs = [
            g for g in graphs if "/validation" not in g.value and "conformance" not in g.value
        ]
        if graphs and chooser.random() < 0.35:
            gone = chooser.choice(sorted(graphs, key=str))
            batch = view.prepare([(gone, None)])
            store.remove_graph(gone)
            view.apply(batch)
        else:
            for _outcome in pipeline.run_file(chooser.choice(files)):
                pass
        kept = set(store.graph_triples(None))
        kept_provenance = set(store.graph_triples(LAYOUT.provenance))
        view.rebuild()
        assert set(store.graph_triples(None)) == kept
        assert set(store.graph_triples(LAYOUT.provenance)) == kept_provenance
        assert not view.pending()


def test_a_run_stopped_between_sources_and_view_is_finished_by_the_next(tmp_path: Path) -> None:
    """Marks written, sources changed, view not: what a kill in between leaves. The next
    pipeline on the store finishes the marked resources first."""
    store = OxigraphStore(tmp_path / "store")
    first = Pipeline(BASE, store)
    for _outcome in first.run_file(EXAMPLES / "nejm_22663011_en.txt"):
        pass
    view = PublishedView(store, BASE)
    pubmed = shared_path("samples", "pubmed", "pubmed_22663011_efetch.xml")
    mapper = RecordMapper(BASE)
    (record,) = list(read_file(pubmed))
    mapped = mapper.map(record, "doi/10.1056/nejmoa1203421")
    touched = {t.subject for t in mapped.triples if isinstance(t.subject, NamedNode)}
    # What ingest does, stopped after the record's graph is written: marks, sources.
    view.mark(touched)
    store.replace_graph(mapped.graph, [*mapped.triples, *mapper.provenance(mapped)])
    assert view.pending() == touched and NEJM in touched
    Pipeline(BASE, store)  # a new run: recovers first
    assert not view.pending()
    kept = set(store.graph_triples(None))
    view.rebuild()
    assert set(store.graph_triples(None)) == kept
    names = [t.object for t in kept if t.subject == NEJM and t.predicate == schema("name")]
    assert len(names) == 1 and isinstance(names[0], Literal)
    sources_now = store.graph_triples(LAYOUT.provenance)
    assert sum(1 for t in sources_now if t.subject == NEJM and t.object == mapped.graph) == 1


def test_report_counts_the_disagreements(five_sources: Path) -> None:
    result = run_cli("report", "--store", str(five_sources), "--base-uri", BASE,
                     env={"COLUMNS": "250"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = result.stdout[result.stdout.index("Sources that disagree") :]
    # The RIS record names the journal without an ISSN: another periodical than the
    # others' (by ISSN), so its isPartOf loses to each of them, on this one article.
    rows = [line for line in table.splitlines() if "schema:isPartOf" in line and "│ ris" in line]
    assert rows and all(str(NEJM.value) in row for row in rows), table


def test_the_page_shows_the_sources_and_what_they_disagree_on(five_sources: Path) -> None:
    process, server = start_server(five_sources)
    try:
        page = httpx.get(server.url + "/article/doi/10.1056/nejmoa1203421", headers=HTML)
    finally:
        stop_server(process)
    assert page.status_code == 200
    sources = page.text[page.text.index("<h2>Sources</h2>") : page.text.index("Other statements")]
    assert sources.count('<li><a href="/graph/') == 5
    for fmt in ("vufind-text", "pubmed-xml", "marcxml", "oai-pmh", "ris"):
        assert f"({fmt}, read " in sources
    assert '<th title="schema:isPartOf">Published in</th>' in sources and "(ris)" in sources


def test_consolidate_rebuilds_the_same_view(five_sources: Path, tmp_path: Path) -> None:
    store = tmp_path / "copy"
    shutil.copytree(five_sources, store)
    before = published(store)
    result = run_cli("consolidate", "--store", str(store), "--base-uri", BASE)
    assert result.returncode == 0, result.stderr
    assert "published view rebuilt:" in result.stdout
    assert published(store) == before


class _Crash(Exception):
    """Stands for a kill: the writes before it are in the store, the rest never happen."""


class _CrashingWrites:
    """An embedded store's engine that fails its `crash_at`-th write (each write, like
    every write of the engine, whole or not at all)."""

    def __init__(self, engine: object, crash_at: int) -> None:
        self.engine, self.crash_at, self.writes = engine, crash_at, 0

    def __getattr__(self, name: str) -> object:
        found = getattr(self.engine, name)
        if name not in ("load", "update", "extend", "bulk_load", "add", "remove"):
            return found

        def write(*args: object, **kwargs: object) -> object:
            if self.writes == self.crash_at:
                raise _Crash
            self.writes += 1
            return found(*args, **kwargs)

        return write


def _view_and_provenance(store: OxigraphStore) -> tuple[set[object], set[object]]:
    """The view and its provenance, with each description's time (`dcterms:modified`)
    reduced to its presence: times depend on when the runs happened. Each resource has
    at most one."""
    provenance = store.graph_triples(LAYOUT.provenance)
    stamped = [t.subject for t in provenance if t.predicate == MODIFIED]
    assert len(stamped) == len(set(stamped)), "a description with two times"
    timeless = {
        Triple(t.subject, t.predicate, Literal("a time")) if t.predicate == MODIFIED else t
        for t in provenance
    }
    return set(store.graph_triples(None)), timeless


@pytest.mark.parametrize("operation", ["second source", "removal", "re-ingest"])
def test_a_crash_at_any_write_is_finished_by_the_next_run(operation: str) -> None:
    """Stopped at each write of an ingest or a removal in turn (marks, sources, view,
    unmarking), the store recovers to a view made from its sources, and the operation
    done again gives the clean run's view."""
    first, second = EXAMPLES / "nejm_22663011_en.txt", sources()[2]  # catalogue, PubMed
    base = OxigraphStore()
    for path in (first, second) if operation != "second source" else (first,):
        for _outcome in Pipeline(BASE, base).run_file(path):
            pass
    start = base._store.dump(format=RdfFormat.N_QUADS)
    pubmed = NamedNode(f"{BASE}graph/pubmed-xml/id/22663011")

    def run(store: OxigraphStore, pipeline: Pipeline) -> None:
        if operation == "removal":
            view = PublishedView(store, BASE)
            batch = view.prepare([(pubmed, None)])
            store.remove_graph(pubmed)
            view.apply(batch)
        else:
            for _outcome in pipeline.run_file(second):
                pass

    def fresh() -> OxigraphStore:
        store = OxigraphStore()
        store._store.load(start, format=RdfFormat.N_QUADS)
        return store

    clean = fresh()
    run(clean, Pipeline(BASE, clean))
    expected = _view_and_provenance(clean)
    crash_at = 0
    while True:
        store = fresh()
        pipeline = Pipeline(BASE, store)
        engine = store._store
        store._store = _CrashingWrites(engine, crash_at)  # type: ignore[assignment]
        try:
            run(store, pipeline)
        except _Crash:
            pass
        else:
            break  # the whole operation ran: every write was a crash point
        finally:
            store._store = engine
        view = PublishedView(store, BASE)
        view.recover()  # what the next run does first
        assert not view.pending()
        recovered = _view_and_provenance(store)
        view.rebuild()
        assert _view_and_provenance(store) == recovered, f"crash at write {crash_at}"
        run(store, Pipeline(BASE, store))
        assert _view_and_provenance(store) == expected, f"crash at write {crash_at}"
        crash_at += 1
    assert crash_at >= 3  # marks, sources, view and unmarking are separate writes
