"""When the store's disk cannot take a write: full, over quota, or read-only.

Such a failure is not one record's problem: every record after it would fail the same
way, and each would be reported as rejected and quarantined, though nothing is wrong
with it. So the store's errors are sorted here: a write the disk refused becomes
`StoreWriteFailed` (a `StoreUnavailable`: ingest stops with a clear message, the web
layer answers 503), and what was committed before it is whole records only (RocksDB
and SQLite roll back the write that failed).
"""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from publisher.store.base import StoreUnavailable

P = ParamSpec("P")
R = TypeVar("R")

# What RocksDB (through pyoxigraph: OSError with a message, often no errno) and SQLite
# say, and what it means for the person running the command.
_SIGNS = {
    "no space left on device": errno.ENOSPC,
    "database or disk is full": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
    "read-only file system": errno.EROFS,
    "attempt to write a readonly database": errno.EROFS,
    "permission denied": errno.EACCES,
    "file too large": errno.EFBIG,
}
_MEANING = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the folder is on a read-only file system",
    errno.EACCES: "the folder is not writable (permission denied)",
    errno.EFBIG: "a file would grow past the size allowed (RLIMIT_FSIZE)",
}


class StoreWriteFailed(StoreUnavailable):
    """The disk refused a write: nothing more can be stored until space or permission
    is given back. What was stored before is whole records only."""


def refused_write(error: BaseException, where: Path | str | None) -> StoreWriteFailed | None:
    """The error as StoreWriteFailed when it says the disk refused the write, else None."""
    code = getattr(error, "errno", None)
    if code not in _MEANING:
        text = str(error).lower()
        code = next((c for sign, c in _SIGNS.items() if sign in text), None)
    if code is None:
        return None
    place = f" at {where}" if where is not None else ""
    return StoreWriteFailed(
        f"cannot write to the store{place}: {_MEANING[code]} ({error}); what is stored is"
        " whole records only: make room (or make it writable) and do the same again"
    )


class _HasPath(Protocol):
    @property
    def path(self) -> Path | None: ...


S = TypeVar("S", bound=_HasPath)


def writes(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Decorate a store method that writes: a refused write raises StoreWriteFailed."""

    @functools.wraps(method)
    def guarded(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except (OSError, RuntimeError) as error:
            refused = refused_write(error, self.path)
            if refused is None:
                raise
            raise refused from error

    return guarded
