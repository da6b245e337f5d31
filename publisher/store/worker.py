"""A query worker: `python -m publisher.store.worker STORE MAX_ROWS PARENT_PID GENERATION`.

Reads jobs from stdin and writes answers to stdout, as frames (see
`publisher.store.executor`); opens the store read-only, and again whenever a job says the
store has been written since. Exits when stdin closes; on Linux it is also killed when the
server process dies, so a runaway query never outlives the server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from publisher.store.executor import QueryAnswer, QueryFailed, QueryJob, frame, run_query
from publisher.store.oxigraph import OxigraphStore

_LENGTH_BYTES = 8
RETRIES = 4


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        sys.exit(0)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_frame(stream: BinaryIO) -> bytes | None:
    header = _read_exactly(stream, _LENGTH_BYTES)
    if header is None:
        return None
    return _read_exactly(stream, int.from_bytes(header, "big"))


def _send(out: BinaryIO, *payloads: bytes) -> None:
    for payload in payloads:
        out.write(frame(payload))
    out.flush()


class _Worker:
    def __init__(self, path: Path, max_rows: int) -> None:
        self.path = path
        self.max_rows = max_rows
        self.store: OxigraphStore | None = None
        self.generation = -1

    def open(self, generation: int) -> OxigraphStore:
        if self.store is None or generation != self.generation:
            self.store = None  # release the old one first
            self.store = OxigraphStore(self.path, read_only=True)
            self.generation = generation
        return self.store

    def answer(self, generation: int, job: QueryJob) -> QueryAnswer:
        """Run the job; reopen and retry when the store's files changed under us.

        While the server writes, RocksDB compacts: files a read-only view lists can be
        deleted before it reads them (at open, or later). A fresh view lists the
        current files, so a few quick retries get a consistent one.
        """
        for attempt in range(RETRIES + 1):
            try:
                return run_query(self.open(generation), job, self.max_rows)
            except (OSError, RuntimeError) as error:
                if attempt == RETRIES or not _store_trouble(error):
                    raise
                self.store = None
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")


def _store_trouble(error: Exception) -> bool:
    text = str(error)
    return any(sign in text for sign in ("IO error", "Corruption", "No such file"))


def main(argv: list[str]) -> int:
    path, max_rows, parent, generation = Path(argv[1]), int(argv[2]), int(argv[3]), int(argv[4])
    _die_with_parent(parent)
    # Frames go to the real stdout; anything printed by accident goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    source = os.fdopen(0, "rb", buffering=0)
    worker = _Worker(path, max_rows)
    worker.open(generation)  # before saying ready: the first query need not wait for it
    _send(out, orjson.dumps({"ready": True}))
    while True:
        message = _read_frame(source)
        if message is None:
            return 0
        request: dict[str, Any] = orjson.loads(message)
        job = QueryJob(**_tuples(request["job"]))
        try:
            answer = worker.answer(request["generation"], job)
        except QueryFailed as failure:
            failed = {"ok": False, "kind": failure.kind, "message": failure.message}
            _send(out, orjson.dumps(failed))
        except BaseException as error:  # pyo3 panics are BaseExceptions
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise
            print(f"query worker: {type(error).__name__}: {error}", file=sys.stderr)
            message_text = f"the query failed in the engine: {type(error).__name__}: {error}"
            _send(out, orjson.dumps({"ok": False, "kind": "failed", "message": message_text}))
        else:
            header = {"ok": True, "media_type": answer.media_type, "truncated": answer.truncated}
            _send(out, orjson.dumps(header), answer.body)


def _tuples(fields: dict[str, Any]) -> dict[str, Any]:
    """JSON has no tuples: the job's graph lists come back as lists."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}


if __name__ == "__main__":
    sys.exit(main(sys.argv))
