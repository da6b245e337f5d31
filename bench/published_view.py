"""Where the published view should live: the same triples and queries on three stores.

Ingests N generated records through the real CLI into an embedded store (one named graph
per source record, the published view in the default graph, the provenance graph). From
it two stores are made: `sources`, the record graphs alone, and `layered`, everything the
ingest wrote plus the view once more as the named graph `{base}graph/published`. Each
benchmark query then runs on each store against:

  union          the union of the record graphs: pyoxigraph's `use_default_graph_as_union`
                 on `sources`; `oxigraph serve --union-default-graph` on `sources`;
                 Virtuoso's default graph while it holds the record graphs alone
  default graph  the store's own default graph, the view (`layered`; `oxigraph serve`
                 without `--union-default-graph`). Virtuoso's default graph is always the
                 union of all its graphs: there, that union once the view and the
                 provenance are loaded too (its answers are not the view's: only the cost)
  named graph    the view's named graph as the query's default graph (`default_graph=`;
                 the SPARQL Protocol's `default-graph-uri`)
  FROM           the same, by `FROM <{base}graph/published>` in the query text

The servers are started as the tests start them (tests/remote_stores.py, loopback, their
own folders), with their own limit per query, and stopped by process id. Virtuoso's graphs
are bulk loaded from N-Quads (isql: `ld_dir`, `rdf_loader_run`). Embedded: each query in a
subprocess of its own (Oxigraph cannot be stopped from Python), time of the query and
reading its answer; servers: time of the HTTP request and reading the whole answer over
loopback. Each query runs `--repeat` times; medians. A query past the limit is not run
again.

    .venv/bin/python bench/published_view.py --records 10000
    .venv/bin/python bench/published_view.py --records 300 --stores embedded,oxigraph  # smoke
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyoxigraph
from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))

from remote_stores import Endpoints, oxigraph_server, virtuoso_server  # noqa: E402
from sparql_overhead import BASE, PROLOGUE, SELECT_JSON, Query, queries  # noqa: E402

from publisher.store.layout import Layout  # noqa: E402

LAYOUT = Layout(BASE)
PUBLISHED = LAYOUT.published
MODES = ("union", "default graph", "named graph", "FROM")
# Where each store keeps the view (docs/dataset.md): the ratio column compares with it.
CHOSEN = {"embedded": "default graph", "oxigraph": "default graph", "virtuoso": "named graph"}
STORES = tuple(CHOSEN)
# Journals by the path a SPARQL user writes (no GRAPH ?record workaround, no names).
PLAIN = [
    Query(
        "articles per journal, isPartOf+ (GROUP BY)",
        PROLOGUE + "SELECT ?journal (COUNT(DISTINCT ?article) AS ?n) WHERE {\n"
        "  ?article a schema:ScholarlyArticle ; schema:isPartOf+ ?journal .\n"
        "  ?journal a schema:Periodical .\n} GROUP BY ?journal ORDER BY DESC(?n)",
        SELECT_JSON,
    ),
]

Timing = tuple[float, int] | None  # seconds and answer size (rows, triples), None: too slow


@dataclass
class Data:
    sources: Path  # the record graphs alone (a store folder)
    layered: Path  # everything ingest wrote, and the view in PUBLISHED too
    records_nq: Path  # the record graphs, for Virtuoso
    view_nq: Path  # the view as PUBLISHED, and the provenance graph, for Virtuoso
    counts: dict[str, int] = field(default_factory=dict)


def with_from(text: str) -> str:
    """The query with `FROM <published>` (before its WHERE, or its group for ASK {})."""
    at = text.find("WHERE")
    if at < 0:
        at = text.index("{")
    return f"{text[:at]}FROM {PUBLISHED} {text[at:]}"


def build(records: int, folder: Path) -> Data:
    data = folder / "records.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--records",
                    str(records), "--broken-rate", "0", str(data)], check=True)  # fmt: skip
    ingested = folder / "ingested"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "publisher.cli", "ingest", "--store", str(ingested),
                    "--base-uri", BASE, "--jobs", "2", "--quarantine", str(folder / "q"),
                    str(data)], check=True, capture_output=True)  # fmt: skip
    print(f"ingested {records} records in {time.monotonic() - started:.0f} s", flush=True)
    everything = list(pyoxigraph.Store.read_only(str(ingested)))
    view = [q for q in everything if isinstance(q.graph_name, DefaultGraph)]
    records_only = [
        q
        for q in everything
        if isinstance(q.graph_name, NamedNode) and not LAYOUT.is_view_graph(q.graph_name)
    ]
    provenance = [q for q in everything if q.graph_name == LAYOUT.provenance]
    as_published = [Quad(q.subject, q.predicate, q.object, PUBLISHED) for q in view]
    result = Data(
        sources=folder / "union" / "oxigraph",  # where tests/remote_stores serves a folder
        layered=folder / "plain" / "oxigraph",
        records_nq=folder / "records.nq",
        view_nq=folder / "view.nq",
        counts={
            "record graph quads": len(records_only),
            "view triples": len(view),
            "provenance triples": len(provenance),
        },
    )
    for location, quads in ((result.sources, records_only), (result.layered,
                            [*everything, *as_published])):  # fmt: skip
        location.parent.mkdir(parents=True)
        store = pyoxigraph.Store(str(location))
        store.bulk_extend(quads)
        store.flush()
        store.optimize()
        del store
    pyoxigraph.serialize(records_only, result.records_nq, format=RdfFormat.N_QUADS)
    pyoxigraph.serialize([*as_published, *provenance], result.view_nq, format=RdfFormat.N_QUADS)
    print(", ".join(f"{v} {k}" for k, v in result.counts.items()), flush=True)
    return result


def sample_values(store_dir: Path) -> tuple[str, str, str]:
    store = pyoxigraph.Store.read_only(str(store_dir))
    row = next(iter(store.query(
        'SELECT ?doi ?author ?article WHERE { ?article <https://schema.org/identifier> ?id .'
        ' ?id <https://schema.org/propertyID> "DOI" ; <https://schema.org/value> ?doi .'
        ' ?article <https://schema.org/author> ?p . ?p <https://schema.org/name> ?author }'
        ' LIMIT 1', use_default_graph_as_union=True)))  # type: ignore[arg-type]  # fmt: skip
    return row["doi"].value, row["author"].value, row["article"].value


# --- The embedded store --------------------------------------------------------------------


def run_one(store_dir: str, mode: str, text: str) -> tuple[float, int]:
    store = pyoxigraph.Store.read_only(store_dir)
    options: dict[str, object] = {}
    if mode == "union":
        options["use_default_graph_as_union"] = True
    elif mode == "named graph":
        options["default_graph"] = PUBLISHED
    elif mode == "FROM":
        text = with_from(text)
    started = time.perf_counter()
    result = store.query(text, **options)  # type: ignore[arg-type]
    size = 1
    if not isinstance(result, pyoxigraph.QueryBoolean):
        size = sum(1 for _ in result)
    return time.perf_counter() - started, size


def embedded(data: Data, limit: float) -> Callable[[str, Query], Timing]:
    def timed(mode: str, query: Query) -> Timing:
        store = data.sources if mode == "union" else data.layered
        command = [sys.executable, __file__, "--one", str(store), mode, query.text]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=limit + 10, check=True
            )
        except subprocess.TimeoutExpired:
            return None
        seconds, size = done.stdout.split()
        return (float(seconds), int(size)) if float(seconds) <= limit else None

    return timed


# --- Servers -------------------------------------------------------------------------------


def over_http(
    client: httpx.Client, endpoints: Endpoints, mode: str, query: Query, limit: float
) -> Timing:
    fields = [("query", with_from(query.text) if mode == "FROM" else query.text)]
    if mode == "named graph":
        fields.append(("default-graph-uri", PUBLISHED.value))
    virtuoso = endpoints.user is not None
    if virtuoso:
        fields.append(("timeout", str(int(limit * 1000))))
    started = time.perf_counter()
    try:
        response = client.post(
            endpoints.query,
            data=dict(fields),
            headers={"Accept": query.accept},
            timeout=limit + 10,
        )
    except httpx.TimeoutException:
        return None
    seconds = time.perf_counter() - started
    if "S1TAT" in response.headers.get("x-sql-state", "") or seconds > limit:
        return None  # Virtuoso's answer at its time limit (partial), or past ours
    if response.status_code != 200:
        if b"timeout" in response.content.lower() or b"timed out" in response.content.lower():
            return None
        raise SystemExit(f"{endpoints.query} {mode} {query.name}: HTTP"
                         f" {response.status_code}: {response.text[:500]}")  # fmt: skip
    return seconds, _answer_size(response, query)


def _answer_size(response: httpx.Response, query: Query) -> int:
    if query.accept != SELECT_JSON:
        return sum(1 for line in response.text.splitlines() if line.strip())
    data = response.json()
    if "boolean" in data:
        return 1
    bindings = data["results"]["bindings"]
    if data["head"]["vars"] == ["__ASK_RETVAL"]:  # Virtuoso's ASK
        return 1
    return len(bindings)


def isql(endpoints: Endpoints, statements: str) -> str:
    command = ["isql-vt", f"127.0.0.1:{endpoints.extra['sql_port']}", "dba", "dba",
               f"exec={statements}"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
        raise SystemExit(f"isql: {done.stdout[-1500:]} {done.stderr[-1500:]}")
    return done.stdout


def bulk_load(endpoints: Endpoints, nquads: Path) -> float:
    """Virtuoso's bulk loader over one N-Quads file (copied where it may read files)."""
    folder = Path(endpoints.extra["folder"])
    (folder / nquads.name).write_bytes(nquads.read_bytes())
    started = time.monotonic()
    isql(endpoints, f"ld_dir('{folder}', '{nquads.name}', 'urn:publisher:bench:none');"
                    " rdf_loader_run(); checkpoint;")  # fmt: skip
    errors = isql(endpoints, "SELECT ll_file, ll_error FROM DB.DBA.load_list"
                             " WHERE ll_error IS NOT NULL;")  # fmt: skip
    if "0 Rows" not in errors:
        raise SystemExit(f"Virtuoso's bulk loader: {errors[-1500:]}")
    return time.monotonic() - started


