"""What the HTTP endpoint costs on top of the store: /sparql over loopback vs pyoxigraph.

Builds a store (the bundled examples, ingested through the real CLI, plus optional
synthetic articles written as triples straight into the store), starts `publisher serve`
on it, and runs a fixed set of queries N times each (after a warm-up) three ways:

  in-process   the project's OxigraphStore.query on the same store files, every result
               row / triple iterated (what a Python caller of the store gets)
  +serialise   the same, plus serialising to the bytes the endpoint sends
  HTTP         GET /sparql?query=... over loopback with a keep-alive httpx client,
               the whole body read (and nothing parsed)

and prints per-query medians, the overhead ratio HTTP / in-process, and the geometric
mean of the ratios. Not a test: the numbers depend on the machine.

    .venv/bin/python bench/sparql_overhead.py                   # bundled examples only
    .venv/bin/python bench/sparql_overhead.py --records 10000   # plus 10,000 synthetic articles
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, QueryBoolean, QuerySolutions

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from publisher.mapping.vocab import BIBO, RDF, SCHEMA, XSD  # noqa: E402
from publisher.store.oxigraph import OxigraphStore  # noqa: E402
from publisher.web.formats import GRAPH_BY_MEDIA_TYPE, serialize_graph  # noqa: E402
from publisher.web.queryui import example_queries  # noqa: E402

BASE = "http://127.0.0.1:8000/"
EXAMPLES = REPO / "publisher" / "examples" / "records"
PROLOGUE = "PREFIX schema: <https://schema.org/>\nPREFIX bibo: <http://purl.org/ontology/bibo/>\n"
SELECT_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    accept: str


def queries(doi: str, author: str, article: str) -> list[Query]:
    return [
        Query(
            "DOI lookup",
            PROLOGUE + "SELECT ?article ?title WHERE {\n"
            f'  ?id schema:value "{doi}" ; schema:propertyID "DOI" .\n'
            "  ?article schema:identifier ?id ; schema:name ?title .\n}",
            SELECT_JSON,
        ),
        Query(
            "articles per journal (GROUP BY)",
            dict(example_queries())["Articles per journal"],
            SELECT_JSON,
        ),
        Query(
            "listing (ORDER BY, LIMIT 100)",
            PROLOGUE + "SELECT ?article ?title ?date WHERE {\n"
            "  ?article a schema:ScholarlyArticle ; schema:name ?title ;\n"
            "           schema:datePublished ?date .\n"
            "} ORDER BY DESC(?date) ?title LIMIT 100",
            SELECT_JSON,
        ),
        Query(
            "author by name",
            PROLOGUE + "SELECT ?article ?title WHERE {\n"
            f'  ?author schema:name "{author}" .\n'
            "  ?article schema:author ?author ; schema:name ?title .\n}",
            SELECT_JSON,
        ),
        Query(
            "ASK (an article mentions a trial)",
            PROLOGUE + "ASK { ?article schema:mentions ?trial . ?trial a schema:MedicalTrial }",
            SELECT_JSON,
        ),
        Query(
            "CONSTRUCT one article",
            f"CONSTRUCT {{ <{article}> ?p ?o }} WHERE {{ <{article}> ?p ?o }}",
            NTRIPLES,
        ),
    ]


# --- Data --------------------------------------------------------------------------------

FAMILY = [
    "Chen",
    "Müller",
    "Smith",
    "Garcia",
    "Kowalski",
    "Nguyen",
    "Okafor",
    "Rossi",
    "Sato",
    "Johansson",
    "Haddad",
    "Silva",
    "Novak",
    "Kim",
    "Dubois",
    "Ivanova",
    "Patel",
    "Cohen",
]
GIVEN = [
    "Anna",
    "Wei",
    "John",
    "Maria",
    "Piotr",
    "Linh",
    "Chidi",
    "Giulia",
    "Haruto",
    "Elin",
    "Omar",
    "Ana",
    "Jakub",
    "Min-jun",
    "Claire",
    "Olga",
    "Priya",
    "David",
]
TOPICS = [
    "asthma",
    "melanoma",
    "leukemia",
    "data sharing",
    "protein dynamics",
    "hypertension",
    "sepsis",
    "malaria",
    "stroke",
    "diabetes",
    "CAR-T therapy",
    "microbiome",
]


def synthetic_quads(count: int, seed: int = 1) -> Iterator[Quad]:
    """Articles shaped like the mapper's output, one named graph each."""
    rng = random.Random(seed)
    schema = {
        n: NamedNode(SCHEMA + n)
        for n in (
            "ScholarlyArticle",
            "Person",
            "Periodical",
            "PublicationVolume",
            "PropertyValue",
            "MedicalTrial",
            "name",
            "givenName",
            "familyName",
            "author",
            "isPartOf",
            "identifier",
            "propertyID",
            "value",
            "datePublished",
            "sameAs",
            "mentions",
            "issn",
            "volumeNumber",
            "inLanguage",
            "abstract",
        )
    }
    rdf_type, first, rest, nil = (NamedNode(RDF + n) for n in ("type", "first", "rest", "nil"))
    author_list = NamedNode(BIBO + "authorList")
    journals = max(10, count // 50)
    for i in range(count):
        graph = NamedNode(f"{BASE}graph/synthetic/{i}")
        doi = f"10.5555/synth.{i}"
        article = NamedNode(f"{BASE}article/doi/{doi}")

        def q(s: NamedNode | BlankNode, p: NamedNode, o: object, graph: NamedNode = graph) -> Quad:
            return Quad(s, p, o, graph)  # type: ignore[arg-type]

        j = rng.randrange(journals)
        issn = f"9{j:03d}-{j % 1000:03d}X"
        journal = NamedNode(f"{BASE}periodical/issn/{issn}")
        year = 1990 + rng.randrange(35)
        volume = NamedNode(f"{journal.value}/volume/{year - 1989}")
        yield q(article, rdf_type, schema["ScholarlyArticle"])
        yield q(
            article,
            schema["name"],
            Literal(f"Synthetic study {i} of {rng.choice(TOPICS)} in {rng.choice(TOPICS)}"),
        )
        yield q(
            article,
            schema["abstract"],
            Literal(" ".join(rng.choice(TOPICS) for _ in range(40)), language="en"),
        )
        yield q(article, schema["inLanguage"], Literal("en"))
        yield q(
            article,
            schema["datePublished"],
            Literal(
                f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                datatype=NamedNode(XSD + "date"),
            ),
        )
        ident = BlankNode()
        yield q(article, schema["identifier"], ident)
        yield q(ident, rdf_type, schema["PropertyValue"])
        yield q(ident, schema["propertyID"], Literal("DOI"))
        yield q(ident, schema["value"], Literal(doi))
        yield q(article, schema["sameAs"], NamedNode(f"https://doi.org/{doi}"))
        yield q(article, schema["isPartOf"], volume)
        yield q(volume, rdf_type, schema["PublicationVolume"])
        yield q(volume, schema["volumeNumber"], Literal(str(year - 1989)))
        yield q(volume, schema["isPartOf"], journal)
        yield q(journal, rdf_type, schema["Periodical"])
        yield q(
            journal, schema["name"], Literal(f"Journal of Synthetic {TOPICS[j % len(TOPICS)]} {j}")
        )
        yield q(journal, schema["issn"], Literal(issn))
        cells = [BlankNode() for _ in range(rng.randrange(3, 9))]
        yield q(article, author_list, cells[0])
        for n, cell in enumerate(cells, start=1):
            person = NamedNode(f"{BASE}person/doi/{doi}/{n}")
            given, family = rng.choice(GIVEN), rng.choice(FAMILY)
            yield q(person, rdf_type, schema["Person"])
            yield q(person, schema["name"], Literal(f"{given} {family}"))
            yield q(person, schema["givenName"], Literal(given))
            yield q(person, schema["familyName"], Literal(family))
            yield q(article, schema["author"], person)
            yield q(cell, first, person)
            yield q(cell, rest, cells[n] if n < len(cells) else nil)
        if rng.random() < 0.1:
            nct = f"NCT{rng.randrange(10**8):08d}"
            trial = NamedNode(f"{BASE}trial/nct/{nct}")
            yield q(article, schema["mentions"], trial)
            yield q(trial, rdf_type, schema["MedicalTrial"])


def build_store(path: Path, records: int) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "publisher.cli",
            "ingest",
            "--store",
            str(path),
            "--base-uri",
            BASE,
            *map(str, sorted(EXAMPLES.glob("*.txt"))),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if result.returncode != 0:
        sys.exit(f"ingesting the examples failed:\n{result.stdout}{result.stderr}")
    if records:
        store = OxigraphStore(path)
        store.extend_quads(synthetic_quads(records))
        store.flush()
        store.close()


# --- Measuring ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "publisher.cli",
            "serve",
            "--store",
            str(store),
            "--base-uri",
            BASE,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the server exited")
        try:
            httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=2)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    sys.exit("the server did not start within 60 s")


