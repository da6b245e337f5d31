"""Smoke run of bench/remote_stores.py: a few records on the embedded store and an
Oxigraph server, to keep the script working (the figures are the script's business)."""

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
