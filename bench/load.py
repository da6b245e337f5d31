"""Load on a real server, on loopback: wrk with 64 connections mixing resource pages in
every format, search and SPARQL; then the same while one client keeps sending a
deliberately expensive query; optionally a long soak run watching the server's memory.

    .venv/bin/python bench/load.py --records 1000 --seconds 30
    .venv/bin/python bench/load.py --records 1000 --soak 600   # memory over 10 minutes

Prints one JSON document: for each phase the requests served, server errors (5xx),
other errors (sockets, timeouts), p50/p90/p99/max latency; the expensive queries sent
and how long each took to be cut (503 at the query timeout); the p99 ratio loaded /
unloaded; and for a soak run the server's resident memory (its process and its query
workers) sampled every few seconds.

wrk comes from Debian (`apt-get install wrk`); the records from bench/generate.py.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

REPO = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:8000/"
FORMATS = ["text/html", "text/turtle", "application/ld+json", "application/n-triples",
           "application/rdf+xml"]  # fmt: skip
JSON_RESULTS = "application/sparql-results+json"
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SEARCH_WORDS = ["trial", "therapy", "cohort", "outcomes", "patients", "acute", "chronic"]

# wrk's Lua: the requests in turn (each thread from its own start), 5xx counted per
# thread, one JSON line at the end.
LUA = r"""
local entries = {ENTRIES}
local position = 0
server_errors = 0
local threads = {}
function setup(thread)
  thread:set("start", #threads * 7919)
  table.insert(threads, thread)
end
function init(args)
  position = (start or 0) % #entries
end
function request()
  position = position % #entries + 1
  local e = entries[position]
  return wrk.format("GET", e[1], {["Accept"] = e[2]})
end
function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1 end
end
function done(summary, latency, requests)
  local errors = 0
  for _, thread in ipairs(threads) do errors = errors + thread:get("server_errors") end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "server_errors": %d, "socket_errors": %d,'
    .. ' "timeouts": %d, "non_2xx_3xx": %d, "p50_ms": %.2f, "p90_ms": %.2f,'
    .. ' "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, errors, e.connect + e.read + e.write,
    e.timeout, e.status, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


@dataclass
class Phase:
    requests: int
    seconds: float
    server_errors: int
    socket_errors: int
    timeouts: int
    non_2xx_3xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class Expensive:
    """The one client sending the expensive query, again and again."""

    url: str
    pause: float = 0.0  # seconds between two
    statuses: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=120) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                response = client.post(self.url + "/sparql", data={"query": EXPENSIVE},
                                       headers={"Accept": JSON_RESULTS})  # fmt: skip
                self.seconds.append(round(time.monotonic() - started, 2))
                self.statuses.append(response.status_code)
                self.stop.wait(self.pause)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def memory_kib(self) -> dict[str, int]:
        """Resident memory of the server process and, summed, of its query workers."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {"server": _rss(pid), "workers": sum(_rss(int(c)) for c in children)}


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_store(folder: Path, records: int) -> Path:
    """Generated records (bench/generate.py, CSL-JSON) ingested with the real command."""
    source = folder / "records.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), str(source),
                    "--records", str(records), "--broken-rate", "0"], check=True)  # fmt: skip
    store = folder / "store"
    result = subprocess.run(
        [sys.executable, "-m", "publisher.cli", "ingest", "--store", str(store), "--base-uri",
         BASE, "--jobs", "2", "--quarantine", str(folder / "quarantine"), str(source)],
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"ingest failed: {result.stderr[-2000:]}")
    return store


def start_server(store: Path, timeout: float, workers: int) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher.cli", "serve", "--store", str(store), "--base-uri",
         BASE, "--host", "127.0.0.1", "--port", str(port), "--query-timeout", str(timeout),
         "--query-workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/", timeout=2)
            return Server(process, url)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def request_mix(server: Server, resources: int = 60) -> list[tuple[str, str]]:
    """(path, Accept): resources in every format (60%), search (20%), SPARQL (20%)."""
    response = httpx.get(
        server.url + "/sparql",
        params={"query": "SELECT ?a WHERE { ?a a <https://schema.org/ScholarlyArticle> }"
                f" ORDER BY ?a LIMIT {resources}"},
        headers={"Accept": JSON_RESULTS},
        timeout=60,
    )  # fmt: skip
    articles = [b["a"]["value"] for b in response.json()["results"]["bindings"]]
    if not articles:
        raise SystemExit("the store holds no articles")
    paths = ["/" + iri.removeprefix(BASE) for iri in articles]
    resource_entries = [(p, fmt) for p in paths for fmt in FORMATS]
    search = [(f"/search?q={w}", "text/html") for w in SEARCH_WORDS]
    search += [(f"/search?q={w}&format=json", "application/json") for w in SEARCH_WORDS]
    queries = [
        f"SELECT ?p ?o WHERE {{ <{articles[i % len(articles)]}> ?p ?o }}" for i in range(10)
    ] + [
        "SELECT ?a ?t WHERE { ?a a <https://schema.org/ScholarlyArticle> ;"
        " <https://schema.org/name> ?t } LIMIT 20",
        "ASK { ?s a <https://schema.org/Periodical> }",
        f"DESCRIBE <{articles[0]}>",
    ]
    sparql = [(f"/sparql?query={quote(q)}", JSON_RESULTS) for q in queries]
    sparql[-1] = (sparql[-1][0], "text/turtle")
    mix: list[tuple[str, str]] = []
    # Interleaved 3:1:1 so that every stretch of the list has the same mix.
    for i, entry in enumerate(resource_entries):
        mix.append(entry)
        if i % 3 == 2:
            mix.append(search[(i // 3) % len(search)])
            mix.append(sparql[(i // 3) % len(sparql)])
    return mix


def run_wrk(server: Server, mix: list[tuple[str, str]], seconds: int, connections: int) -> Phase:
    entries = ", ".join(f"{{{json.dumps(path)}, {json.dumps(accept)}}}" for path, accept in mix)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.replace("{ENTRIES}", "{" + entries + "}"))
    try:
        result = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
             "-s", script.name, server.url],
            capture_output=True, text=True, timeout=seconds + 120,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return Phase(**json.loads(line.removeprefix("RESULT ")))
    raise SystemExit(f"wrk said: {result.stdout}{result.stderr}")


def load(server: Server, seconds: int, connections: int) -> dict[str, object]:
    """The mix unloaded, then the mix with one client sending the expensive query."""
    mix = request_mix(server)
    run_wrk(server, mix, 3, connections)  # warm-up: workers started, caches filled
    unloaded = run_wrk(server, mix, seconds, connections)
    expensive = Expensive(server.url)
    thread = threading.Thread(target=expensive.run)
    thread.start()
    try:
        loaded = run_wrk(server, mix, seconds, connections)
    finally:
        expensive.stop.set()
        thread.join()
    return {
        "connections": connections,
        "mix": {"entries": len(mix), "resources_formats": FORMATS},
        "unloaded": asdict(unloaded),
        "loaded": asdict(loaded),
        "expensive": {"statuses": expensive.statuses, "seconds": expensive.seconds},
        "p99_ratio": round(loaded.p99_ms / unloaded.p99_ms, 2),
    }


def soak(server: Server, seconds: int, connections: int) -> dict[str, object]:
    """The mix for `seconds` in 30 s wrk runs, with the expensive query once a minute;
    memory sampled before each run and at the end."""
    mix = request_mix(server)
    samples: list[dict[str, int]] = []
    phases: list[Phase] = []
    started = time.monotonic()
    expensive = Expensive(server.url, pause=60)
    thread = threading.Thread(target=expensive.run)
    thread.start()
    try:
        while time.monotonic() - started < seconds:
            samples.append({"t": round(time.monotonic() - started), **server.memory_kib()})
            phases.append(run_wrk(server, mix, 30, connections))
    finally:
        expensive.stop.set()
        thread.join()
    samples.append({"t": round(time.monotonic() - started), **server.memory_kib()})
    return {
        "seconds": round(time.monotonic() - started),
        "requests": sum(p.requests for p in phases),
        "server_errors": sum(p.server_errors for p in phases),
        "socket_errors": sum(p.socket_errors + p.timeouts for p in phases),
        "p99_ms_per_run": [p.p99_ms for p in phases],
        "expensive": {"statuses": expensive.statuses, "seconds": expensive.seconds},
        "memory_kib": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store to serve (else --records)")
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=30, help="each load phase")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=3.0, help="--query-timeout")
    parser.add_argument("--workers", type=int, default=2, help="--query-workers")
    parser.add_argument("--soak", type=int, default=0, help="seconds of soak instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-") as folder:
        store = args.store or build_store(Path(folder), args.records)
        server = start_server(store, args.timeout, args.workers)
        try:
            if args.soak:
                report = soak(server, args.soak, args.connections)
            else:
                report = load(server, args.seconds, args.connections)
        finally:
            server.stop()
    report["query_timeout"] = args.timeout
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
