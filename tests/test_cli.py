"""The command line as other tools drive it: exit codes, reports, what ends up stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import BASE, EXAMPLES, REPO, SEED, SEED_IRI, run_cli

from publisher.mapping.vocab import PUB
from publisher.store.oxigraph import OxigraphStore

COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _count(store_dir: Path, query: str = COUNT_TRIPLES) -> int:
    store = OxigraphStore(store_dir, read_only=True)
    try:
        (row,) = store.query(query)  # type: ignore[misc]
        return int(row[0].value)
    finally:
        store.close()


def _ask(store_dir: Path, query: str) -> bool:
    store = OxigraphStore(store_dir, read_only=True)
    try:
        return bool(store.query(query))
    finally:
        store.close()


@pytest.fixture
def broken_inputs(tmp_path: Path) -> dict[str, Path]:
    seed = SEED.read_text(encoding="utf-8")
    files = {
        "empty": b"",
        "garbage": bytes(range(256)) * 8,
        "no_title": seed.split("\n", 2)[2].lstrip("\n").encode(),
        "bad_doi": seed.replace("DOI:10.3389/fonc.2021.699946", "DOI:10.3389 fonc").encode(),
        "bad_issn": seed.replace("ISSN:2234-943X\n2234-943X", "ISSN:2234-9430").encode(),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.txt"
        paths[name].write_bytes(data)
    return paths


def test_broken_inputs_rejected_with_reasons_good_ones_stored(
    tmp_path: Path, broken_inputs: dict[str, Path]
) -> None:
    store = tmp_path / "store"
    good = EXAMPLES / "minimal_en.txt"
    result = run_cli(
        "ingest", "--store", str(store), str(SEED), *map(str, broken_inputs.values()), str(good)
    )
    assert result.returncode == 1, result.stderr
    assert "published: 2, skipped: 0 (not articles), rejected: 5 (invalid)" in result.stdout
    report = result.stderr
    assert "Traceback" not in report
    assert "rejected empty.txt" not in report  # full paths are reported, not bare names
    assert f"rejected {broken_inputs['empty']} record 1" in report
    assert "the file is empty" in report
    assert f"rejected {broken_inputs['garbage']} record 1" in report
    assert "unrecognised format: " in report and "(tried: ctgov-json, " in report
    # the page without title: position, the field (SHACL path) and the constraint are named
    assert f"rejected {broken_inputs['no_title']} record 1 (line 1)" in report
    assert "field schema:name" in report and "constraint MinCount" in report
    assert f"rejected {broken_inputs['bad_doi']} record 1 (line 1)" in report
    assert "10.3389 fonc" in report
    assert f"rejected {broken_inputs['bad_issn']} record 1 (line 1)" in report
    assert "2234-9430" in report
    assert _ask(store, f"ASK {{ <{SEED_IRI}> a <https://schema.org/ScholarlyArticle> }}")
    assert _ask(
        store,
        "ASK { ?a <https://schema.org/name> ?t FILTER(STRSTARTS(?t, 'Modeling Macromolecular')) }",
    )
    # nothing of the rejected records was stored: the bad-ISSN copy of the seed did not
    # touch the seed's journal, and there is one graph per accepted record
    source_graphs = (
        f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{PUB}SourceRecord> }} }}"
    )
    assert _count(store, source_graphs) == 2
    # SHACL rejections are kept as validation-report graphs, one per rejected record
    # (the no-title and bad-ISSN copies of the seed share the seed's identity, so the
    # later report replaces the earlier one)
    reports = (
        "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?g a "
        "<http://www.w3.org/ns/shacl#ValidationReport> ; "
        "<http://www.w3.org/ns/shacl#conforms> false } }"
    )
    assert _count(store, reports) == 2
    assert not _ask(store, "ASK { ?j <https://schema.org/issn> '2234-9430' }")


def test_all_accepted_exits_zero_and_reingest_replaces(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = run_cli("ingest", "--store", str(store), str(EXAMPLES))
    assert first.returncode == 0, first.stderr
    assert "published: 6, skipped: 0 (not articles), rejected: 0 (invalid)" in first.stdout
    triples = _count(store)
    again = run_cli("ingest", "--store", str(store), str(SEED))
    assert again.returncode == 0
    assert _count(store) == triples  # replaced, not duplicated
    articles = (
        "SELECT (COUNT(DISTINCT ?a) AS ?n) "
        "WHERE { GRAPH ?g { ?a a <https://schema.org/ScholarlyArticle> } }"
    )
    assert _count(store, articles) == 6


def test_same_journal_from_two_records_is_one_resource(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_cli("ingest", "--store", str(store), str(EXAMPLES))
    assert result.returncode == 0
    journals = (
        "SELECT (COUNT(DISTINCT ?j) AS ?n) "
        "WHERE { ?j <https://schema.org/name> 'The New England journal of medicine' }"
    )
    store_handle = OxigraphStore(store, read_only=True)
    try:
        (row,) = store_handle.query(journals)  # type: ignore[misc]
        assert int(row[0].value) == 1
    finally:
        store_handle.close()


def test_validate_stores_nothing(tmp_path: Path) -> None:
    result = run_cli("validate", str(SEED), env={"PUBLISHER_STORE": str(tmp_path / "never")})
    assert result.returncode == 0
    assert "valid: 1, skipped: 0 (not articles), rejected: 0 (invalid)" in result.stdout
    assert not (tmp_path / "never").exists()


def test_validate_reports_bad_record_with_exit_one(broken_inputs: dict[str, Path]) -> None:
    result = run_cli("validate", str(broken_inputs["bad_doi"]))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["ingest"],  # no path
        ["ingest", "/nonexistent/file.txt"],
        ["ingest", "--format", "nope", str(SEED)],
        ["ingest", "--base-uri", "ftp://example.org/", str(SEED)],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_two(args: list[str], tmp_path: Path) -> None:
    result = run_cli(*args, env={"PUBLISHER_STORE": str(tmp_path / "s")})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_environment_variables_set_store_and_base(tmp_path: Path) -> None:
    store = tmp_path / "env-store"
    env = {"PUBLISHER_STORE": str(store), "PUBLISHER_BASE_URI": "https://data.example.org/pub"}
    result = run_cli("ingest", str(SEED), env=env)
    assert result.returncode == 0, result.stderr
    assert _ask(
        store, "ASK { <https://data.example.org/pub/article/doi/10.3389/fonc.2021.699946> ?p ?o }"
    )
    assert not _ask(store, f"ASK {{ <{BASE}article/doi/10.3389/fonc.2021.699946> ?p ?o }}")


def test_configuration_file_below_environment_and_options(tmp_path: Path) -> None:
    """PUBLISHER_CONFIG names a TOML file; the environment and options win over it."""
    file_store = tmp_path / "file-store"
    config = tmp_path / "publisher.toml"
    config.write_text(
        f'store = "{file_store}"\nbase_uri = "https://file.example.org/"\n', encoding="utf-8"
    )
    env = {"PUBLISHER_CONFIG": str(config), "PUBLISHER_BASE_URI": "https://env.example.org/"}
    result = run_cli("ingest", str(SEED), env=env)
    assert result.returncode == 0, result.stderr
    # The store comes from the file, the base URI from the environment.
    assert _ask(
        file_store, "ASK { <https://env.example.org/article/doi/10.3389/fonc.2021.699946> ?p ?o }"
    )
    assert not _ask(file_store, "ASK { ?s ?p ?o FILTER STRSTARTS(STR(?s), 'https://file.') }")
    option_store = tmp_path / "option-store"
    result = run_cli("ingest", "--store", str(option_store), str(SEED), env=env)
    assert result.returncode == 0, result.stderr
    assert _ask(option_store, "ASK { ?s ?p ?o }")


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "no such file"), ("store = [unclosed", "is not valid TOML")],
)
def test_bad_configuration_file_is_a_usage_error(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    config = tmp_path / "publisher.toml"
    if content is not None:
        config.write_text(content, encoding="utf-8")
    result = run_cli("ingest", str(SEED), env={"PUBLISHER_CONFIG": str(config)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_and_report_count_published_skipped_and_rejected(tmp_path: Path) -> None:
    """Skipped records (not articles) are said and do not fail the ingest; `report`
    counts every record per format and reason, read-time rejections included."""
    store = tmp_path / "store"
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)))
    ris = REPO / "tests" / "data" / "ris" / "several.ris"  # BOOK, CASE, an untitled record
    wos = REPO / "tests" / "data" / "wos" / "jabref_isi_medline.isi"  # two real articles
    result = run_cli("ingest", "--store", str(store), str(ris), str(wos))
    assert result.returncode == 1  # the untitled RIS record is invalid
    assert "published: 4, skipped: 2 (not articles), rejected: 1 (invalid)" in result.stdout
    assert "skipped" in result.stderr and "TY BOOK" in result.stderr
    run_cli("ingest", "--store", str(store), str(garbage))
    report = run_cli("report", "--store", str(store), env={"COLUMNS": "200"})
    assert report.returncode == 0, report.stderr
    rows = {
        cells[0]: cells[1:]
        for line in report.stdout.splitlines()
        if len(cells := [c.strip() for c in line.strip("│┃ ").split("│")]) == 5
    }
    # published, skipped (out of scope), rejected (parse error), rejected (shape)
    assert rows["ris"] == ["2", "2", "1", "0"]
    assert rows["wos-tagged"] == ["2", "0", "0", "0"]
    assert rows["auto"] == ["0", "0", "1", "0"]  # not detected: no format to name
