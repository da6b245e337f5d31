"""The same publication on the embedded store, an Oxigraph server and Virtuoso, side by side.

For each store: ingest the same seeded synthetic records (bench/generate.py) through the
real CLI, export the dumps, then serve it (`publisher serve`, one worker) and time
resource pages and a SPARQL lookup over loopback. Figures are ratios to the embedded
store measured in the same run. The servers are started as the tests start them
(tests/remote_stores.py: loopback ports, their own folders) and stopped by process id.

    .venv/bin/python bench/remote_stores.py --records 5000
    .venv/bin/python bench/remote_stores.py --records 200 --stores embedded,oxigraph  # smoke
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from conftest import start_server, stop_server  # noqa: E402
from remote_stores import oxigraph_server, virtuoso_server  # noqa: E402

BASE = "http://127.0.0.1:8000/"
PAGES = 200
LOOKUPS = 50


@dataclass
class Figures:
    store: str
    ingest_s: float
    accepted: int
    export_s: float
    page_ms: float
    lookup_ms: float

    @property
    def rate(self) -> float:
        return self.accepted / self.ingest_s


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "publisher.cli", *args], capture_output=True, text=True
    )


def timed(function: object, *args: object) -> float:
    started = time.perf_counter()
    function(*args)  # type: ignore[operator]
    return time.perf_counter() - started


def measure(kind: str, records: Path, folder: Path, stack: ExitStack) -> Figures:
    if kind == "embedded":
        args = ["--store", str(folder / "store")]
    else:
        starter = oxigraph_server if kind == "oxigraph" else virtuoso_server
        args = stack.enter_context(starter(folder)).cli_args()
    index = ["--index", str(folder / "index.sqlite")]
    quarantine = ["--quarantine", str(folder / "quarantine")]
    started = time.perf_counter()
    done = cli("ingest", str(records), *args, *index, *quarantine, "--base-uri", BASE)
    ingest_s = time.perf_counter() - started
    found = re.search(r"published: (\d+)", done.stdout)
    if found is None:
        raise SystemExit(f"{kind}: ingest failed: {done.stderr[-2000:]}")
    started = time.perf_counter()
    exported = cli("export", str(folder / "dumps"), *args, "--base-uri", BASE)
    export_s = time.perf_counter() - started
    if exported.returncode != 0:
        raise SystemExit(f"{kind}: export failed: {exported.stderr[-2000:]}")
    serve_args = [] if kind == "embedded" else args
    process, server = start_server(folder / "store", extra_args=[*serve_args, *index])
    try:
        page_ms, lookup_ms = _serve_times(server.url)
    finally:
        stop_server(process)
    return Figures(kind, ingest_s, int(found.group(1)), export_s, page_ms, lookup_ms)


def _serve_times(url: str) -> tuple[float, float]:
    with httpx.Client(timeout=60) as client:
        sitemap = client.get(url + "/sitemaps/1.xml").text
        pages = [u for u in re.findall(r"<loc>([^<]+)</loc>", sitemap) if "/article/" in u]
        pages = (pages * (PAGES // max(len(pages), 1) + 1))[:PAGES]
        times = []
        for page in pages:
            path = page.removeprefix(BASE.rstrip("/"))
            started = time.perf_counter()
            client.get(url + path, headers={"Accept": "text/turtle"}).raise_for_status()
            times.append(time.perf_counter() - started)
        doi = "PREFIX schema: <https://schema.org/> SELECT ?a WHERE { ?a schema:sameAs ?d }"
        lookups = []
        for _ in range(LOOKUPS):
            started = time.perf_counter()
            client.post(url + "/sparql", data={"query": doi + " LIMIT 10"},
                        headers={"Accept": "application/sparql-results+json"}
                        ).raise_for_status()  # fmt: skip
            lookups.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, statistics.median(lookups) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--stores", default="embedded,oxigraph,virtuoso")
    options = parser.parse_args()
    kinds = options.stores.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-stores-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        records = root / "records.json"
        subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), str(records),
                        "--records", str(options.records), "--format", "csl-json"],
                       check=True, capture_output=True)  # fmt: skip
        results = []
        for kind in kinds:
            folder = root / kind
            folder.mkdir()
            results.append(measure(kind, records, folder, stack))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=REPO).stdout.strip()  # fmt: skip
    print(
        f"commit {commit}; Python {platform.python_version()}; {options.records} synthetic"
        f" records (CSL-JSON, bench/generate.py); {PAGES} pages, {LOOKUPS} lookups, medians"
    )
    print()
    reference = results[0]
    header = (f"{'store':<10} {'ingest s':>9} {'rec/s':>8} {'x':>6} {'export s':>9} {'x':>6}"
              f" {'page ms':>8} {'x':>6} {'sparql ms':>10} {'x':>6}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.store:<10} {r.ingest_s:>9.1f} {r.rate:>8.0f}"
              f" {reference.ingest_s / r.ingest_s:>6.2f}"
              f" {r.export_s:>9.1f} {reference.export_s / r.export_s:>6.2f}"
              f" {r.page_ms:>8.2f} {reference.page_ms / r.page_ms:>6.2f}"
              f" {r.lookup_ms:>10.2f} {reference.lookup_ms / r.lookup_ms:>6.2f}")  # fmt: skip
    print()
    print(f"x: speed relative to {reference.store} (above 1: faster, below 1: slower)")


if __name__ == "__main__":
    main()
