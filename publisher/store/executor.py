"""Running SPARQL queries under a hard time limit, in worker processes.

pyoxigraph cannot cancel a running query, so queries do not run in the server process:
a small pool of long-lived worker processes (`publisher.store.worker`) each open the
on-disk store read-only and answer one query at a time, query and serialisation together,
with the bytes of the answer. When a query runs past the time limit its worker is killed
(SIGKILL: the work really stops), a replacement is started, and the caller gets
`QueryFailed("timeout", ...)`. The other workers, and the server process itself, go on
answering meanwhile.

Messages between the server and a worker are frames on the worker's stdin and stdout:
an 8-byte big-endian length and that many bytes (JSON for a job and an answer's header,
raw bytes for an answer's body).

After a write (SPARQL Update, Graph Store Protocol) the server calls `invalidate()`: the
store's generation goes up, every job carries it, and a worker whose store is older
reopens it before running the job (a read-only open sees what was committed by then).

A store without a folder (in memory, unit tests) cannot be opened by another process:
`InlineExecutor` runs its queries in a thread, with no hard time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import struct
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any, Literal, cast

import orjson
from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    parse_query_results,
)

from publisher.sparql_text import has_keyword
from publisher.store.base import Store

log = logging.getLogger(__name__)

FailureKind = Literal[
    "syntax",  # the query does not parse
    "not_acceptable",  # no format the client accepts for this kind of result
    "service",  # a SERVICE call failed
    "timeout",  # ran past the time limit, and was stopped
    "busy",  # no worker became free within the time limit, or the store is down
    "too_large",  # a remote store's answer ran past the byte limit
    "failed",  # anything else (the server's problem, not the client's)
]
_HEADER = struct.Struct(">Q")
_MAX_FRAME = 1 << 40
STARTUP_SECONDS = 60.0


class QueryFailed(Exception):
    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class QueryJob:
    """One query, with everything needed to run it and write its answer."""

    query: str
    default_graphs: tuple[str, ...] | None = None  # the SPARQL Protocol's dataset, if given
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None  # relative IRIs in the query resolve against this
    # What the client accepts, chosen before the kind of result is known: the media type
    # for SELECT/ASK results and the one for CONSTRUCT/DESCRIBE graphs, or None with the
    # message to refuse with (406).
    results_media_type: str | None = "application/sparql-results+json"
    graph_media_type: str | None = "text/turtle"
    results_refusal: str = ""
    graph_refusal: str = ""


@dataclass(frozen=True)
class QueryAnswer:
    body: bytes
    media_type: str
    truncated: bool  # more rows (SELECT) or triples (CONSTRUCT, DESCRIBE) than max_rows


class QueryExecutor(ABC):
    """What the web layer needs: run this query, give me bytes, media type, truncated."""

    max_rows: int
    timeout: float | None  # seconds; None: no hard limit

    async def start(self) -> None:  # noqa: B027 - nothing to start for some executors
        """Get ready to answer (start worker processes)."""

    @abstractmethod
    async def run(self, job: QueryJob) -> QueryAnswer:
        """Run one query; raises QueryFailed."""

    def invalidate(self) -> None:  # noqa: B027 - executors sharing the store see writes
        """The store was written: later queries must see the new data."""

    async def close(self) -> None:  # noqa: B027
        """Stop the workers."""


def executor_for(
    store: Store, *, workers: int, timeout: float, max_rows: int, max_bytes: int = 1 << 26
) -> QueryExecutor:
    """Worker processes for an on-disk store; a thread for an in-memory one; for a
    remote store, the query sent on to it (`max_bytes`: the largest answer read)."""
    from publisher.store.proxy import ProxyExecutor
    from publisher.store.remote import RemoteStore

    if isinstance(store, RemoteStore):
        return ProxyExecutor(store, timeout=timeout, max_rows=max_rows, max_bytes=max_bytes)
    if store.path is None:
        return InlineExecutor(store, max_rows=max_rows)
    return WorkerPool(store.path, workers=workers, timeout=timeout, max_rows=max_rows)


# --- Running one query (in a worker process, or inline) -----------------------------------


def run_query(store: Store, job: QueryJob, max_rows: int) -> QueryAnswer:
    """Evaluate and serialise together: pyoxigraph evaluates lazily, while writing."""
    try:
        result = store.query(
            job.query,
            default_graphs=_nodes(job.default_graphs),
            named_graphs=_nodes(job.named_graphs),
            base_iri=job.base_iri,
        )
        if isinstance(result, QueryBoolean):
            media_type = _results_media_type(job)
            body = result.serialize(format=_results_format(media_type)) or b""
            return QueryAnswer(body, media_type, False)
        if isinstance(result, QuerySolutions):
            return _solutions(result, _results_media_type(job), max_rows)
        if job.graph_media_type is None:
            raise QueryFailed("not_acceptable", job.graph_refusal)
        triples = list(islice(result, max_rows + 1))
        truncated = len(triples) > max_rows
        # Graph serialisations (Turtle prefixes, our JSON-LD context) are the web layer's.
        from publisher.web.formats import GRAPH_BY_MEDIA_TYPE, serialize_graph

        graph_format = GRAPH_BY_MEDIA_TYPE[job.graph_media_type]
        body = serialize_graph(triples[:max_rows], graph_format)
        return QueryAnswer(body, job.graph_media_type, truncated)
    except SyntaxError as error:
        raise QueryFailed("syntax", str(error)) from error
    except OSError as error:
        if has_keyword(job.query, "service"):
            raise QueryFailed("service", f"a SERVICE call failed: {error}") from error
        raise


def _nodes(iris: tuple[str, ...] | None) -> list[NamedNode] | None:
    return None if iris is None else [NamedNode(iri) for iri in iris]


def _results_media_type(job: QueryJob) -> str:
    if job.results_media_type is None:
        raise QueryFailed("not_acceptable", job.results_refusal)
    return job.results_media_type


def _results_format(media_type: str) -> QueryResultsFormat:
    found = QueryResultsFormat.from_media_type(media_type)
    if found is None:
        raise QueryFailed("failed", f"no serialiser for {media_type}")
    return found


class _RowLimit(Exception):
    """Raised from inside pyoxigraph's writer to stop it: the row cap is reached."""


