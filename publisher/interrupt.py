"""Ctrl-C during a long write (`publisher ingest`): stop soon, at a point where what is
stored is whole records only.

Python's own handling is not enough for that. It raises KeyboardInterrupt wherever the
main thread happens to be, so library code that catches too broadly (or a finaliser)
can swallow it; and a process that starts with SIGINT ignored, as a job a script or CI
runner put in the background does (POSIX: asynchronous lists of a shell without job
control), keeps it ignored: Ctrl-C and `kill -INT` then do nothing at all.

So a writing command installs its own handler (`stop_on_sigint`), whatever it inherited.
Outside `Stop.deferred()` a Ctrl-C raises `Interrupted` at once, as Python would (start-up
only reads and computes); inside, it only sets the flag, and the work checks it between
records and batches (`Stop.check`) and never waits without a timeout (`Stop.result`).
A second Ctrl-C raises at once anywhere. Worker processes ignore SIGINT
(`ignore_sigint`): a terminal sends it to the whole process group, and only the parent
decides when to stop.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.1  # how often a wait looks at the flag


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, honoured (a KeyboardInterrupt: whatever undoes a record on Ctrl-C runs)."""


class Stop:
    """Whether Ctrl-C was pressed; a Stop that no handler feeds is simply never asked."""

    def __init__(self) -> None:
        self._asked = threading.Event()
        self._deferring = 0
        self._pid = os.getpid()

    @property
    def asked(self) -> bool:
        return self._asked.is_set()

    def ask(self) -> None:
        self._asked.set()

    def check(self) -> None:
        """Raise Interrupted if Ctrl-C was pressed: call it where stopping is safe."""
        if self._asked.is_set():
            raise Interrupted

    def result(self, future: Future[T]) -> T:
        """The future's result, waiting in short steps: Interrupted as soon as Ctrl-C is
        pressed, though the work behind the future goes on (the caller decides)."""
        while not future.done():
            self.check()
            wait([future], timeout=POLL_SECONDS)
        return future.result()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Within: Ctrl-C only sets the flag (the first one; a second raises at once)."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self._pid:
            return  # a worker forked with this handler, before it ignores SIGINT itself
        again = self._asked.is_set()
        self._asked.set()
        if again or not self._deferring:
            raise Interrupted


@contextmanager
def stop_on_sigint() -> Iterator[Stop]:
    """A Stop fed by SIGINT while inside (the previous handler back after, even one that
    ignored it). Off the main thread, where no handler can be installed, a Stop that is
    never asked."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGINT, stop._on_sigint)
    try:
        yield stop
    finally:
        # None: a handler not installed from Python; Python's default then.
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


def ignore_sigint() -> None:
    """For a worker process: Ctrl-C at a terminal reaches it too; the parent stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
