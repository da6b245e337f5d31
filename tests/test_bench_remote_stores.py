"""Smoke runs of bench/remote_stores.py and bench/published_view.py: a few records on the
embedded store and an Oxigraph server, to keep the scripts working (the figures are the
scripts' business)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_remote_stores_bench_smoke() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "remote_stores.py"), "--records", "40",
         "--stores", "embedded,oxigraph"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    rows = [line.split() for line in lines if line.startswith(("embedded", "oxigraph"))]
    assert [row[0] for row in rows] == ["embedded", "oxigraph"]
    assert rows[0][3] == "1.00"  # the embedded store is the baseline of the ratios


def test_published_view_bench_smoke() -> None:
    """bench/published_view.py on the embedded store and an Oxigraph server: a table per
    store, every layout answering every query with the same number of rows."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "published_view.py"), "--records", "40",
         "--stores", "embedded,oxigraph", "--repeat", "1"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| ")]
    queries = [row for row in rows if not row[0].startswith("| query")]
    assert len(queries) == 2 * 7, done.stdout
    for row in queries:
        sizes = row[-1].rstrip(" |").split("/")
        assert len(sizes) == 4 and len(set(sizes)) == 1 and "?" not in sizes, row
