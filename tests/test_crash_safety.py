"""Crash safety: a store killed mid-write holds whole records only, and the same work run
again ends with exactly the expected data, nothing lost, nothing doubled.

- `publisher ingest` of a few thousand generated records (bench/generate.py, RIS, with
  some broken records whose reports are stored too), killed with SIGKILL at seeded random
  moments several times. After each kill the store opens, every graph it holds is
  exactly that graph from a clean ingest (canonical form; ingest timestamps aside), and
  the side database (`{store}.index.sqlite`) passes SQLite's integrity check and lists
  only graphs the store holds, with the clean run's digests. The same ingest again ends
  with a store and side database equal to the clean run's (one Create per record in the
  change feed: nothing doubled).
- The server, with writes enabled, killed with SIGKILL while clients PUT graphs through
  the Graph Store Protocol and INSERT pairs of graphs with SPARQL Update: every write the
  server acknowledged is there, every graph is one whole version, every pair is both or
  neither; the writes again give exactly the expected store.
- Disk full (a small tmpfs; RLIMIT_FSIZE where mounting is not allowed) and a read-only
  store folder: one clear error, exit 3 or 2, no record rejected or quarantined for it,
  whole records only; with room again, the same ingest completes.

PUBLISHER_CRASH_RECORDS, PUBLISHER_CRASH_KILLS and PUBLISHER_CRASH_SEED change the size
(default 1000 records, 4 kills, seed 8).
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest
from conftest import BASE, REPO, start_server
from pyoxigraph import (
    CanonicalizationAlgorithm,
    Dataset,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    Triple,
)

from publisher.harvest.sidecar import Sidecar
from publisher.store.oxigraph import OxigraphStore

RECORDS = int(os.environ.get("PUBLISHER_CRASH_RECORDS", "1000"))
KILLS = int(os.environ.get("PUBLISHER_CRASH_KILLS", "4"))
SEED = int(os.environ.get("PUBLISHER_CRASH_SEED", "8"))
DATETIME = NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
WHEN = Literal("2000-01-01T00:00:00Z", datatype=DATETIME)  # stands for any ingest time
TOKEN = "crash-token-5b0f3e1a9c7d4e22"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


# --- Reading a store and its side database --------------------------------------------------


def canonical(triples: list[Triple]) -> frozenset[str]:
    """The graph with blank nodes relabelled canonically and every xsd:dateTime (when it
    was ingested) the same, as N-Triples lines: equal for equal data."""
    dataset = Dataset(
        Quad(
            t.subject,
            t.predicate,
            WHEN if isinstance(t.object, Literal) and t.object.datatype == DATETIME else t.object,
            DefaultGraph(),
        )
        for t in triples
    )
    dataset.canonicalize(CanonicalizationAlgorithm.UNSTABLE)
    return frozenset(str(quad.triple) for quad in dataset)


def store_graphs(path: Path) -> dict[str, frozenset[str]]:
    """Every named graph of the store, and its default graph (the published view) as
    "default", canonical. Opening it is part of the test."""
    store = OxigraphStore(path, read_only=True)
    try:
        graphs = {g.value: canonical(store.graph_triples(g)) for g in store.graph_names()}
        return {**graphs, "default": canonical(store.graph_triples(None))}
    finally:
        store.close()


def is_record_graph(iri: str) -> bool:
    """A record's graph or a rejected record's report (not the dataset's own graphs,
    which ingest rewrites on its way out, nor the published view's, which a killed run
    leaves marked for the next to finish: the rerun must make them the clean run's)."""
    return iri.startswith(f"{BASE}graph/") and iri not in (
        f"{BASE}graph/statistics",
        f"{BASE}graph/conformance",
        f"{BASE}graph/provenance",
        f"{BASE}graph/pending",
    )


@dataclass(frozen=True)
class SideDatabase:
    graphs: dict[str, tuple[str, int]]  # graph IRI -> (digest, live)
    resources: dict[str, tuple[str, int]]  # IRI -> (kind, live)
    changes: Counter[tuple[str, str, str]]  # (type, resource, graph)
    search: Counter[tuple[str, ...]]
    statistics: frozenset[tuple[str, str, int]]


def side_database(store: Path) -> SideDatabase:
    """The side database's rows, read as the server reads them (read-only, which must
    work right after a kill, when SQLite finds a hot journal)."""
    path = Path(f"{store}.index.sqlite")
    served = Sidecar(path, read_only=True)
    changes_served = served.change_count()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        graphs = {iri: (d, live) for iri, d, live in db.execute(
            "SELECT iri, digest, live FROM graphs")}  # fmt: skip
        resources = {iri: (kind, live) for iri, kind, live in db.execute(
            "SELECT iri, kind, live FROM resources")}  # fmt: skip
        changes = Counter(db.execute(
            "SELECT c.type, r.iri, g.iri FROM changes c JOIN resources r ON r.id = c.resource"
            " LEFT JOIN graphs g ON g.id = c.graph"
        ).fetchall())  # fmt: skip
        search = Counter(db.execute(
            "SELECT title, abstract, authors, journal, subjects FROM search"
        ).fetchall())  # fmt: skip
        statistics = frozenset(db.execute("SELECT kind, term, n FROM statistics").fetchall())
    assert changes_served == sum(changes.values())
    return SideDatabase(graphs, resources, changes, search, statistics)


def feed_published(store: Path) -> set[str]:
    """The resources whose last activity in the change feed says they are published
    (Create or Update: which one depends on the path; a resource renamed before a killed
    run's side database heard of it may never appear, where the clean run said Create
    then Delete)."""
    with sqlite3.connect(f"file:{store}.index.sqlite?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT r.iri, c.type FROM changes c JOIN resources r ON r.id = c.resource"
            " ORDER BY c.seq"
        ).fetchall()
    return {iri for iri, kind in dict(rows).items() if kind != "Delete"}


# --- Ingest -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clean:
    source: Path
    store: Path
    graphs: dict[str, frozenset[str]]
    side: SideDatabase
    seconds: float


def ingest_command(store: Path, source: Path, quarantine: Path | None = None) -> list[str]:
    quarantine = quarantine or store.parent / "quarantine"
    return [sys.executable, "-m", "publisher.cli", "ingest", "--store", str(store),
            "--base-uri", BASE, "--jobs", "2", "--quarantine", str(quarantine),
            str(source)]  # fmt: skip


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Clean:
    """The generated records ingested once, without interruption: what every run must
    end with."""
    folder = tmp_path_factory.mktemp("crash-clean")
    source = folder / "records.ris"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), str(source), "--records",
         str(RECORDS), "--format", "ris", "--seed", str(SEED), "--broken-rate", "0.02"],
        check=True, timeout=300,
    )  # fmt: skip
    store = folder / "store"
    started = time.monotonic()
    result = subprocess.run(ingest_command(store, source), capture_output=True, text=True,
                            timeout=900)  # fmt: skip
    seconds = time.monotonic() - started
    assert result.returncode == 1, result.stderr  # the broken records are rejected
    graphs = store_graphs(store)
    records = [g for g in graphs if is_record_graph(g) and not g.endswith("/validation")]
    assert len(records) > RECORDS * 0.9
    return Clean(source, store, graphs, side_database(store), seconds)


