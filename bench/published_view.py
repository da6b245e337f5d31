"""Where the published view should live: the same triples queried three ways.

Ingests N generated records through the real CLI (one named graph per source record),
then puts the de-duplicated triples of all source graphs into a second store twice, as
the store's own default graph and as one named graph, next to the source graphs (as the
published view would sit). Each benchmark query then runs against:

  union          the union of the per-record graphs (what /sparql answered until now)
  default graph  the store's real default graph
  named graph    one named graph given as the query's default graph (`default_graph=`)

Each query runs in a subprocess of its own with a time limit (Oxigraph cannot be
stopped from Python), three times; the medians are printed as a table.

    .venv/bin/python bench/published_view.py --records 20000
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph
from pyoxigraph import DefaultGraph, NamedNode, Quad

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from sparql_overhead import BASE, PROLOGUE, SELECT_JSON, Query, queries  # noqa: E402

PUBLISHED = NamedNode(f"{BASE}published")
MODES = ("union", "default graph", "named graph")
# The query an SPARQL user writes, without the GRAPH ?record workaround of the examples.
PLAIN = [
    Query(
        "articles per journal, no GRAPH (GROUP BY)",
        PROLOGUE + "SELECT ?journal (COUNT(DISTINCT ?article) AS ?n) WHERE {\n"
        "  ?article a schema:ScholarlyArticle ; schema:isPartOf/schema:isPartOf ?journal .\n"
        "  ?journal a schema:Periodical .\n} GROUP BY ?journal ORDER BY DESC(?n)",
        SELECT_JSON,
    ),
    Query(
        "articles per journal, isPartOf+ (GROUP BY)",
        PROLOGUE + "SELECT ?journal (COUNT(DISTINCT ?article) AS ?n) WHERE {\n"
        "  ?article a schema:ScholarlyArticle ; schema:isPartOf+ ?journal .\n"
        "  ?journal a schema:Periodical .\n} GROUP BY ?journal ORDER BY DESC(?n)",
        SELECT_JSON,
    ),
]


def build(records: int, folder: Path) -> tuple[Path, Path]:
    data = folder / "records.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--records",
                    str(records), "--broken-rate", "0", str(data)], check=True)  # fmt: skip
    sources = folder / "sources"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "publisher.cli", "ingest", "--store", str(sources),
                    "--base-uri", BASE, "--jobs", "2", "--quarantine", str(folder / "q"),
                    str(data)], check=True, capture_output=True)  # fmt: skip
    print(f"ingested {records} records in {time.monotonic() - started:.0f} s", flush=True)
    layered = folder / "layered"
    source_store = pyoxigraph.Store.read_only(str(sources))
    target = pyoxigraph.Store(str(layered))
    triples = set()
    quads = []
    for quad in source_store:
        quads.append(quad)
        triples.add(quad.triple)
    target.bulk_extend(quads)
    target.bulk_extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
    target.bulk_extend(Quad(t.subject, t.predicate, t.object, PUBLISHED) for t in triples)
    target.flush()
    target.optimize()
    print(f"{len(quads)} quads in source graphs, {len(triples)} distinct triples", flush=True)
    return sources, layered


def sample_values(store_dir: Path) -> tuple[str, str, str]:
    store = pyoxigraph.Store.read_only(str(store_dir))
    row = next(iter(store.query(
        'SELECT ?doi ?author ?article WHERE { ?article <https://schema.org/identifier> ?id .'
        ' ?id <https://schema.org/propertyID> "DOI" ; <https://schema.org/value> ?doi .'
        ' ?article <https://schema.org/author> ?p . ?p <https://schema.org/name> ?author }'
        ' LIMIT 1', use_default_graph_as_union=True)))  # fmt: skip
    return row["doi"].value, row["author"].value, row["article"].value


def run_one(store_dir: str, mode: str, text: str) -> float:
    store = pyoxigraph.Store.read_only(store_dir)
    options: dict[str, object] = {}
    if mode == "union":
        options["use_default_graph_as_union"] = True
    elif mode == "named graph":
        options["default_graph"] = PUBLISHED
    started = time.perf_counter()
    result = store.query(text, **options)  # type: ignore[arg-type]
    if not isinstance(result, pyoxigraph.QueryBoolean):
        for _ in result:
            pass
    return time.perf_counter() - started


def timed(store_dir: Path, mode: str, text: str, limit: float) -> float | None:
    try:
        command = [sys.executable, __file__, "--one", str(store_dir), mode, text]
        done = subprocess.run(command, capture_output=True, text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return None
    return float(done.stdout)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(run_one(sys.argv[2], sys.argv[3], sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per query")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="published-view-") as tmp:
        sources, layered = build(args.records, Path(tmp))
        doi, author, article = sample_values(sources)
        print(f"\n{args.records} records; median seconds of {args.repeat} runs "
              f"(limit {args.limit:.0f} s)\n")  # fmt: skip
        print("| query | " + " | ".join(MODES) + " | union / default |")
        print("|---|" + "---|" * (len(MODES) + 1))
        for query in [*queries(doi, author, article), *PLAIN]:
            medians: list[float | None] = []
            for mode in MODES:
                store = sources if mode == "union" else layered
                runs = [timed(store, mode, query.text, args.limit) for _ in range(args.repeat)]
                done = [r for r in runs if r is not None]
                medians.append(statistics.median(done) if len(done) == len(runs) else None)
            cells = [f"{m:.4f}" if m is not None else f"> {args.limit:.0f}" for m in medians]
            ratio = f"{medians[0] / medians[1]:.1f}x" if medians[0] and medians[1] else "-"
            print(f"| {query.name} | " + " | ".join(cells) + f" | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
