"""Shared fixtures: paths to shared samples, the example records, a real running server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "publisher" / "examples" / "records"
SEED = EXAMPLES / "000_a5c995328e4ea53f.txt"
BASE = "http://127.0.0.1:8000/"
SEED_DOI = "10.3389/fonc.2021.699946"
SEED_IRI = f"{BASE}article/doi/{SEED_DOI}"


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (tests read it from ../shared)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, as other tools drive it."""
    # Rejected records go to a throwaway quarantine unless a test names one.
    quarantine = {"PUBLISHER_QUARANTINE": tempfile.mkdtemp(prefix="quarantine-")}
    return subprocess.run(
        [sys.executable, "-m", "publisher.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **quarantine, **(env or {})},
    )


@dataclass(frozen=True)
class LiveServer:
    url: str  # where it listens, e.g. http://127.0.0.1:43211
    base_uri: str  # what its IRIs start with
    store: Path
    pid: int


def start_server(
    store: Path,
    base_uri: str = BASE,
    *,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    stdout: int | IO[bytes] = subprocess.DEVNULL,
) -> tuple[subprocess.Popen[bytes], LiveServer]:
    """`publisher serve` as a real uvicorn process on a free loopback port.

    `extra_args` are more `serve` options, `env` more environment variables (PUBLISHER_*);
    `stdout` where uvicorn's access log goes (errors are on the process's stderr pipe).
    """
    port = port or free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "publisher.cli",
            "serve",
            "--store",
            str(store),
            "--base-uri",
            base_uri,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *extra_args,
        ],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded machine starts it slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            httpx.get(url + "/", timeout=10)
            return process, LiveServer(url, base_uri, store, process.pid)
        except httpx.TransportError:
            time.sleep(0.1)
    stop_server(process)
    raise RuntimeError("server did not start within 90 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop by process id; SIGKILL if it does not go within 10 s."""
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def unavailable(message: str) -> NoReturn:
    """Something a test needs is missing: skip, saying so; under CI (CI=true) fail instead,
    since CI installs everything the suite uses (.ci/run) and a skip would hide that."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: it should have been installed)", pytrace=False)
    pytest.skip(message)


def debian_tool(binary: Path, package: str) -> Path:
    """A program from a Debian package. Tests never install anything: when it is absent
    the test skips (fails under CI=true) naming the package; .ci/run installs it."""
    if binary.exists():
        return binary
    unavailable(
        f"{binary} is missing: install Debian's {package} "
        f"(apt-get install --no-install-recommends {package})"
    )


CHROMIUM_PATH = Path(os.environ.get("PUBLISHER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium (PUBLISHER_CHROMIUM to use another); skips when absent."""
    if "PUBLISHER_CHROMIUM" in os.environ and not CHROMIUM_PATH.exists():
        unavailable(f"PUBLISHER_CHROMIUM names no file: {CHROMIUM_PATH}")
    return debian_tool(CHROMIUM_PATH, "chromium")


@pytest.fixture(scope="session")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with every bundled example record, ingested through the real CLI."""
    store = tmp_path_factory.mktemp("examples") / "store"
    result = run_cli(
        "ingest",
        "--store",
        str(store),
        "--base-uri",
        BASE,
        *map(str, sorted(EXAMPLES.glob("*.txt"))),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return store


@pytest.fixture(scope="session")
def live_server(example_store: Path) -> Iterator[LiveServer]:
    process, server = start_server(example_store)
    yield server
    stop_server(process)
