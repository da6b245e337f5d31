"""Our vocabulary has one fixed namespace (publisher.mapping.vocab.PUB), whatever the
deployment's base URI: two deployments' data answer the same query, and a store
written with the namespace of before ({base}ontology#) is refused with a message
saying what to do (publisher.store.legacy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import BASE, SEED, free_port, run_cli
from pyoxigraph import QuerySolutions

from publisher.mapping.vocab import PUB, legacy_namespace
from publisher.store.oxigraph import OxigraphStore

OTHER_BASE = "https://publisher.example.org/data/"
PER_RECORD = f"""SELECT ?format WHERE {{
  GRAPH ?g {{ ?g a <{PUB}SourceRecord> ; <{PUB}sourceFormat> ?format }} }}"""


def test_the_namespace_is_fixed_and_persistent() -> None:
    assert PUB == "https://w3id.org/scholarly-publisher/ontology#"


def _ingest(store: Path, base: str) -> None:
    result = run_cli("ingest", "--store", str(store), "--base-uri", base, str(SEED))
    assert result.returncode == 0, result.stdout + result.stderr


def _formats(store_dir: Path) -> list[str]:
    store = OxigraphStore(store_dir, read_only=True)
    try:
        rows = store.query(PER_RECORD)
        assert isinstance(rows, QuerySolutions)
        return [row["format"].value for row in rows]  # type: ignore[union-attr]
    finally:
        store.close()


def test_two_deployments_answer_one_query(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    _ingest(here, BASE)
    _ingest(there, OTHER_BASE)
    assert _formats(here) == _formats(there) == ["vufind-text"]


def _legacy_store(folder: Path) -> Path:
    """A store as ingest wrote it before: our terms in {base}ontology#."""
    store_dir = folder / "legacy"
    _ingest(store_dir, BASE)
    old = legacy_namespace(BASE)
    store = OxigraphStore(store_dir)
    try:
        store.update(f"""
            DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} INSERT {{ GRAPH ?g {{ ?s ?old ?o }} }}
            WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (STRSTARTS(STR(?p), "{PUB}"))
                     BIND (IRI(CONCAT("{old}", STRAFTER(STR(?p), "{PUB}"))) AS ?old) }}""")
        store.flush()
    finally:
        store.close()
    assert _formats(store_dir) == []  # what the fixed namespace sees of it
    return store_dir


def test_a_store_of_the_old_namespace_is_refused(tmp_path: Path) -> None:
    store = _legacy_store(tmp_path)
    for command in (["report"], ["ingest", str(SEED)]):
        result = run_cli(*command, "--store", str(store), "--base-uri", BASE)
        assert result.returncode == 2, result.stdout + result.stderr
        message = " ".join(result.stderr.split())
        assert f"<{BASE}ontology#>" in message and f"<{PUB}>" in message, message
        assert "ingest the source files again into a new store" in message, message
    # the server too, before it listens
    served = subprocess.run(
        [sys.executable, "-m", "publisher.cli", "serve", "--store", str(store),
         "--base-uri", BASE, "--port", str(free_port())],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert served.returncode == 2, served.stdout + served.stderr
    assert "ingest the source files again" in " ".join(served.stderr.split())