def check_whole(store: Path, clean: Clean, creates_only: bool = True) -> int:
    """Every record graph the store holds is exactly the clean run's; the side database
    is sound and lists nothing the store lacks (and, with `creates_only`, its change feed
    has one Create per resource: records that the view joins make Updates and Deletes).
    Returns how many record graphs there are."""
    graphs = store_graphs(store)
    records = {g: triples for g, triples in graphs.items() if is_record_graph(g)}
    for graph, triples in records.items():
        assert triples == clean.graphs[graph], f"{graph} is not whole"
    if not Path(f"{store}.index.sqlite").exists():
        return len(records)
    side = side_database(store)
    for graph, (digest, live) in side.graphs.items():
        assert live == 1 and graph in records, f"the side database lists {graph}"
        assert digest == clean.side.graphs[graph][0]
    if creates_only:
        assert set(side.changes.values()) <= {1}  # nothing logged twice
        assert {kind for kind, _, _ in side.changes} <= {"Create"}  # and no record changed
    return len(records)


def test_sigkill_during_ingest_leaves_whole_records_and_rerun_completes(
    clean: Clean, tmp_path: Path
) -> None:
    kill_and_rerun(clean, tmp_path, expected_exit=1)  # the broken records are rejected


@pytest.fixture(scope="module")
def clean_joins(tmp_path_factory: pytest.TempPathFactory) -> Clean:
    """Records whose resources the published view joins (identity): 40 journals with two
    ISSNs that each record gives one or both of, people with ORCID iDs who write several
    articles (bench/generate.py --joins), ingested once without interruption."""
    folder = tmp_path_factory.mktemp("crash-joins")
    source = folder / "records.json"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), str(source), "--records",
         str(RECORDS // 2), "--format", "csl-json", "--seed", str(SEED), "--broken-rate", "0",
         "--joins", "--journals", "40"],
        check=True, timeout=300,
    )  # fmt: skip
    store = folder / "store"
    started = time.monotonic()
    result = subprocess.run(ingest_command(store, source), capture_output=True, text=True,
                            timeout=900)  # fmt: skip
    seconds = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    graphs = store_graphs(store)
    aliases = [line for line in graphs["default"] if "owl#sameAs" in line]
    assert len(aliases) >= 40, "every journal is known by two ISSNs: one alias each at least"
    assert any("/person/orcid/" in line for line in graphs["default"])
    return Clean(source, store, graphs, side_database(store), seconds)