def in_process(store: OxigraphStore, query: Query, serialise: bool) -> Callable[[], int]:
    def run() -> int:
        result = store.query(query.text)
        if serialise:
            if isinstance(result, QuerySolutions | QueryBoolean):
                fmt = pyoxigraph.QueryResultsFormat.JSON
                return len(result.serialize(format=fmt) or b"")
            return len(serialize_graph(list(result), GRAPH_BY_MEDIA_TYPE[query.accept]))
        if isinstance(result, QueryBoolean):
            return int(bool(result))
        return sum(1 for _ in result)

    return run


def over_http(client: httpx.Client, url: str, query: Query) -> Callable[[], int]:
    def run() -> int:
        response = client.get(
            url + "/sparql", params={"query": query.text}, headers={"Accept": query.accept}
        )
        if response.status_code != 200:
            raise RuntimeError(f"{query.name}: HTTP {response.status_code}: {response.text}")
        return len(response.content)

    return run


def median_ms(run: Callable[[], int], warmup: int, repeat: int) -> float:
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO).stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no").strip()
    return head + (" (with uncommitted changes)" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=0, help="synthetic articles to add")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query and way")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first")
    parser.add_argument(
        "--store", type=Path, help="build the store here (kept) instead of a temp dir"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="with --store: use an existing store as it is"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sparql-bench-"))
    store_path = args.store or workdir / "store"
    started = time.perf_counter()
    if args.reuse and store_path.exists():
        print(f"reusing {store_path} as it is (--records is then only a label)")
    else:
        if store_path.exists():
            shutil.rmtree(store_path)
        build_store(store_path, args.records)
    built = time.perf_counter() - started

    process, url = start_server(store_path)
    store = OxigraphStore(store_path, read_only=True)
    try:
        triples = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert isinstance(triples, QuerySolutions)
        size = next(iter(triples))["n"].value
        doi = "10.5555/synth.0" if args.records else "10.3389/fonc.2021.699946"
        article = f"{BASE}article/doi/{doi}"
        author = "Wei Chen" if args.records else "Jieping Chen"
        print(
            f"commit {commit()}; Python {platform.python_version()}, pyoxigraph "
            f"{pyoxigraph.__version__}, {os.cpu_count()} CPUs ({platform.machine()})"
        )
        print(
            f"store: 6 example records + {args.records} synthetic articles, {size} triples "
            f"(built in {built:.1f} s); {args.repeat} timed runs per cell after "
            f"{args.warmup} warm-up runs; medians in ms"
        )
        print()
        header = (
            f"{'query':36} {'in-process':>11} {'+serialise':>11} {'HTTP':>9} {'HTTP/in-proc':>13}"
        )
        print(header)
        print("-" * len(header))
        ratios = []
        with httpx.Client(timeout=120) as client:
            for query in queries(doi, author, article):
                direct = median_ms(in_process(store, query, False), args.warmup, args.repeat)
                serial = median_ms(in_process(store, query, True), args.warmup, args.repeat)
                http = median_ms(over_http(client, url, query), args.warmup, args.repeat)
                ratios.append(http / direct)
                print(
                    f"{query.name:36} {direct:11.3f} {serial:11.3f} {http:9.3f} "
                    f"{http / direct:12.1f}x"
                )
        geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print("-" * len(header))
        print(f"{'geometric mean of HTTP/in-process':62} {geomean:12.1f}x")
    finally:
        store.close()
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