class Servers:
    """The running server for each mode, started when first asked for (modes come in
    MODES order), the one before stopped; Virtuoso: one server, the view loaded after
    the union's figures."""

    def __init__(self, store: str, data: Data, folder: Path, limit: float) -> None:
        self.store, self.data, self.folder, self.limit = store, data, folder, limit
        self.running: tuple[str, Endpoints] | None = None
        self.stack = ExitStack()

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *_: object) -> None:
        self.stack.close()

    def endpoints(self, mode: str) -> Endpoints:
        if self.store == "virtuoso":
            return self._virtuoso(mode)
        wanted = "union" if mode == "union" else "plain"
        if self.running is None or self.running[0] != wanted:
            self.stack.close()
            server = oxigraph_server(
                self.folder / wanted, union=wanted == "union", timeout=int(self.limit)
            )
            self.running = (wanted, self.stack.enter_context(server))
        return self.running[1]

    def _virtuoso(self, mode: str) -> Endpoints:
        if self.running is None:
            found = self.stack.enter_context(virtuoso_server(self.folder / "virtuoso-server"))
            seconds = bulk_load(found, self.data.records_nq)
            print(f"virtuoso: record graphs bulk loaded in {seconds:.0f} s", flush=True)
            self.running = ("records", found)
        held, found = self.running
        if mode != "union" and held == "records":
            seconds = bulk_load(found, self.data.view_nq)
            print(f"virtuoso: view and provenance bulk loaded in {seconds:.0f} s", flush=True)
            self.running = ("all", found)
        return found


