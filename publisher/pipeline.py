"""read -> map -> validate -> store, one record at a time, with an outcome per record.

The pipeline never stops at a bad record: it reports it and goes on, so that one
broken page does not keep the rest of a batch from being published.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from publisher.mapping.records import MappedRecord, RecordMapper
from publisher.model import AnyRecord, ReadError, ReadNotice, SourceRef, TrialRecord
from publisher.readers.registry import AUTO, read_file
from publisher.store.base import Store
from publisher.validation.shacl import ShaclValidator, Violation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """Why a record was rejected: the field (or SHACL path) at fault, in plain words."""

    message: str
    field: str | None = None
    focus: str | None = None
    constraint: str | None = None

    @classmethod
    def from_violation(cls, violation: Violation) -> Problem:
        return cls(violation.message, violation.path, violation.focus, violation.constraint)


@dataclass
class Outcome:
    source: SourceRef
    title: str | None
    accepted: bool
    article: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Summary:
    accepted: int = 0
    rejected: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome.accepted:
            self.accepted += 1
        else:
            self.rejected += 1


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders walked in name order (hidden files skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            files.append(path)
    return files


class Pipeline:
    """Publishes records into a store (or only checks them, when the store is None)."""

    def __init__(self, base_uri: str, store: Store | None = None, format_name: str = AUTO) -> None:
        self.mapper = RecordMapper(base_uri)
        self.validator = ShaclValidator(base_uri)
        self.store = store
        self.format_name = format_name

    def run_file(self, path: Path) -> Iterator[Outcome | ReadNotice]:
        """Outcomes of every record of the file, plus notices about the file itself."""
        for item in read_file(path, self.format_name):
            if isinstance(item, ReadError):
                yield Outcome(
                    item.source, None, False, problems=[Problem(item.message, item.field)]
                )
            elif isinstance(item, ReadNotice):
                yield item
            else:
                yield self.run_record(item)

    def run_record(self, record: AnyRecord) -> Outcome:
        title = record.display_title if isinstance(record, TrialRecord) else record.title
        outcome = Outcome(record.source, title, False, warnings=_warnings(record))
        try:
            mapped = self.mapper.map(record)
            outcome.article = mapped.article.value
            violations = self.validator.validate(mapped.triples)
            if violations:
                outcome.problems = [Problem.from_violation(v) for v in violations]
                return outcome
            if self.store is not None:
                self._store(mapped)
        except Exception as error:  # a bug must not cost the rest of the batch
            log.exception("internal error on %s", record.source.describe())
            outcome.problems = [Problem(f"internal error while publishing: {error!r}")]
            return outcome
        outcome.accepted = True
        return outcome

    def _store(self, mapped: MappedRecord) -> None:
        assert self.store is not None
        self.store.replace_graph(mapped.graph, [*mapped.triples, *self.mapper.provenance(mapped)])


def _warnings(record: AnyRecord) -> list[str]:
    unknown = [
        f"unknown field {f.label!r} not published: {f.value[:80]!r}" for f in record.unknown_fields
    ]
    return [*record.warnings, *unknown]
