"""Rejected records are kept, not lost: their source files and reasons in a folder.

Each ingest run that rejects anything copies the source file once into the quarantine
folder (named with the run's time, so runs never overwrite each other) and appends one
row per problem to `rejected.csv` there. A fixed file can simply be ingested again:
accepted records replace their graphs, so nothing is duplicated.
"""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

from publisher.pipeline import Outcome

COLUMNS = (
    "time",
    "file",
    "quarantined_copy",
    "record",
    "line",
    "title",
    "field",
    "constraint",
    "node",
    "message",
)


class Quarantine:
    def __init__(self, folder: Path) -> None:
        self.folder = folder.absolute()  # `ingest` prints where it is; the CSV names copies
        self.run = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self._copies: dict[str, Path] = {}

    def keep(self, outcome: Outcome) -> None:
        """Record why `outcome` was rejected, copying its source file if not done yet."""
        copy = self._copy(Path(outcome.source.path))
        log = self.folder / "rejected.csv"
        is_new = not log.exists()
        with log.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            if is_new:
                writer.writerow(COLUMNS)
            for problem in outcome.problems or []:
                writer.writerow((
                    self.run, outcome.source.path, str(copy) if copy else "",
                    outcome.source.position, outcome.source.line or "", outcome.title or "",
                    problem.field or "", problem.constraint or "", problem.focus or "",
                    problem.message,
                ))  # fmt: skip

    def _copy(self, source: Path) -> Path | None:
        key = str(source)
        if key not in self._copies:
            target = self.folder / self.run / source.name
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                if source.is_file():
                    shutil.copy2(source, target)
                    self._copies[key] = target
            except OSError:
                return None
        return self._copies.get(key)