# --- The tables ----------------------------------------------------------------------------


def measure(timed: Callable[[str, Query], Timing], query: Query, mode: str, repeat: int) -> Timing:
    runs: list[tuple[float, int]] = []
    for _ in range(repeat):
        run = timed(mode, query)
        if run is None:
            return None
        runs.append(run)
    return statistics.median(r[0] for r in runs), runs[-1][1]


def table(store: str, rows: list[tuple[str, list[Timing]]], limit: float) -> None:
    chosen = MODES.index(CHOSEN[store])
    print(f"\n{store} (seconds; rows: the answer's size in each column)\n")
    print("| query | " + " | ".join(MODES) + f" | union / {CHOSEN[store]} | rows |")
    print("|---|" + "---|" * (len(MODES) + 2))
    for name, timings in rows:
        cells = [f"{t[0]:.4f}" if t else f"> {limit:.0f}" for t in timings]
        union, view = timings[0], timings[chosen]
        ratio = f"{union[0] / view[0]:.1f}x" if union and view else "-"
        sizes = "/".join(str(t[1]) if t else "?" for t in timings)
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio} | {sizes} |", flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        seconds, size = run_one(sys.argv[2], sys.argv[3], sys.argv[4])
        print(seconds, size)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--limit", type=float, default=30.0, help="seconds per query")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stores", default=",".join(STORES))
    args = parser.parse_args()
    stores = args.stores.split(",")
    unknown = set(stores) - set(STORES)
    if unknown:
        parser.error(f"unknown stores: {', '.join(sorted(unknown))}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="published-view-") as tmp:
        folder = Path(tmp)
        data = build(args.records, folder)
        doi, author, article = sample_values(data.sources)
        every = [*queries(doi, author, article), *PLAIN]
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=REPO).stdout.strip()  # fmt: skip
        print(f"\ncommit {commit}; Python {platform.python_version()}; {args.records} records;"
              f" median of {args.repeat} runs; limit {args.limit:.0f} s per query")  # fmt: skip
        for store in stores:
            results: dict[str, list[Timing]] = {q.name: [] for q in every}
            if store == "embedded":
                timed = embedded(data, args.limit)
                for mode in MODES:
                    for query in every:
                        results[query.name].append(measure(timed, query, mode, args.repeat))
            else:
                with Servers(store, data, folder, args.limit) as running, httpx.Client() as client:
                    for mode in MODES:
                        endpoints = running.endpoints(mode)

                        def timed(m: str, q: Query, e: Endpoints = endpoints) -> Timing:
                            return over_http(client, e, m, q, args.limit)

                        for query in every:
                            results[query.name].append(measure(timed, query, mode, args.repeat))
            table(store, list(results.items()), args.limit)
    print(f"\n{time.monotonic() - started:.0f} s in all")


if __name__ == "__main__":
    main()
