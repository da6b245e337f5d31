"""Issue 3, large inputs: `publisher ingest` shows a progress bar (records/s, accepted,
rejected) on a terminal, and draws none when its output is not one (CI, cron, pipes)."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

from conftest import EXAMPLES, SEED, run_cli

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _read_all(fd: int, process: subprocess.Popen[bytes]) -> bytes:
    """Everything written to the terminal until the process ends (EIO: the other side closed)."""
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=30)
    return b"".join(chunks)


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_text(SEED.read_text(encoding="utf-8").replace("DOI:10.3389/", "DOI:10.3389 "))
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm",
           "PUBLISHER_QUARANTINE": str(tmp_path / "q")}  # fmt: skip
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher.cli", "ingest", "--store", str(tmp_path / "s"),
         str(EXAMPLES), str(broken)],
        stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary, env=env,
    )  # fmt: skip
    os.close(secondary)
    try:
        shown = ANSI.sub("", _read_all(primary, process).decode("utf-8", "replace"))
    finally:
        os.close(primary)
    assert process.returncode == 1, shown
    # the bar's own line: files done, records, rate, accepted and rejected
    assert re.search(r"\d+ records · \d+/s · \d+ accepted · \d+ rejected", shown), shown
    assert "published: 6, skipped: 0 (not articles), rejected: 1 (invalid)" in shown


def test_no_bar_when_not_a_terminal(tmp_path: Path) -> None:
    result = run_cli("ingest", "--store", str(tmp_path / "s"), str(EXAMPLES))
    assert result.returncode == 0, result.stderr
    assert "/s · " not in result.stderr and not ANSI.search(result.stderr + result.stdout)
    assert "published: 6, skipped: 0 (not articles), rejected: 0 (invalid)" in result.stdout
