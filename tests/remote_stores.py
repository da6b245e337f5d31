"""Real SPARQL servers for the remote-store tests, started on loopback, stopped by pid.

* Oxigraph server: the `oxigraph` command from PyPI (a test dependency). Its own default
  graph keeps the published view, as in the embedded store: started without
  `--union-default-graph` (`union=True` to see such a server refused, and for
  bench/published_view.py's union of record graphs).
* Virtuoso open source: Debian's `virtuoso-opensource` (installed by .ci/run, never by
  the tests: absent, its tests skip saying so, or fail under CI=true), in its own folder
  with its own ini: loopback ports, a high result-row limit. Updates go to `/sparql-auth`
  with Digest authentication (its `dba` account), the Graph Store Protocol to
  `/sparql-graph-crud-auth`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import free_port, unavailable

VIRTUOSO = "virtuoso-t"
STARTUP_SECONDS = 90


@dataclass(frozen=True)
class Endpoints:
    """A running store: its URLs and the CLI options (and env) that select it."""

    query: str
    update: str
    graph_store: str
    user: str | None = None
    password: str | None = None
    pid: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def cli_args(self) -> list[str]:
        args = ["--sparql-query", self.query, "--sparql-update", self.update]
        args += ["--sparql-store", self.graph_store]
        if self.user is not None:
            args += ["--sparql-user", self.user, "--sparql-password", self.password or ""]
        return args

    def environment(self) -> dict[str, str]:
        env = {
            "PUBLISHER_SPARQL_QUERY": self.query,
            "PUBLISHER_SPARQL_UPDATE": self.update,
            "PUBLISHER_SPARQL_STORE": self.graph_store,
        }
        if self.user is not None:
            env["PUBLISHER_SPARQL_USER"] = self.user
            env["PUBLISHER_SPARQL_PASSWORD"] = self.password or ""
        return env


def _wait(url: str, process: subprocess.Popen[bytes], what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            details = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {process.returncode}: {details}")
        try:
            response = httpx.get(url, params={"query": "ASK {}"}, timeout=2)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer within {STARTUP_SECONDS} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """By process id: SIGTERM, then SIGKILL after 20 s."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph"
    )
    if found is None:
        pytest.skip("the oxigraph server (PyPI `oxigraph`) is not installed")
    return found


@contextmanager
def oxigraph_server(
    folder: Path, *, union: bool = False, timeout: int | None = None
) -> Iterator[Endpoints]:
    """A server on the store in `folder / "oxigraph"` (made if absent); `timeout`: its own
    limit for one query, in seconds (`--timeout-s`)."""
    port = free_port()
    args = [oxigraph_binary(), "serve", "--location", str(folder / "oxigraph")]
    args += ["--bind", f"127.0.0.1:{port}"]
    if union:
        args.append("--union-default-graph")
    if timeout is not None:
        args += ["--timeout-s", str(timeout)]
    log = folder / "oxigraph.log"
    with log.open("wb") as output:
        process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base + "/query", process, "oxigraph serve", log)
        yield Endpoints(base + "/query", base + "/update", base + "/store", pid=process.pid)
    finally:
        stop(process)


def virtuoso_binary() -> str:
    """virtuoso-t from Debian's virtuoso-opensource; never installed here: when it is
    absent the test skips (fails under CI=true), naming the package."""
    found = shutil.which(VIRTUOSO)
    if found is None:
        unavailable(
            f"{VIRTUOSO} is not on PATH: install Debian's virtuoso-opensource "
            "(apt-get install --no-install-recommends virtuoso-opensource)"
        )
    return found


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = ., {db}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 0
"""


@contextmanager
def virtuoso_server(folder: Path) -> Iterator[Endpoints]:
    binary = virtuoso_binary()
    db = folder / "virtuoso"
    db.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = db / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=db, sql_port=sql_port, http_port=http_port))
    log = db / "virtuoso.log"
    process = subprocess.Popen(
        [binary, "-f", "-c", str(ini)],
        cwd=db,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        _wait(base + "/sparql", process, "virtuoso-t", log)
        yield Endpoints(
            base + "/sparql",
            base + "/sparql-auth",  # Digest, with the dba account of the fresh database
            base + "/sparql-graph-crud-auth",
            user="dba",
            password="dba",
            pid=process.pid,
            # For isql (the bulk loader, bench/published_view.py): its SQL port and the
            # folder it may read files from.
            extra={"sql_port": str(sql_port), "folder": str(db)},
        )
    finally:
        stop(process)
