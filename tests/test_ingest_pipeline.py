"""Pipeline features beyond one record: parallel jobs, quarantine, validation reports as
data, the report and remove commands, joining sources by DOI / PMID, disagreements."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import BASE, EXAMPLES, SEED, run_cli
from rdflib import Graph
from rdflib.compare import isomorphic

from publisher.mapping.vocab import PUB
from publisher.model import Person, Record, SourceRef
from publisher.pipeline import Pipeline
from publisher.store.oxigraph import OxigraphStore

SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "https://schema.org/"
PROV_TIMES = (
    "<http://www.w3.org/ns/prov#generatedAtTime>",
    "<http://www.w3.org/ns/prov#endedAtTime>",
    "<http://purl.org/dc/terms/modified>",  # when each published description changed
)


def _published(store_dir: Path) -> Graph:
    """Every published triple except ingest timestamps (they differ between runs)."""
    store = OxigraphStore(store_dir, read_only=True)
    try:
        result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        lines = [f"{t.subject} {t.predicate} {t.object} ." for t in result]  # type: ignore[union-attr]
    finally:
        store.close()
    kept = [line for line in lines if not any(p in line for p in PROV_TIMES)]
    return Graph().parse(data="\n".join(kept), format="nt")


def _select(store_dir: Path, query: str) -> list[tuple[str, ...]]:
    store = OxigraphStore(store_dir, read_only=True)
    try:
        return [tuple(term.value for term in row) for row in store.query(query)]  # type: ignore[union-attr]
    finally:
        store.close()


def test_jobs_two_publishes_exactly_what_jobs_one_does(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cli("ingest", "--store", str(one), str(EXAMPLES)).returncode == 0
    result = run_cli("ingest", "--store", str(two), "--jobs", "2", str(EXAMPLES))
    assert result.returncode == 0, result.stderr
    assert "published: 6, skipped: 0 (not articles), rejected: 0 (invalid)" in result.stdout
    assert isomorphic(_published(one), _published(two))


def _broken_seed(tmp_path: Path) -> Path:
    broken = tmp_path / "broken.txt"
    broken.write_text(
        SEED.read_text(encoding="utf-8").replace("DOI:10.3389/fonc.2021.699946", "DOI:10.3389 fonc")
    )
    return broken


def test_rejected_record_is_quarantined_with_its_reasons(tmp_path: Path) -> None:
    quarantine = tmp_path / "quarantine"
    broken = _broken_seed(tmp_path)
    result = run_cli(
        "ingest", "--store", str(tmp_path / "s"), "--quarantine", str(quarantine), str(broken)
    )
    assert result.returncode == 1
    with (quarantine / "rejected.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "no row for the rejected record"
    assert {row["file"] for row in rows} == {str(broken)}
    assert {row["record"] for row in rows} == {"1"}
    assert any(row["field"] == "schema:value" and "10.3389 fonc" in row["message"] for row in rows)
    copy = Path(rows[0]["quarantined_copy"])
    assert copy.read_bytes() == broken.read_bytes()  # the source text is kept, byte for byte


def test_validation_report_is_stored_and_cleared_when_fixed(tmp_path: Path) -> None:
    store = tmp_path / "s"
    broken = _broken_seed(tmp_path)
    assert run_cli("ingest", "--store", str(store), str(broken)).returncode == 1
    graph = f"{BASE}graph/vufind-text/doi/10.3389%20fonc/validation"
    rows = _select(
        store,
        f"""
        SELECT ?conforms ?path ?format WHERE {{ GRAPH <{graph}> {{
          <{graph}> a <{SH}ValidationReport> ; <{SH}conforms> ?conforms ;
            <{PUB}sourceFormat> ?format ; <{SH}result> ?r .
          ?r <{SH}resultPath> ?path }} }}""",
    )
    assert ("false", f"{SCHEMA}value", "vufind-text") in rows
    # a fixed version of a rejected record clears its report when it is accepted
    fixed = tmp_path / "fixed.txt"
    fixed.write_text(
        SEED.read_text(encoding="utf-8").replace("Frontiers in oncology", "Frontiers in Oncology")
    )
    bad = tmp_path / "bad.txt"
    bad.write_text(
        fixed.read_text(encoding="utf-8").replace("ISSN:2234-943X\n2234-943X", "ISSN:2234-9430")
    )
    assert run_cli("ingest", "--store", str(store), str(bad)).returncode == 1
    seed_report = f"{BASE}graph/vufind-text/doi/10.3389/fonc.2021.699946/validation"
    assert _select(store, f"SELECT ?s WHERE {{ GRAPH <{seed_report}> {{ ?s ?p ?o }} }}") != []
    assert run_cli("ingest", "--store", str(store), str(fixed)).returncode == 0
    assert _select(store, f"SELECT ?s WHERE {{ GRAPH <{seed_report}> {{ ?s ?p ?o }} }}") == []


def test_report_command_counts_per_format_and_constraint(tmp_path: Path) -> None:
    store = tmp_path / "s"
    run_cli("ingest", "--store", str(store), str(EXAMPLES), str(_broken_seed(tmp_path)))
    table = tmp_path / "constraints.csv"
    result = run_cli("report", "--store", str(store), "--csv", str(table))
    assert result.returncode == 0, result.stderr
    assert "vufind-text" in result.stdout and "│ 6 " in result.stdout and "│ 1 " in result.stdout
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {"format": "vufind-text", "shape": "shp:PropertyValue-valueForm", "path": "schema:value",
            "constraint": "SPARQL", "records": "1", "results": "1"} in rows  # fmt: skip


def test_remove_deletes_one_source_record(tmp_path: Path) -> None:
    store = tmp_path / "s"
    assert run_cli("ingest", "--store", str(store), str(EXAMPLES)).returncode == 0
    graph = f"{BASE}graph/vufind-text/doi/10.3389/fonc.2021.699946"
    result = run_cli("remove", "--store", str(store), graph)
    assert result.returncode == 0, result.stderr
    assert _select(store, f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}") == []
    count = f"SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a a <{SCHEMA}ScholarlyArticle> }}"
    assert _select(store, count) == [("5",)]
    assert run_cli("remove", "--store", str(store), f"{BASE}graph/nope").returncode == 1


def _record(fmt: str, title: str, doi: str | None, pmid: str | None) -> Record:
    record = Record(SourceRef(f"{fmt}.txt", 1, format=fmt), title=title, doi=doi, pmid=pmid)
    record.authors = [Person("Ada Lovelace", "Lovelace", "Ada")]
    record.source_id = pmid or doi
    return record


def test_sources_join_by_doi_or_pmid_and_disagreements_are_reported() -> None:
    store = OxigraphStore()
    pipeline = Pipeline(BASE, store)
    first = pipeline.run_record(_record("source-a", "A title", "10.1234/ABC", "123456"))
    assert first.accepted, first.problems
    assert first.article == f"{BASE}article/doi/10.1234/abc"
    # same DOI in another case, from another source: the same article
    second = pipeline.run_record(_record("source-b", "A title", "10.1234/abc", None))
    assert second.article == first.article and second.warnings == []
    # only the PMID, and another title: joined by PMID, the disagreement reported
    third = pipeline.run_record(_record("source-c", "Another title", None, "123456"))
    assert third.article == first.article
    assert len(third.warnings) == 2  # one line per other source that says otherwise
    assert all(w.startswith("sources disagree on schema:name: this record says 'Another title';")
               for w in third.warnings)  # fmt: skip
    # three source graphs, each with its own provenance, one article
    topic = "<http://xmlns.com/foaf/0.1/primaryTopic>"
    graphs = store.query(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g {topic} <{first.article}> }} }}"
    )
    assert len(list(graphs)) == 3  # type: ignore[arg-type]