def test_sigkill_while_the_view_joins_resources(clean_joins: Clean, tmp_path: Path) -> None:
    """Killed while journals and people are being joined and renamed (the view's
    aliases, the articles that point at them), the rerun ends with the clean run's
    view, provenance and records."""
    kill_and_rerun(clean_joins, tmp_path, expected_exit=0, creates_only=False)


def kill_and_rerun(
    clean: Clean, tmp_path: Path, expected_exit: int, creates_only: bool = True
) -> None:
    """Runs of the clean run's ingest killed with SIGKILL at seeded random moments,
    each leaving whole records only; then one to the end, which must give the clean
    run's store (every graph, the view and its provenance) and side database."""
    store = tmp_path / "store"
    command = ingest_command(store, clean.source)
    rng = random.Random(SEED)
    held = []
    killed = 0
    total = len([g for g in clean.graphs if is_record_graph(g)])
    for _ in range(KILLS):
        # A run resumes where the last stopped (records already whole are kept as they
        # are, quickly): the kill is drawn within what is left of the work.
        left = 1 - (held[-1] / total if held else 0)
        delay = rng.uniform(0.15, 0.8) * clean.seconds * max(left, 0.3)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        try:
            process.wait(timeout=delay)  # finished before the kill: allowed, counted
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # it and its worker processes
            process.wait(timeout=30)
            killed += 1
        held.append(check_whole(store, clean, creates_only))
    print(f"{killed} of {KILLS} runs killed; record graphs held after each: {held}")
    assert killed >= KILLS // 2  # how many land before a run ends depends on the machine
    assert any(0 < n < total for n in held)

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == expected_exit, rerun.stderr
    assert store_graphs(store) == clean.graphs
    side = side_database(store)
    if creates_only:
        assert side == clean.side
        return
    # The feed's path depends on where the kills fell (a journal joined within one batch
    # of the clean run, across two of a killed one: an alias published, then withdrawn),
    # but not where it ends: every resource's last activity says what the clean run's says
    # (published or not).
    assert replace(side, changes=Counter()) == replace(clean.side, changes=Counter())
    assert feed_published(store) == feed_published(clean.store)


# --- The server killed during writes -------------------------------------------------------------

GRAPHS = 24


def graph_iri(n: int) -> str:
    return f"http://example.org/crash/graph/{n}"


def version(n: int, v: int) -> str:
    """Version v of graph n, 200 triples: which version a stored graph is can be told."""
    return "".join(
        f'<http://example.org/crash/{n}/{k}> <http://example.org/p> "v{v} k{k}" .\n'
        for k in range(200)
    )


def pair_update(i: int) -> str:
    body = "".join(
        f"GRAPH <http://example.org/crash/pair/{i}/{side}> {{"
        + "".join(f' <urn:p:{i}:{k}> <urn:side> "{side}" .' for k in range(100))
        + " }\n"
        for side in ("a", "b")
    )
    return f"INSERT DATA {{\n{body}}}"


def put_version(client: httpx.Client, url: str, n: int, v: int) -> httpx.Response:
    return client.put(
        url + "/rdf-graphs/service",
        params={"graph": graph_iri(n)},
        content=version(n, v).encode(),
        headers={"Content-Type": "application/n-triples", **AUTH},
    )


def insert_pair(client: httpx.Client, url: str, i: int) -> httpx.Response:
    return client.post(
        url + "/sparql",
        content=pair_update(i).encode(),
        headers={"Content-Type": "application/sparql-update", **AUTH},
    )


@dataclass
class Writer:
    """Writes until the server is gone; remembers what was acknowledged and what was in
    flight when it went."""

    url: str
    rng: random.Random
    acknowledged: dict[int, int] = field(default_factory=dict)  # graph -> last version
    in_flight: dict[int, int] = field(default_factory=dict)
    pairs: set[int] = field(default_factory=set)
    pairs_in_flight: set[int] = field(default_factory=set)  # sent, never acknowledged
    writes: int = 0

    def run(self, start: int) -> None:
        with httpx.Client(timeout=30) as client:
            step = start
            while True:
                step += 1
                try:
                    if step % 5 == 0:
                        self.pairs_in_flight.add(step)
                        response = insert_pair(client, self.url, step)
                        assert response.status_code == 204, response.text
                        self.pairs.add(step)
                        self.pairs_in_flight.discard(step)
                    else:
                        n = self.rng.randrange(GRAPHS)
                        self.in_flight[n] = step
                        response = put_version(client, self.url, n, step)
                        assert response.status_code in (201, 204), response.text
                        self.acknowledged[n] = step
                        del self.in_flight[n]
                    self.writes += 1
                except httpx.TransportError:
                    return


