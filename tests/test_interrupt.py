"""Ctrl-C during a large ingest leaves whole records only; the same ingest again finishes
the job without duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import BASE, SEED

from publisher.store.oxigraph import OxigraphStore

# Enough that the ingest is still running when the signal lands: records are stored in
# batches of 64, and a small file is published whole before the poll below sees it.
RECORDS = 1500


def _pages(path: Path) -> None:
    seed = SEED.read_text(encoding="utf-8")
    pages = [
        seed.replace("10.3389/fonc.2021.699946", f"10.5555/test.{n}").replace(
            "Successful Treatment", f"Record {n}: Successful Treatment"
        )
        for n in range(RECORDS)
    ]
    path.write_text("\n\n".join(pages), encoding="utf-8")


def _counts(store_dir: Path) -> tuple[int, int, int]:
    """(source graphs, articles with a title, graphs whose article has all 7 authors)."""
    store = OxigraphStore(store_dir, read_only=True)
    pub = f"{BASE}ontology#"
    try:

        def one(query: str) -> int:
            (row,) = store.query(query)  # type: ignore[misc]
            return int(row[0].value)

        graphs = one(
            f"SELECT (COUNT(?g) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{pub}SourceRecord> }} }}"
        )
        titled = one(
            "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a <https://schema.org/name> ?t ;"
            " a <https://schema.org/ScholarlyArticle> }"
        )
        whole = one(f"""SELECT (COUNT(?g) AS ?n) WHERE {{
            {{ SELECT ?g (COUNT(?p) AS ?authors) WHERE {{ GRAPH ?g {{
                ?g a <{pub}SourceRecord> ; <http://xmlns.com/foaf/0.1/primaryTopic> ?a .
                ?a <https://schema.org/author> ?p }} }} GROUP BY ?g }}
            FILTER (?authors = 7) }}""")
        return graphs, titled, whole
    finally:
        store.close()


def test_sigint_leaves_whole_records_and_rerun_completes(tmp_path: Path) -> None:
    source = tmp_path / "many.txt"
    _pages(source)
    store = tmp_path / "store"
    command = [sys.executable, "-m", "publisher.cli", "ingest", "--store", str(store),
               "--quarantine", str(tmp_path / "q"), str(source)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _published_so_far(store) < 20:
        time.sleep(0.2)
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    graphs, titled, whole = _counts(store)
    assert 0 < graphs < RECORDS
    assert graphs == titled == whole  # every stored record is complete

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert _counts(store) == (RECORDS, RECORDS, RECORDS)


def _published_so_far(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        return _counts(store)[0]
    except (OSError, RuntimeError):  # RocksDB mid-creation: "Column family not found"
        return 0
