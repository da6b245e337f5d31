"""The query executor: worker processes with a hard time limit, the row cap, reopening
after writes. Driven directly (no HTTP server); the HTTP tests are test_sparql_limits.py."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree

import pytest
from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, parse

from publisher.store.executor import (
    InlineExecutor,
    QueryExecutor,
    QueryFailed,
    QueryJob,
    WorkerPool,
    executor_for,
)
from publisher.store.oxigraph import OxigraphStore

T = TypeVar("T")
GRAPH = DefaultGraph()  # what queries see without GRAPH: the published view
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
JSON = "application/sparql-results+json"


def quads(count: int) -> list[Quad]:
    return [
        Quad(
            NamedNode(f"http://example.org/s{i}"),
            NamedNode("http://example.org/p"),
            Literal(f"value {i}\twith a tab\nand a line break"),
            GRAPH,
        )
        for i in range(count)
    ]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.extend_quads(quads(300))
    store.flush()
    store.close()
    return path


def run(coroutine_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coroutine_factory()

    return asyncio.run(main())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        # A killed child not yet reaped is a zombie: it runs nothing any more.
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except (ProcessLookupError, FileNotFoundError):  # reaped (maybe in between)
        return False


TIMEOUT = 3.0  # the runaway's limit: room for the other queries to be answered meanwhile


def test_a_runaway_query_is_killed_and_the_others_are_answered(store_path: Path) -> None:
    """RUNAWAY counts 300^4 rows: minutes of work. It is stopped at the limit with the
    timeout failure, its worker killed and replaced; the other worker answers meanwhile."""

    async def scenario() -> None:
        pool = WorkerPool(store_path, workers=2, timeout=TIMEOUT, max_rows=100)
        await pool.start()
        try:
            pids_before = {w.pid for w in pool._all}
            started = time.monotonic()
            runaway = asyncio.create_task(pool.run(QueryJob(RUNAWAY)))
            await asyncio.sleep(0.2)
            assert pool._idle is not None and pool._idle.qsize() == 1  # it holds a worker
            answered = 0
            while not runaway.done():  # the other worker keeps answering
                answer = await pool.run(QueryJob("ASK { ?s ?p ?o }"))
                assert answer.body == b'{"head":{},"boolean":true}'
                answered += 1
            assert answered >= 3  # answered while the runaway ran, not after it
            with pytest.raises(QueryFailed) as failure:
                await runaway
            elapsed = time.monotonic() - started
            assert failure.value.kind == "timeout"
            assert f"{TIMEOUT:g} s" in failure.value.message
            assert "PUBLISHER_QUERY_TIMEOUT" in failure.value.message
            # Stopped at the limit, not before; and long before it would have finished.
            assert TIMEOUT <= elapsed < 30
            # The runaway's worker is gone (killed, not left computing), and replaced.
            (killed,) = pids_before - {w.pid for w in pool._all}
            deadline = time.monotonic() + 10
            while alive(killed) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert not alive(killed)
            deadline = time.monotonic() + 30
            while len(pool._all) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert len(pool._all) == 2
            for _ in range(4):
                answer = await pool.run(QueryJob("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"))
                assert json.loads(answer.body)["results"]["bindings"][0]["n"]["value"] == "300"
        finally:
            await pool.close()

    run(scenario)


def test_all_workers_busy_is_a_busy_failure(store_path: Path) -> None:
    async def scenario() -> None:
        pool = WorkerPool(store_path, workers=1, timeout=1.0, max_rows=100)
        await pool.start()
        try:
            runaway = asyncio.create_task(pool.run(QueryJob(RUNAWAY)))
            await asyncio.sleep(0.05)
            with pytest.raises(QueryFailed) as failure:
                await pool.run(QueryJob("ASK {}"))
            assert failure.value.kind == "busy"
            assert "all 1 query workers stayed busy for 1 s" in failure.value.message
            with pytest.raises(QueryFailed):
                await runaway
        finally:
            await pool.close()

    run(scenario)


def test_workers_see_writes_after_invalidate(store_path: Path) -> None:
    """The server holds the store read-write; workers reopen it when told it changed."""
    writer = OxigraphStore(store_path)
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"

    async def scenario() -> None:
        pool = WorkerPool(store_path, workers=2, timeout=10, max_rows=100)
        await pool.start()
        try:

            async def counted() -> set[str]:
                answers = await asyncio.gather(*(pool.run(QueryJob(count)) for _ in range(4)))
                return {json.loads(a.body)["results"]["bindings"][0]["n"]["value"] for a in answers}

            assert await counted() == {"300"}
            writer.update("INSERT DATA { <urn:x:a> <urn:x:b> 1 }")
            assert await counted() == {"300"}  # a worker keeps its view until told
            pool.invalidate()
            assert await counted() == {"301"}
            writer.update("DELETE DATA { <urn:x:a> <urn:x:b> 1 }")
            pool.invalidate()
            assert await counted() == {"300"}
        finally:
            await pool.close()

    try:
        run(scenario)
    finally:
        writer.close()


def answer_of(executor: QueryExecutor, job: QueryJob) -> tuple[bytes, str, bool]:
    async def scenario() -> tuple[bytes, str, bool]:
        await executor.start()
        try:
            answer = await executor.run(job)
        finally:
            await executor.close()
        return answer.body, answer.media_type, answer.truncated

    return run(scenario)


SELECT_ALL = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
RESULT_TYPES = [JSON, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]


def answers_of(executor: QueryExecutor, jobs: list[QueryJob]) -> list[tuple[bytes, str, bool]]:
    """Several jobs through one executor (one set of worker processes)."""

    async def scenario() -> list[tuple[bytes, str, bool]]:
        await executor.start()
        try:
            answers = [await executor.run(job) for job in jobs]
        finally:
            await executor.close()
        return [(a.body, a.media_type, a.truncated) for a in answers]

    return run(scenario)


def test_select_is_cut_at_the_row_cap(store_path: Path) -> None:
    cases = [(t, limit) for t in RESULT_TYPES for limit in (9, 10, 11, 300)]
    jobs = [QueryJob(f"{SELECT_ALL} LIMIT {n}", results_media_type=t) for t, n in cases]
    capped = answers_of(WorkerPool(store_path, workers=1, timeout=10, max_rows=10), jobs)
    full = answers_of(InlineExecutor(_memory_copy(), max_rows=1000), jobs)
    for (media_type, limit), (body, answered_type, truncated), (whole, _, _) in zip(
        cases, capped, full, strict=True
    ):
        assert answered_type == media_type
        assert truncated is (limit > 10), (media_type, limit)
        rows = _rows(body, media_type)
        assert len(rows) == min(limit, 10)
        # The rows kept are the first ones, exactly as they come (ORDER BY kept).
        assert rows == _rows(whole, media_type)[: len(rows)]
        for subject, value in rows:
            assert value == f"value {subject[20:]}\twith a tab\nand a line break"


def _rows(body: bytes, media_type: str) -> list[tuple[str, str]]:
    if media_type == JSON:
        bindings = json.loads(body)["results"]["bindings"]
        return [(b["s"]["value"], b["o"]["value"]) for b in bindings]
    if media_type == "text/csv":
        return [(r[0], r[1]) for r in list(csv.reader(io.StringIO(body.decode())))[1:]]
    if media_type == "text/tab-separated-values":
        lines = body.decode().split("\n")[1:-1]
        decoded = [
            [c.strip('<>"').replace("\\t", "\t").replace("\\n", "\n") for c in line.split("\t")]
            for line in lines
        ]
        return [(c[0], c[1]) for c in decoded]
    namespace = "{http://www.w3.org/2005/sparql-results#}"
    rows = []
    for result in ElementTree.fromstring(body).iter(namespace + "result"):
        values = {b.get("name"): "".join(b.itertext()) for b in result.iter(namespace + "binding")}
        rows.append((values["s"], values["o"]))
    return rows


def _memory_copy() -> OxigraphStore:
    store = OxigraphStore()
    store.extend_quads(quads(300))
    return store


@pytest.mark.parametrize("media_type", ["application/n-triples", "text/turtle"])
def test_construct_is_cut_at_the_row_cap(store_path: Path, media_type: str) -> None:
    job = QueryJob(
        "CONSTRUCT WHERE { ?s ?p ?o }",
        graph_media_type=media_type,
    )
    body, _, truncated = answer_of(WorkerPool(store_path, workers=1, timeout=10, max_rows=7), job)
    fmt = RdfFormat.N_TRIPLES if media_type == "application/n-triples" else RdfFormat.TURTLE
    assert truncated
    assert len(list(parse(body, format=fmt))) == 7
    job = QueryJob(
        "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 7",
        graph_media_type=media_type,
    )
    body, _, truncated = answer_of(WorkerPool(store_path, workers=1, timeout=10, max_rows=7), job)
    assert not truncated
    assert len(list(parse(body, format=fmt))) == 7


def test_solutions_without_variables_count_as_rows(store_path: Path) -> None:
    job = QueryJob("SELECT * WHERE { VALUES ?x { 1 2 3 4 } }", results_media_type=JSON)
    body, _, truncated = answer_of(WorkerPool(store_path, workers=1, timeout=10, max_rows=3), job)
    assert truncated
    assert len(json.loads(body)["results"]["bindings"]) == 3
    body, _, truncated = answer_of(
        WorkerPool(store_path, workers=1, timeout=10, max_rows=3), QueryJob("SELECT * {}")
    )
    assert (json.loads(body), truncated) == (
        {"head": {"vars": []}, "results": {"bindings": [{}]}},
        False,
    )


def test_failures_are_named(store_path: Path) -> None:
    async def scenario() -> None:
        pool = WorkerPool(store_path, workers=1, timeout=10, max_rows=10)
        await pool.start()
        try:

            async def failure(job: QueryJob) -> QueryFailed:
                with pytest.raises(QueryFailed) as raised:
                    await pool.run(job)
                return raised.value

            assert (await failure(QueryJob("SELECT * {"))).kind == "syntax"
            refused = await failure(
                QueryJob("ASK {}", results_media_type=None, results_refusal="no CSV")
            )
            assert (refused.kind, refused.message) == ("not_acceptable", "no CSV")
            refused = await failure(
                QueryJob(
                    "CONSTRUCT WHERE { ?s ?p ?o }", graph_media_type=None, graph_refusal="no PNG"
                )
            )
            assert (refused.kind, refused.message) == ("not_acceptable", "no PNG")
            # pyoxigraph refuses this port for HTTP: the SERVICE call fails.
            service = await failure(
                QueryJob("SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
            )
            assert service.kind == "service"
            # ... and the same worker carries on.
            (worker,) = pool._all
            answer = await pool.run(QueryJob("ASK {}"))
            assert answer.body == b'{"head":{},"boolean":true}'
            assert pool._all == {worker}
        finally:
            await pool.close()

    run(scenario)


def test_in_memory_stores_run_inline() -> None:
    store = _memory_copy()
    executor = executor_for(store, workers=2, timeout=5, max_rows=4)
    assert isinstance(executor, InlineExecutor)
    body, _, truncated = answer_of(executor, QueryJob(SELECT_ALL))
    assert truncated and len(json.loads(body)["results"]["bindings"]) == 4