def stored_triples(path: Path) -> dict[str, frozenset[str]]:
    store = OxigraphStore(path, read_only=True)
    try:
        return {g.value: frozenset(map(str, store.graph_triples(g))) for g in store.graph_names()}
    finally:
        store.close()


def as_set(ntriples: str) -> frozenset[str]:
    return frozenset(line.removesuffix(" .") for line in ntriples.splitlines())


def pair_side(i: int, side: str) -> frozenset[str]:
    return frozenset(f'<urn:p:{i}:{k}> <urn:side> "{side}"' for k in range(100))


def check_writes(path: Path, writer: Writer) -> None:
    held = stored_triples(path)
    for n in range(GRAPHS):
        iri = graph_iri(n)
        candidates = {v for v in (writer.acknowledged.get(n), writer.in_flight.get(n)) if v}
        if n in writer.acknowledged:
            assert iri in held, f"acknowledged PUT of {iri} lost"
        if iri in held:
            assert any(held[iri] == as_set(version(n, v)) for v in candidates), f"{iri} torn"
    pair_graphs = {g for g in held if "/pair/" in g}
    for i in writer.pairs:
        for side in ("a", "b"):
            assert held[f"http://example.org/crash/pair/{i}/{side}"] == pair_side(i, side)
    stray = {int(g.split("/")[-2]) for g in pair_graphs} - writer.pairs
    assert stray <= writer.pairs_in_flight  # only pairs being written at a kill
    for i in stray:
        assert held[f"http://example.org/crash/pair/{i}/a"] == pair_side(i, "a")
        assert held[f"http://example.org/crash/pair/{i}/b"] == pair_side(i, "b")


def test_sigkill_of_the_server_during_writes(tmp_path: Path) -> None:
    path = tmp_path / "store"
    OxigraphStore(path).close()
    rng = random.Random(SEED)
    writer = Writer("", rng)
    kills = 0
    for round_ in range(3):
        process, server = start_server(
            path, extra_args=["--enable-updates"], env={"PUBLISHER_WRITE_TOKEN": TOKEN}
        )
        writer.url = server.url
        thread = threading.Thread(target=writer.run, args=(round_ * 100_000,))
        thread.start()
        before = writer.writes
        time.sleep(rng.uniform(1.0, 3.0))
        # Mid-writes, after at least 8 of this round acknowledged (a loaded machine writes
        # fewer in the same time).
        deadline = time.monotonic() + 120
        while writer.writes < before + 8 and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        thread.join(timeout=60)
        check_writes(path, writer)
    assert writer.writes > 20, writer.writes
    print(f"{kills} server kills, {writer.writes} acknowledged writes, all whole")

    # The writes again (PUT is idempotent, INSERT DATA of a set too): exactly expected.
    process, server = start_server(
        path, extra_args=["--enable-updates"], env={"PUBLISHER_WRITE_TOKEN": TOKEN}
    )
    try:
        final = {n: writer.in_flight.get(n) or writer.acknowledged[n]
                 for n in set(writer.acknowledged) | set(writer.in_flight)}  # fmt: skip
        pairs = writer.pairs | writer.pairs_in_flight
        with httpx.Client(timeout=30) as client:
            for n, v in final.items():
                assert put_version(client, server.url, n, v).status_code in (201, 204)
            for i in pairs:
                assert insert_pair(client, server.url, i).status_code == 204
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    expected = {graph_iri(n): as_set(version(n, v)) for n, v in final.items()}
    for i in pairs:
        for side in ("a", "b"):
            expected[f"http://example.org/crash/pair/{i}/{side}"] = pair_side(i, side)
    assert stored_triples(path) == expected


# --- Disk full, read-only -----------------------------------------------------------------------


