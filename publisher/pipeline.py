"""read -> map -> validate -> store, record by record, with an outcome per record.

The pipeline never stops at a bad record: it reports it and goes on, so that one
broken page does not keep the rest of a batch from being published.

Work is split where it can run in parallel: reading and storing happen in this
process (they touch the file and the store), mapping and validating (`check`) can run
in worker processes (`jobs > 1`); identity resolution, which asks the store, happens
before a record is sent out, and the disagreement check after it comes back.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Triple, parse, serialize

from publisher.harvest.recorder import Recorder
from publisher.mapping.records import RecordMapper
from publisher.merge import IdentityResolver, disagreements
from publisher.model import AnyRecord, ReadError, ReadNotice, Record, SourceRef, TrialRecord
from publisher.readers.base import ReadItem
from publisher.readers.registry import AUTO, read_file
from publisher.store.base import Store, StoreUnavailable
from publisher.validation.reports import report_triples
from publisher.validation.shacl import ShaclValidator, Violation

log = logging.getLogger(__name__)
BATCH = 32  # records per task sent to a worker process


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


@dataclass
class Checked:
    """A record mapped and validated: what comes back from a worker process.

    Triples travel as N-Triples bytes (pyoxigraph terms do not pickle); `report` is the
    SHACL validation report of a rejected record, ready to be stored as a graph.
    """

    outcome: Outcome
    graph: str | None = None
    triples: bytes | None = None
    report: bytes | None = None


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


class Checker:
    """Map + validate, the CPU-heavy part; one per process, holding no store."""

    def __init__(self, base_uri: str) -> None:
        self.mapper = RecordMapper(base_uri)
        self.validator = ShaclValidator(base_uri)

    def check(self, record: AnyRecord, key: str | None) -> Checked:
        title = record.display_title if isinstance(record, TrialRecord) else record.title
        outcome = Outcome(record.source, title, False, warnings=_warnings(record))
        try:
            mapped = self.mapper.map(record, key)
            outcome.article = mapped.article.value
            violations, report = self.validator.validate_with_report(mapped.triples)
            if violations:
                outcome.problems = [Problem.from_violation(v) for v in violations]
                report_graph = f"{mapped.graph.value}/validation"
                triples = report_triples(report, report_graph, record, self.mapper.pub)
                return Checked(outcome, mapped.graph.value, report=_nt(triples))
            stored = [*mapped.triples, *self.mapper.provenance(mapped)]
            outcome.accepted = True
            return Checked(outcome, mapped.graph.value, triples=_nt(stored))
        except Exception as error:  # a bug must not cost the rest of the batch
            log.exception("internal error on %s", record.source.describe())
            outcome.accepted = False
            outcome.problems = [Problem(f"internal error while publishing: {error!r}")]
            return Checked(outcome)


_worker: Checker | None = None


def _start_worker(base_uri: str) -> None:
    global _worker
    _worker = Checker(base_uri)


def _check_batch(batch: list[tuple[AnyRecord, str | None]]) -> list[Checked]:
    assert _worker is not None
    return [_worker.check(record, key) for record, key in batch]


class Pipeline:
    """Publishes records into a store (or only checks them, when the store is None)."""

    def __init__(
        self,
        base_uri: str,
        store: Store | None = None,
        format_name: str = AUTO,
        jobs: int = 1,
        recorder: Recorder | None = None,
    ) -> None:
        self.base_uri = base_uri
        # Change log, resource index and search index (publisher.harvest), when given.
        self.recorder = recorder
        self.checker = Checker(base_uri)
        self.store = store
        self.resolver = IdentityResolver(store, base_uri) if store is not None else None
        self.format_name = format_name
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def run_file(self, path: Path) -> Iterator[Outcome | ReadNotice]:
        """Outcomes of every record of the file, in order, plus notices about the file."""
        items = read_file(path, self.format_name)
        if self.jobs > 1:
            yield from self._run_parallel(items)
            return
        for item in items:
            if isinstance(item, ReadError | ReadNotice):
                yield _unread(item)
            else:
                yield self._commit(self.checker.check(item, self._key(item)))

    def run_record(self, record: AnyRecord) -> Outcome:
        return self._commit(self.checker.check(record, self._key(record)))

    def _run_parallel(self, items: Iterator[ReadItem]) -> Iterator[Outcome | ReadNotice]:
        """Batches of records out to worker processes, outcomes back in file order.

        At most two batches per worker are in flight, so memory stays bounded however
        large the file is.
        """
        pool = self._executor()
        pending: deque[Future[list[Checked]] | Outcome | ReadNotice] = deque()
        for chunk in _chunks(items, BATCH):
            batch: list[tuple[AnyRecord, str | None]] = []
            for item in chunk:
                if isinstance(item, ReadError | ReadNotice):
                    if batch:
                        pending.append(pool.submit(_check_batch, batch))
                        batch = []
                    pending.append(_unread(item))
                else:
                    batch.append((item, self._key(item)))
            if batch:
                pending.append(pool.submit(_check_batch, batch))
            while len(pending) > 2 * self.jobs:
                yield from self._drain(pending.popleft())
        while pending:
            yield from self._drain(pending.popleft())

    def _drain(
        self, entry: Future[list[Checked]] | Outcome | ReadNotice
    ) -> Iterator[Outcome | ReadNotice]:
        if isinstance(entry, Outcome | ReadNotice):
            yield entry
            return
        for checked in entry.result():
            yield self._commit(checked)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.jobs, initializer=_start_worker, initargs=(self.base_uri,)
            )
        return self._pool

    def _key(self, record: AnyRecord) -> str | None:
        if self.resolver is not None and isinstance(record, Record):
            return self.resolver.key_for(record)
        return None

    def _commit(self, checked: Checked) -> Outcome:
        """Store an accepted record (replacing its graph) or a rejected record's report."""
        outcome = checked.outcome
        if self.store is None or checked.graph is None:
            return outcome
        graph = NamedNode(checked.graph)
        report_graph = NamedNode(f"{checked.graph}/validation")
        try:
            if checked.triples is not None:
                triples = _triples(checked.triples)
                article = NamedNode(outcome.article) if outcome.article else None
                if article is not None:
                    outcome.warnings.extend(disagreements(self.store, article, graph, triples))
                self.store.replace_graph(graph, triples)
                self.store.remove_graph(report_graph)
                if self.recorder is not None:
                    outcome.warnings.extend(
                        self.recorder.stored(graph.value, outcome.article, triples)
                    )
            elif checked.report is not None:
                self.store.replace_graph(report_graph, _triples(checked.report))
        except StoreUnavailable:
            raise  # the store is down, not this record: stop (the command says so)
        except Exception as error:
            log.exception("store error on %s", outcome.source.describe())
            outcome.accepted = False
            outcome.problems.append(Problem(f"could not store the record: {error}"))
        return outcome


def _unread(item: ReadError | ReadNotice) -> Outcome | ReadNotice:
    if isinstance(item, ReadNotice):
        return item
    return Outcome(item.source, None, False, problems=[Problem(item.message, item.field)])


def _chunks(items: Iterator[ReadItem], size: int) -> Iterator[list[ReadItem]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _nt(triples: list[Triple]) -> bytes:
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b""


def _triples(data: bytes) -> list[Triple]:
    return [quad.triple for quad in parse(data, format=RdfFormat.N_TRIPLES)]


def _warnings(record: AnyRecord) -> list[str]:
    unknown = [
        f"unknown field {f.label!r} not published: {f.value[:80]!r}" for f in record.unknown_fields
    ]
    return [*record.warnings, *unknown]