class _LineCountingSink(io.RawIOBase):
    """A binary file that stops the TSV writer once it holds `limit` complete lines."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.parts: list[bytes] = []
        self.lines = 0
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _RowLimit
        return len(chunk)


def _solutions(result: QuerySolutions, media_type: str, max_rows: int) -> QueryAnswer:
    """SELECT results, cut at max_rows.

    pyoxigraph writes every solution it is given, so the cap is put on its TSV output:
    one line per solution (TSV escapes line breaks inside values), written by pyoxigraph
    and counted as it comes, stopping evaluation at the cap. The TSV is then re-read and
    written in the format asked for (TSV keeps every term exactly: IRIs, blank node
    labels, literals with their datatype or language). All of it is pyoxigraph's own code;
    no Python object per solution.
    """
    sink = _LineCountingSink(max_rows + 1)  # the header line, then one line per solution
    truncated = False
    try:
        result.serialize(cast(IO[bytes], sink), format=QueryResultsFormat.TSV)
    except _RowLimit:
        truncated = True
    tsv = b"".join(sink.parts)
    if truncated:
        end = -1
        for _ in range(max_rows + 1):
            end = tsv.index(b"\n", end + 1)
        tsv = tsv[: end + 1]
    results_format = _results_format(media_type)
    if results_format == QueryResultsFormat.TSV:
        return QueryAnswer(tsv, media_type, truncated)
    reread = parse_query_results(tsv, QueryResultsFormat.TSV)
    return QueryAnswer(reread.serialize(format=results_format) or b"", media_type, truncated)


# --- In a thread: in-memory stores ---------------------------------------------------------


class InlineExecutor(QueryExecutor):
    """Queries in the server's thread pool: no hard time limit (in-memory stores only)."""

    def __init__(self, store: Store, *, max_rows: int) -> None:
        self.store = store
        self.max_rows = max_rows
        self.timeout = None

    async def run(self, job: QueryJob) -> QueryAnswer:
        try:
            return await asyncio.to_thread(run_query, self.store, job, self.max_rows)
        except QueryFailed:
            raise
        except Exception as error:
            log.exception("query failed: %s", job.query)
            raise QueryFailed("failed", f"the query failed: {error}") from error


# --- In worker processes --------------------------------------------------------------------


def frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (length,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    if length > _MAX_FRAME:
        raise ConnectionError(f"bad frame length {length}")
    return await reader.readexactly(length)


class _Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self.stdin = process.stdin
        self.stdout = process.stdout

    @property
    def pid(self) -> int:
        return self.process.pid

    async def ready(self) -> None:
        message = orjson.loads(await _read_frame(self.stdout))
        if message != {"ready": True}:
            raise ConnectionError(f"unexpected first message from a query worker: {message}")

    async def call(self, request: bytes) -> tuple[dict[str, Any], bytes]:
        self.stdin.write(frame(request))
        await self.stdin.drain()
        header: dict[str, Any] = orjson.loads(await _read_frame(self.stdout))
        body = await _read_frame(self.stdout) if header.get("ok") else b""
        return header, body

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.stdin.close()


class WorkerPool(QueryExecutor):
    """Long-lived worker processes, each with the store opened read-only."""

    def __init__(self, store: Path, *, workers: int, timeout: float, max_rows: int) -> None:
        self.store = store
        self.size = workers
        self.timeout = timeout
        self.max_rows = max_rows
        self.generation = 0
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()  # reaping killed workers, replacing them
        self._replacing: set[asyncio.Task[None]] = set()
        self._starting: asyncio.Lock | None = None
        self._closed = False

    async def start(self) -> None:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._idle is not None:
                return
            idle: asyncio.Queue[_Worker] = asyncio.Queue()
            started = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
            for worker in started:
                idle.put_nowait(worker)
            self._idle = idle

    async def _spawn(self) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "publisher.store.worker",
            str(self.store),
            str(self.max_rows),
            str(os.getpid()),
            str(self.generation),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        worker = _Worker(process)
        self._all.add(worker)
        try:
            await asyncio.wait_for(worker.ready(), STARTUP_SECONDS)
        except BaseException:
            self._discard(worker)
            raise
        return worker

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker whose state is unknown (timed out, cancelled, broken) and reap it."""
        worker.kill()
        self._all.discard(worker)
        self._background(self._reap(worker))

    async def _reap(self, worker: _Worker) -> None:
        with contextlib.suppress(Exception):
            await worker.process.wait()

    def _background(self, coroutine: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _replace(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                worker = await self._spawn()
            except Exception:
                log.exception("could not start a query worker; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if self._closed:
                self._discard(worker)
            elif self._idle is not None:
                self._idle.put_nowait(worker)
            return

    def invalidate(self) -> None:
        self.generation += 1

    async def run(self, job: QueryJob) -> QueryAnswer:
        if self._idle is None:
            await self.start()
        assert self._idle is not None
        try:
            worker = await asyncio.wait_for(self._idle.get(), self.timeout)
        except TimeoutError:
            raise QueryFailed(
                "busy",
                f"all {self.size} query workers stayed busy for {self.timeout:g} s;"
                " try again later",
            ) from None
        request = orjson.dumps({"generation": self.generation, "job": job})  # dataclass: native
        healthy = False
        try:
            header, body = await asyncio.wait_for(worker.call(request), self.timeout)
            healthy = True
        except TimeoutError:
            log.warning("query stopped after %g s (worker %d killed)", self.timeout, worker.pid)
            raise QueryFailed(
                "timeout",
                f"the query ran longer than {self.timeout:g} s, the limit for one query, and"
                " was stopped. Make it cheaper (LIMIT, more specific patterns) or ask the"
                " operator to raise the limit (PUBLISHER_QUERY_TIMEOUT, or"
                " `publisher serve --query-timeout SECONDS`).",
            ) from None
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            log.error("query worker %d stopped unexpectedly: %s", worker.pid, error)
            raise QueryFailed("failed", "the query worker stopped unexpectedly") from error
        finally:
            if healthy:
                self._idle.put_nowait(worker)
            else:
                # Timed out, broke, or the request was cancelled mid-query: its answer
                # may still come, so the worker cannot serve anyone else.
                self._discard(worker)
                if not self._closed:
                    replacing = self._background(self._replace())
                    self._replacing.add(replacing)
                    replacing.add_done_callback(self._replacing.discard)
        if not header["ok"]:
            raise QueryFailed(header["kind"], header["message"])
        return QueryAnswer(body, header["media_type"], header["truncated"])

    async def close(self) -> None:
        self._closed = True
        for task in list(self._replacing):
            task.cancel()
        for worker in list(self._all):
            self._discard(worker)
        if self._tasks:  # the killed workers reaped
            await asyncio.wait(list(self._tasks), timeout=5)