@dataclass
class SmallDisk:
    """A folder on a small disk: a tmpfs of `megabytes` when we may mount one (root),
    else files capped at that size (RLIMIT_FSIZE) in the processes `run` starts."""

    folder: Path
    megabytes: int
    mounted: bool
    limited: bool = True

    def run(
        self, command: list[str], env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        cap = self.megabytes * 1024 * 1024
        limit: Callable[[], None] | None = None
        if self.limited and not self.mounted:

            def limit() -> None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))

        return subprocess.run(command, capture_output=True, text=True, timeout=900,
                              preexec_fn=limit, env={**os.environ, **(env or {})})  # fmt: skip

    def grow(self) -> None:
        """Room again."""
        if self.mounted:
            remount(self.folder, "size=2g")
        self.limited = False

    def read_only(self) -> None:
        if self.mounted:
            remount(self.folder, "ro")
        elif os.geteuid() == 0:
            pytest.skip("root writes through permissions, and no read-only mount is allowed")
        else:
            for path in [self.folder, *self.folder.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)


def remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True, timeout=60)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(folder)],
        capture_output=True, timeout=60,
    ).returncode == 0  # fmt: skip
    try:
        yield SmallDisk(folder, 12, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "--lazy", str(folder)], timeout=60)


def test_a_full_disk_stops_ingest_with_a_clear_error(clean: Clean, small_disk: SmallDisk) -> None:
    store = small_disk.folder / "store"
    command = ingest_command(store, clean.source, small_disk.folder.parent / "quarantine")
    result = small_disk.run(command)
    assert result.returncode == 3, result.stdout + result.stderr
    meaning = "the disk is full" if small_disk.mounted else "a file would grow past"
    assert f"cannot write to the store at {store}" in result.stderr, result.stderr
    assert meaning in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "could not store" not in result.stdout + result.stderr  # no record blamed
    held = check_whole(store, clean)
    print(f"the full disk held {held} whole record graphs")
    assert 0 < held < len([g for g in clean.graphs if is_record_graph(g)])

    small_disk.grow()
    rerun = small_disk.run(command)
    assert rerun.returncode == 1, rerun.stderr  # the broken records only
    assert store_graphs(store) == clean.graphs
    assert side_database(store) == clean.side


def test_a_read_only_store_folder(clean: Clean, small_disk: SmallDisk) -> None:
    """Ingest and a writable server refuse with a clear error and change nothing; a
    read-only server publishes from it."""
    small_disk.grow()
    store = small_disk.folder / "store"
    shutil.copytree(clean.store, store)
    shutil.copy(Path(f"{clean.store}.index.sqlite"), Path(f"{store}.index.sqlite"))
    command = ingest_command(store, clean.source, small_disk.folder.parent / "quarantine")
    small_disk.read_only()
    before = store_graphs(store)
    result = small_disk.run(command)
    assert result.returncode == 2, result.stderr
    assert f"cannot open the store at {store}" in result.stderr
    assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr
    assert "Traceback" not in result.stderr
    serve = small_disk.run(
        [sys.executable, "-m", "publisher.cli", "serve", "--store", str(store), "--enable-updates"],
        {"PUBLISHER_WRITE_TOKEN": TOKEN},
    )
    assert serve.returncode == 2
    assert f"cannot open the store at {store} read-write" in serve.stderr
    assert store_graphs(store) == before == clean.graphs
    process, server = start_server(store)
    try:
        response = httpx.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"},
                             headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        assert response.json()["boolean"] is True
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_a_full_disk_refuses_web_writes_with_503(small_disk: SmallDisk) -> None:
    """Graph Store PUTs until the disk is full: each refused one is a 503 saying so, never
    a 500; the store keeps every acknowledged graph whole and still answers queries."""
    if not small_disk.mounted:
        pytest.skip("needs a small tmpfs (root, mount allowed)")
    path = small_disk.folder / "store"
    OxigraphStore(path).close()
    process, server = start_server(
        path, extra_args=["--enable-updates"], env={"PUBLISHER_WRITE_TOKEN": TOKEN}
    )
    acknowledged: list[int] = []
    refused: list[httpx.Response] = []
    try:
        with httpx.Client(timeout=60) as client:
            for n in range(400):
                response = put_version(client, server.url, n, 1)
                if response.status_code >= 500:
                    refused.append(response)
                    if len(refused) == 3:
                        break
                else:
                    assert response.status_code == 201, response.text
                    acknowledged.append(n)
            count = client.get(
                server.url + "/sparql",
                params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
                headers={"Accept": "application/sparql-results+json"},
            )
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert acknowledged and len(refused) == 3
    for response in refused:
        assert response.status_code == 503
        assert response.text.startswith(f"cannot write to the store at {path}: the disk is full")
    assert count.json()["results"]["bindings"][0]["n"]["value"] == str(200 * len(acknowledged))
    held = stored_triples(path)
    assert held == {graph_iri(n): as_set(version(n, 1)) for n in acknowledged}
