"""The whole performance comparison in one command: ingest and serving, with baselines.

Generates seeded records (bench/generate.py), then in one invocation, side by side:

  ingest     the naive pipeline (pyshacl on every record, one write per record) on a
             small prefix of the records, then the fast pipeline (compiled shapes,
             batched writes) with --jobs 1 and --jobs 2 on all of them; records/s end
             to end (read, map, validate, store, side database), peak memory, store size
  view cost  what keeping the published view costs, --jobs 2, interleaved rounds:
             (a) ingest as always, (b) the same records with view maintenance switched
             off (the baseline: sources, side database, no view, provenance, pending
             marks or listings), (c) the records plus a second source (another format,
             same DOI) for 30% of them; ratios a/b and c/a (records/s)
  stages     records/s of each stage alone (read, map, rdflib graph, pyshacl, compiled
             shapes, per-record vs batched store writes)
  serving    our /sparql against `oxigraph serve-read-only` on the same store (the
             bench/sparql_overhead.py queries), resource pages (Turtle) against
             Oxigraph's DESCRIBE, our /sparql against rdflib-endpoint on the naive run's
             store; p50/p99 per query; 32 concurrent clients on resource pages; time to
             the first answer of `publisher serve`

Timings are noisy on a shared machine: read the ratios, which come from one run.
A benchmark, not a test: it never fails on timing (tests/test_bench_smoke.py runs a
tiny version so it keeps working).

    .venv/bin/python bench/run.py --records 20000 --naive-records 500
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from generate import SUFFIX, generate, generate_twins  # noqa: E402
from sparql_overhead import BASE, Query, free_port, queries  # noqa: E402

from publisher.harvest.recorder import harvesting  # noqa: E402
from publisher.interrupt import Stop, stop_on_sigint  # noqa: E402
from publisher.mapping.records import RecordMapper  # noqa: E402
from publisher.model import ReadError, ReadNotice, Skipped  # noqa: E402
from publisher.pipeline import Outcome, Pipeline  # noqa: E402
from publisher.readers.registry import read_file  # noqa: E402
from publisher.store.oxigraph import OxigraphStore  # noqa: E402
from publisher.validation.shacl import ShaclValidator, to_rdflib  # noqa: E402

TURTLE = "text/turtle"


@dataclass
class Report:
    """Rows of the printed tables, also written as JSON."""

    sections: dict[str, list[list[str]]] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)

    def row(self, section: str, *cells: object) -> None:
        self.sections.setdefault(section, []).append([str(c) for c in cells])
        print(f"  {section}: " + " | ".join(str(c) for c in cells), flush=True)


# --- ingest ----------------------------------------------------------------------------


def ingest_once(
    paths: list[Path],
    store: Path,
    jobs: int,
    fast: bool,
    batch: int,
    stop: Stop | None = None,
    view: bool = True,
) -> dict[str, float]:
    """One ingest as `publisher ingest` does it (store, side database, statistics; Ctrl-C
    as `stop` says); `view` False: without the published view (the baseline of its cost)."""
    stop = stop or Stop()
    opened = OxigraphStore(store)
    counts = {"accepted": 0, "rejected": 0}
    started = time.perf_counter()
    with harvesting(opened, store, BASE) as recorder:
        pipeline = Pipeline(
            BASE, opened, jobs=jobs, recorder=recorder, fast=fast, batch=batch, stop=stop,
            view=view,
        )  # fmt: skip
        with stop.deferred(), pipeline:
            for path in paths:
                for outcome in pipeline.run_file(path):
                    if isinstance(outcome, Outcome):
                        counts["accepted" if outcome.accepted else "rejected"] += 1
        piped = time.perf_counter() - started
    opened.flush()
    total = time.perf_counter() - started
    opened.close()
    return {
        **counts,
        "seconds": piped,
        "seconds_with_statistics": total,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "cpu_s": sum(
            usage.ru_utime + usage.ru_stime
            for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        ),
    }


def run_ingest(
    paths: list[Path], store: Path, jobs: int, fast: bool, batch: int, view: bool = True
) -> dict[str, float]:
    """`ingest_once` in a fresh process, so memory and imports are its own."""
    command = [sys.executable, __file__, "_ingest", "--store", str(store), "--jobs", str(jobs)]
    command += ["--batch", str(batch), *(["--naive"] if not fast else [])]
    command += [*(["--no-view"] if not view else []), *map(str, paths)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
    )
    try:
        stdout, stderr = process.communicate()
    except KeyboardInterrupt:
        # The ingest stops at whole records (its own SIGINT handling) rather than being
        # killed in the middle of a write: a terminal's Ctrl-C reached it too; after a
        # `kill -INT` of this process alone, it is passed on.
        try:
            process.communicate(timeout=3)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
        raise
    if process.returncode != 0:
        sys.exit(f"ingest failed:\n{stderr[-3000:]}")
    return dict(json.loads(stdout.strip().splitlines()[-1]))


def disk_mib(path: Path) -> str:
    """The store's size on disk: all files, and the RocksDB tables (*.sst) alone (the
    rest is mostly write-ahead log, dropped once RocksDB has flushed it)."""
    files = [f for f in path.rglob("*") if f.is_file()]
    total = sum(f.stat().st_size for f in files) / 2**20
    tables = sum(f.stat().st_size for f in files if f.suffix == ".sst") / 2**20
    return f"{total:,.0f} ({tables:,.0f} in tables)"


def bench_ingest(
    report: Report, work: Path, big: Path, small: Path, records: int, naive: int, both: bool
) -> None:
    runs = [
        ("naive (pyshacl per record, one write each), jobs 1", [small], naive, 1, False, 1),
        ("fast (compiled shapes, batched writes), jobs 1", [big], records, 1, True, 64),
        ("fast (compiled shapes, batched writes), jobs 2", [big], records, 2, True, 64),
    ]
    if not both:  # --scale: the big run with jobs 2 only
        del runs[1]
    rates = []
    for name, paths, count, jobs, fast, batch in runs:
        store = work / f"store-{'fast' if fast else 'naive'}-{jobs}"
        shutil.rmtree(store, ignore_errors=True)
        numbers = run_ingest(paths, store, jobs, fast, batch)
        rate = count / numbers["seconds"]
        rates.append(rate)
        report.row(
            "ingest", name, count, f"{rate:,.0f}", f"{numbers['seconds']:.1f}",
            f"{numbers['seconds_with_statistics'] - numbers['seconds']:.1f}",
            f"{int(numbers['accepted'])}/{int(numbers['rejected'])}",
            f"{numbers['peak_rss_mib']:.0f} / {numbers['worker_peak_rss_mib']:.0f}",
            f"{numbers['cpu_s']:.0f}",
            disk_mib(store),
        )  # fmt: skip
    report.numbers.update(naive_rps=rates[0], fast2_rps=rates[-1])
    report.numbers["fast2_over_naive"] = rates[-1] / rates[0]
    report.row("ingest", "ratio fast jobs 2 / naive", "", f"{rates[-1] / rates[0]:.1f}x")
    if both:
        report.numbers.update(fast1_rps=rates[1], jobs2_over_jobs1=rates[2] / rates[1])
        report.row("ingest", "ratio jobs 2 / jobs 1", "", f"{rates[2] / rates[1]:.2f}x")


def bench_view(
    report: Report, work: Path, big: Path, twins: Path, rounds: int, jobs: int = 2
) -> None:
    """What keeping the published view costs: (a) ingest as always, (b) the same records
    without the view, (c) the records and a second source for 30% of them, each into an
    empty store, end to end (statistics on the way out included); `rounds` times, the
    order turned each round (a noisy machine: the median of each round's ratios)."""
    runs = [
        ("(b) baseline: view maintenance off", [big], False),
        ("(a) with the published view", [big], True),
        ("(c) with the view, 30% of records with a second source", [big, twins], True),
    ]
    rates: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    per_cpu: dict[str, list[float]] = {name: [] for name, _, _ in runs}  # records per CPU s
    for turn in range(rounds):
        for name, paths, view in runs[turn % 3 :] + runs[: turn % 3]:
            store = work / "store-view-cost"
            shutil.rmtree(store, ignore_errors=True)
            numbers = run_ingest(paths, store, jobs, True, 64, view=view)
            count = numbers["accepted"] + numbers["rejected"]
            rate = count / numbers["seconds_with_statistics"]
            rates[name].append(rate)
            per_cpu[name].append(count / numbers["cpu_s"])
            report.row(
                "view cost", name, int(count), f"{rate:,.0f}",
                f"{numbers['seconds_with_statistics']:.1f}", f"{numbers['cpu_s']:.0f}",
                disk_mib(store),
            )  # fmt: skip
    for key, measured, unit in (("", rates, "records/s"), ("_cpu", per_cpu, "records/CPU s")):
        (b, a, c) = (measured[name] for name, _, _ in runs)
        view_ratio = statistics.median(x / y for x, y in zip(a, b, strict=True))
        second_ratio = statistics.median(x / y for x, y in zip(c, a, strict=True))
        report.numbers[f"view_over_baseline{key}"] = view_ratio
        report.numbers[f"second_source_over_view{key}"] = second_ratio
        median = f"median of {rounds}"
        report.row("view cost", f"ratio (a) / (b), {unit}, {median}", "", f"{view_ratio:.2f}x")
        report.row("view cost", f"ratio (c) / (a), {unit}, {median}", "", f"{second_ratio:.2f}x")
    shutil.rmtree(work / "store-view-cost", ignore_errors=True)


def bench_stages(report: Report, big: Path, sample: int, naive: int) -> None:
    """Each stage alone, in this process, on the first `sample` records of the file."""
    started = time.perf_counter()
    every = [i for i in read_file(big) if not isinstance(i, ReadError | ReadNotice | Skipped)]
    records = every[:sample]
    read_s = time.perf_counter() - started
    mapper = RecordMapper(BASE)
    mapped, map_s = timed(lambda: [mapper.map(r).triples for r in records])
    validator = ShaclValidator()
    assert validator.compiled is not None
    batches = [mapped[i : i + 64] for i in range(0, len(mapped), 64)]
    _, fast_s = timed(lambda: [validator.validate_many(b) for b in batches])
    _, compiled_s = timed(lambda: [validator.compiled.conforming(b) for b in batches])  # type: ignore[union-attr]
    few = mapped[:naive]
    _, graph_s = timed(lambda: [to_rdflib(t) for t in few])
    _, pyshacl_s = timed(lambda: [validator.validate_with_report(t) for t in few])
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as many:
        graphs = [(_graph(i), t) for i, t in enumerate(mapped)]
        single = OxigraphStore(one)
        _, single_s = timed(lambda: [single.replace_graph(g, t) for g, t in graphs[:naive]])
        batched = OxigraphStore(many)
        chunks = [graphs[i : i + 64] for i in range(0, len(graphs), 64)]
        _, batch_s = timed(lambda: [batched.replace_graphs(chunk) for chunk in chunks])
        single.close()
        batched.close()
    triples = sum(map(len, mapped)) / max(1, len(mapped))
    stages = [
        ("read (whole file)", len(every), read_s),
        ("map to triples", len(records), map_s),
        ("rdflib graph per record (naive)", len(few), graph_s),
        ("pyshacl per record (naive)", len(few), pyshacl_s),
        ("compiled shapes, batches of 64 (verdicts only)", len(records), compiled_s),
        ("validate_many: compiled + pyshacl for failures", len(records), fast_s),
        ("store: one SPARQL update per record (naive)", min(naive, len(graphs)), single_s),
        ("store: replace_graphs, batches of 64", len(graphs), batch_s),
    ]
    for name, count, seconds in stages:
        report.row("stages", name, count, f"{count / seconds:,.0f}")
    report.numbers["triples_per_record"] = triples


def timed(work: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def _graph(i: int) -> object:
    from pyoxigraph import NamedNode

    return NamedNode(f"{BASE}graph/bench/{i}")


# --- serving ---------------------------------------------------------------------------


@contextmanager
def server(command: list[str], probe: str, timeout: float = 120) -> Iterator[float]:
    """Start a server, yield the seconds it took to answer `probe`, stop it by its id."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO
    )
    try:
        while True:
            if process.poll() is not None:
                sys.exit(f"server exited: {' '.join(command)}")
            try:
                if httpx.get(probe, timeout=5).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() - started > timeout:
                sys.exit(f"server did not answer within {timeout} s: {' '.join(command)}")
            time.sleep(0.02)
        yield time.perf_counter() - started
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def ours(store: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "publisher.cli", "serve", "--store", str(store),
            "--base-uri", BASE, "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip


def latencies(run: Callable[[], None], warmup: int, repeat: int) -> list[float]:
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class QueryStopped(Exception):
    """Our endpoint stopped the query at its time limit (PUBLISHER_QUERY_TIMEOUT)."""


def sparql_get(client: httpx.Client, url: str, query: Query) -> Callable[[], None]:
    def run() -> None:
        response = client.get(url, params={"query": query.text}, headers={"Accept": query.accept})
        if response.status_code == 503 and "ran longer than" in response.text:
            raise QueryStopped(response.text.split(",")[0])
        if response.status_code != 200:
            raise RuntimeError(
                f"{url} {query.name}: HTTP {response.status_code} {response.text[:200]}"
            )

    return run


def sample_store(store: Path, count: int) -> tuple[str, str, str, list[str]]:
    """A DOI, an author name, an article IRI and `count` article IRIs from the store."""
    opened = OxigraphStore(store, read_only=True)
    prologue = "PREFIX schema: <https://schema.org/>\n"
    row = next(
        iter(
            opened.query(
                prologue
                + """SELECT ?a ?doi ?author WHERE {
        ?a schema:identifier [ schema:propertyID "DOI" ; schema:value ?doi ] ;
           schema:author/schema:name ?author } LIMIT 1"""
            )
        )
    )  # type: ignore[call-overload]
    articles = [
        r["a"].value  # type: ignore[index]
        for r in opened.query(
            prologue + "SELECT ?a WHERE { ?a a schema:ScholarlyArticle } LIMIT 5000"
        )  # type: ignore[union-attr]
    ]
    opened.close()
    picked = random.Random(5).sample(articles, min(count, len(articles)))
    return row["doi"].value, row["author"].value, row["a"].value, picked


def bench_sparql(
    report: Report, big: Path, small: Path | None, repeat: int, wrk_seconds: int
) -> None:
    doi, author, article, picked = sample_store(big, 50)
    our_port, ox_port = free_port(), free_port()
    # Its own default graph is our published view: the same dataset as /sparql answers from.
    ox = ["oxigraph", "serve-read-only", "--location", str(big), "--bind", f"127.0.0.1:{ox_port}"]
    our_url, ox_url = f"http://127.0.0.1:{our_port}", f"http://127.0.0.1:{ox_port}"
    ox_binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    ox[0] = ox_binary
    first = f"{our_url}/{picked[0].removeprefix(BASE)}"
    with (
        server(ours(big, our_port), first) as startup,
        server(ox, f"{ox_url}/query?query=ASK%7B%7D"),
    ):
        report.row("startup", "publisher serve: first resource page answered", f"{startup:.2f} s")
        report.numbers["startup_s"] = startup
        client = httpx.Client(timeout=120)
        ratios = []
        for query in queries(doi, author, article):
            try:
                mine = latencies(sparql_get(client, f"{our_url}/sparql", query), 2, repeat)
            except QueryStopped as stopped:  # a big store: our endpoint's limit, not a bug
                report.row("sparql vs oxigraph", query.name, str(stopped), "", "", "", "")
                continue
            theirs = latencies(sparql_get(client, f"{ox_url}/query", query), 2, repeat)
            ratio = statistics.median(mine) / statistics.median(theirs)
            ratios.append(ratio)
            report.row("sparql vs oxigraph", query.name, *_p(mine), *_p(theirs), f"{ratio:.2f}")
        geo = math.exp(statistics.fmean(math.log(r) for r in ratios))
        report.row("sparql vs oxigraph", "geometric mean of ratios", "", "", "", "", f"{geo:.2f}")
        report.numbers["sparql_over_oxigraph"] = geo
        bench_resources(report, client, our_url, ox_url, picked, repeat)
        if shutil.which("wrk") is None:
            bench_concurrent(report, our_url, picked)
        client.close()
    if shutil.which("wrk") is not None:
        bench_wrk(report, big, sample_store(big, 2000)[3], wrk_seconds)
    if small is not None:
        bench_rdflib_endpoint(report, small, repeat)


def _p(times: list[float]) -> tuple[str, str]:
    return f"{pct(times, 0.5):.2f}", f"{pct(times, 0.99):.2f}"


def bench_resources(
    report: Report, client: httpx.Client, our_url: str, ox_url: str, picked: list[str], repeat: int
) -> None:
    cycle = iter(picked * (repeat + 10))

    def mine() -> None:
        response = client.get(
            f"{our_url}/{next(cycle).removeprefix(BASE)}", headers={"Accept": TURTLE}
        )
        assert response.status_code == 200, response.status_code

    def theirs() -> None:
        query = f"DESCRIBE <{next(cycle)}>"
        response = client.get(
            f"{ox_url}/query", params={"query": query}, headers={"Accept": TURTLE}
        )
        assert response.status_code == 200, response.status_code

    a, b = latencies(mine, 5, repeat * 3), latencies(theirs, 5, repeat * 3)
    ratio = statistics.median(a) / statistics.median(b)
    report.row(
        "resource (Turtle)", "article page vs Oxigraph DESCRIBE", *_p(a), *_p(b), f"{ratio:.2f}"
    )
    report.numbers["resource_over_describe"] = ratio


def bench_concurrent(
    report: Report, our_url: str, picked: list[str], clients: int = 32, each: int = 40
) -> None:
    times: list[float] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        r = random.Random(seed)
        with httpx.Client(timeout=60) as client:
            for _ in range(each):
                started = time.perf_counter()
                response = client.get(
                    f"{our_url}/{r.choice(picked).removeprefix(BASE)}", headers={"Accept": TURTLE}
                )
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200
                with lock:
                    times.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    report.row(
        "32 clients, resource pages",
        "Python threads (httpx)",
        f"{len(times)} requests",
        *_p(times),
        f"{len(times) / wall:,.0f} req/s",
    )
    report.numbers["concurrent_p99_ms"] = pct(times, 0.99)


def bench_wrk(report: Report, store: Path, articles: list[str], seconds: int = 20) -> None:
    """32 connections from wrk (a C client: the load generator takes little of the two
    cores) on the Turtle pages of up to 2,000 articles in turn, against `publisher serve`
    with one web process and with two (--workers 2, one per core)."""
    from load import Server, run_wrk

    mix = [(a.removeprefix(BASE.rstrip("/")), TURTLE) for a in articles]
    for workers in (1, 2):
        port = free_port()
        command = [*ours(store, port), "--workers", str(workers)]
        with server(command, f"http://127.0.0.1:{port}{mix[0][0]}") as _:
            target = Server(None, f"http://127.0.0.1:{port}")  # type: ignore[arg-type]
            run_wrk(target, mix, 3, 32)  # warm-up
            phase = run_wrk(target, mix, seconds, 32)
        report.row(
            "32 clients, resource pages",
            f"wrk, {len(mix):,} articles, {workers} web process{'es' if workers > 1 else ''}",
            f"{phase.requests:,} requests, {phase.non_2xx_3xx + phase.socket_errors} errors",
            f"{phase.p50_ms:.1f}",
            f"{phase.p99_ms:.1f}",
            f"{phase.requests / phase.seconds:,.0f} req/s",
        )
        report.numbers[f"wrk_p99_ms_workers_{workers}"] = phase.p99_ms


def bench_rdflib_endpoint(report: Report, small: Path, repeat: int) -> None:
    """rdflib-endpoint serves a union N-Triples dump (it has no named graphs), so the
    queries that use GRAPH are left out of this comparison."""
    binary = shutil.which("rdflib-endpoint") or str(Path(sys.executable).parent / "rdflib-endpoint")
    if not Path(binary).exists():
        report.row(
            "sparql vs rdflib-endpoint",
            "skipped: rdflib-endpoint not installed (pip install -e '.[bench]')",
        )
        return
    doi, author, article, _ = sample_store(small, 1)
    dump = small.parent / "naive-union.nt"
    opened = OxigraphStore(small, read_only=True)
    from pyoxigraph import RdfFormat, serialize

    triples = [q.triple for q in opened._store.quads_for_pattern(None, None, None, None)]
    dump.write_bytes(serialize(triples, format=RdfFormat.N_TRIPLES) or b"")
    opened.close()
    our_port, rdf_port = free_port(), free_port()
    rdf = [binary, "serve", "--host", "127.0.0.1", "--port", str(rdf_port), str(dump)]
    our_url, rdf_url = f"http://127.0.0.1:{our_port}", f"http://127.0.0.1:{rdf_port}"
    with (
        server(ours(small, our_port), f"{our_url}/sparql?query=ASK%7B%7D"),
        server(rdf, f"{rdf_url}/?query=ASK%7B%7D", timeout=1800),  # it parses everything first
    ):
        client = httpx.Client(timeout=300)
        ratios = []
        for query in queries(doi, author, article):
            if "GRAPH" in query.text:
                continue
            mine = latencies(sparql_get(client, f"{our_url}/sparql", query), 1, max(3, repeat // 5))
            theirs = latencies(sparql_get(client, f"{rdf_url}/", query), 1, max(3, repeat // 5))
            ratio = statistics.median(theirs) / statistics.median(mine)
            ratios.append(ratio)
            report.row(
                "sparql vs rdflib-endpoint",
                query.name,
                *_p(mine),
                *_p(theirs),
                f"{ratio:.1f}x faster",
            )
        geo = math.exp(statistics.fmean(math.log(r) for r in ratios))
        report.row(
            "sparql vs rdflib-endpoint", "geometric mean", "", "", "", "", f"{geo:.1f}x faster"
        )
        report.numbers["rdflib_endpoint_over_ours"] = geo
        client.close()


# --- main ------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, "
        f"{platform.system()}; load average now {load}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_ingest":
        return _ingest_main(sys.argv[2:])
    # Ctrl-C stops the benchmark even when it was started with SIGINT ignored (a job a
    # script put in the background inherits that).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20000, help="records for the fast runs")
    parser.add_argument("--naive-records", type=int, default=500, help="records for the naive run")
    parser.add_argument("--format", default="csl-json", choices=("csl-json", "ris", "pubmed"))
    parser.add_argument("--broken-rate", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per query")
    parser.add_argument("--no-serve", action="store_true", help="ingest and stages only")
    parser.add_argument(
        "--scale", action="store_true", help="big runs: the fast ingest with jobs 2 only"
    )
    parser.add_argument(
        "--wrk-seconds", type=int, default=20, help="each 32-connection wrk run (when installed)"
    )
    parser.add_argument("--work", type=Path, help="keep files here (default: a temp dir)")
    parser.add_argument(
        "--serve-store",
        type=Path,
        help="only the serving part, on this existing store (e.g. an ingest stopped early)",
    )
    parser.add_argument(
        "--view-rounds", type=int, default=1, help="rounds of the view-cost comparison"
    )
    parser.add_argument(
        "--view-only", action="store_true", help="only the view-cost comparison (then stop)"
    )
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    if args.serve_store:
        report = Report()
        print(f"machine: {machine()}\nstore: {args.serve_store}", flush=True)
        bench_sparql(report, args.serve_store, None, args.repeat, args.wrk_seconds)
        print(f"machine at the end: {machine()}")
        print_tables(report)
        return None
    work = args.work or Path(tempfile.mkdtemp(prefix="publisher-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    suffix = SUFFIX[args.format]
    big = generate(
        work / f"records{suffix}", args.records, args.format, broken_rate=args.broken_rate
    )
    small = generate(
        work / f"naive{suffix}", args.naive_records, args.format, broken_rate=args.broken_rate
    )
    other = "ris" if args.format != "ris" else "pubmed"
    twins, _ = generate_twins(
        work / f"twins{SUFFIX[other]}", args.records, other, broken_rate=args.broken_rate
    )
    report = Report()
    print(f"machine: {machine()}\nwork folder: {work}", flush=True)
    if args.view_only:
        bench_view(report, work, big, twins, args.view_rounds)
        print(f"machine at the end: {machine()}")
        print_tables(report)
        if args.json:
            args.json.write_text(json.dumps({"machine": machine(), **report.numbers}, indent=2))
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
        return None
    bench_ingest(report, work, big, small, args.records, args.naive_records, not args.scale)
    bench_view(report, work, big, twins, args.view_rounds)
    if not args.scale:
        bench_stages(report, big, min(args.records, 5000), min(args.naive_records, 200))
    if not args.no_serve:
        # rdflib-endpoint holds everything in memory: it gets the jobs-1 store (the same
        # records), except in --scale runs, where it gets the naive run's small store.
        rdflib_store = work / ("store-naive-1" if args.scale else "store-fast-1")
        bench_sparql(report, work / "store-fast-2", rdflib_store, args.repeat, args.wrk_seconds)
    print(f"machine at the end: {machine()}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), **report.numbers}, indent=2))
    print_tables(report)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return None


HEADERS = {
    "ingest": [
        "run",
        "records",
        "records/s",
        "pipeline s",
        "statistics s",
        "accepted/rejected",
        "peak RSS MiB main / worker",
        "CPU s (all processes)",
        "store MiB",
    ],
    "view cost": [
        "run",
        "records",
        "records/s",
        "seconds (with statistics)",
        "CPU s (all processes)",
        "store MiB",
    ],
    "stages": ["stage", "records", "records/s"],
    "startup": ["what", "time"],
    "sparql vs oxigraph": [
        "query",
        "ours p50 ms",
        "ours p99 ms",
        "Oxigraph p50 ms",
        "Oxigraph p99 ms",
        "ours / Oxigraph (p50)",
    ],
    "resource (Turtle)": [
        "request",
        "ours p50 ms",
        "ours p99 ms",
        "DESCRIBE p50 ms",
        "DESCRIBE p99 ms",
        "ours / Oxigraph (p50)",
    ],
    "32 clients, resource pages": ["client", "requests", "p50 ms", "p99 ms", "throughput"],
    "sparql vs rdflib-endpoint": [
        "query",
        "ours p50 ms",
        "ours p99 ms",
        "rdflib-endpoint p50 ms",
        "rdflib-endpoint p99 ms",
        "speed-up",
    ],
}


def print_tables(report: Report) -> None:
    for section, rows in report.sections.items():
        header = HEADERS.get(section, [])
        print(f"\n**{section}**\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row + [""] * (len(header) - len(row))) + " |")


def _ingest_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--naive", action="store_true")
    parser.add_argument("--no-view", action="store_true")
    args = parser.parse_args(argv)
    with stop_on_sigint() as stop:
        try:
            numbers = ingest_once(
                args.paths, args.store, args.jobs, not args.naive, args.batch, stop,
                view=not args.no_view,
            )  # fmt: skip
        except KeyboardInterrupt:
            print("interrupted: the store holds whole records only", file=sys.stderr)
            sys.exit(130)
    print(json.dumps(numbers))


if __name__ == "__main__":
    main()
