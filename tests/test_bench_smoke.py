"""A tiny run of each benchmark script, so they keep working (not a timing test).

bench/run.py ingests a few hundred generated records three ways (naive, fast with one
and two jobs) and, when the Oxigraph server is installed (a test dependency), serves
them beside `oxigraph serve-read-only`. The numbers are not checked (the machine is
shared and noisy), only that every part ran and reported.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=REPO, timeout=600
    )


def test_generator_is_seeded_and_writes_every_format(tmp_path: Path) -> None:
    for name in ("csl-json", "ris", "pubmed"):
        first, second = tmp_path / f"a.{name}", tmp_path / f"b.{name}"
        for out in (first, second):
            result = run(str(BENCH / "generate.py"), str(out), "--records", "30", "--format", name)
            assert result.returncode == 0, result.stderr
        assert first.read_bytes() == second.read_bytes()
        assert first.stat().st_size > 30 * 500


def test_run_smoke(tmp_path: Path) -> None:
    oxigraph = Path(sys.executable).parent / "oxigraph"
    serve = [] if oxigraph.exists() else ["--no-serve"]
    numbers = tmp_path / "numbers.json"
    result = run(
        str(BENCH / "run.py"), "--records", "150", "--naive-records", "12", "--repeat", "3",
        "--wrk-seconds", "2", "--broken-rate", "0.1", "--work", str(tmp_path / "work"),
        "--json", str(numbers), *serve,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    found = json.loads(numbers.read_text())
    for key in ("naive_rps", "fast1_rps", "fast2_rps", "fast2_over_naive", "jobs2_over_jobs1"):
        assert found[key] > 0
    # What the published view costs: with it / without it, and with 30% second sources
    assert found["view_over_baseline"] > 0 and found["second_source_over_view"] > 0
    assert "| (c) with the view, 30% of records with a second source | 198 |" in result.stdout
    assert "| fast (compiled shapes, batched writes), jobs 2 | 150 |" in result.stdout
    if not serve:
        assert found["sparql_over_oxigraph"] > 0 and found["startup_s"] > 0
        # 32 clients: wrk with one and with two web processes, or Python threads without wrk
        client = (
            ["wrk_p99_ms_workers_1", "wrk_p99_ms_workers_2"]
            if shutil.which("wrk")
            else ["concurrent_p99_ms"]
        )
        assert all(found[key] > 0 for key in client)
    else:
        pytest.skip("oxigraph server not installed: serving part not run")


def test_sparql_overhead_smoke() -> None:
    result = run(str(BENCH / "sparql_overhead.py"), "--repeat", "2", "--warmup", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "geometric mean" in result.stdout.lower()
