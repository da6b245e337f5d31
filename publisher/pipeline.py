"""read -> map -> validate -> store, record by record, with an outcome per record.

The pipeline never stops at a bad record: it reports it and goes on, so that one
broken page does not keep the rest of a batch from being published.

Work is split where it can run in parallel: reading and storing happen in this
process (they touch the file and the store), mapping and validating (`check`) can run
in worker processes (`jobs > 1`); identity resolution, which asks the store, happens
before a record is sent out, and the disagreement check after it comes back.

Ctrl-C (a `Stop`, see `publisher.interrupt`) is looked at between records and batches and
while waiting for workers or writes; the write under way always ends (one transaction),
so the store holds whole records only.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Triple, serialize

from publisher.harvest.recorder import Recorder, facts_of
from publisher.harvest.sidecar import Document, GraphFacts
from publisher.interrupt import Interrupted, Stop, ignore_sigint
from publisher.mapping.consolidate import Precedence, Source, consolidate
from publisher.mapping.records import MappedRecord, RecordMapper
from publisher.merge import IdentityResolver, disagreements
from publisher.model import (
    AnyRecord,
    ReadError,
    ReadNotice,
    Record,
    Skipped,
    SourceRef,
    TrialRecord,
)
from publisher.readers.base import ReadItem
from publisher.readers.registry import AUTO, read_file
from publisher.store.base import NTriples, Store, StoreUnavailable
from publisher.store.layout import Layout
from publisher.store.published import PublishedView, ViewChanges, Written
from publisher.validation.reports import report_triples
from publisher.validation.shacl import ShaclValidator, Validation, Violation
from publisher.validation.summary import (
    OUT_OF_SCOPE,
    PARSE_ERROR,
    Unread,
    unread_graph,
    unread_triples,
)

log = logging.getLogger(__name__)
BATCH = 64  # records checked together (one task for a worker process) and stored together


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


# Why a record was not published, as `publisher report` counts them: PARSE_ERROR (the
# reader could not read it), OUT_OF_SCOPE (read whole, not an article: Skipped), SHAPE
# (read and mapped, but its RDF fails the SHACL shapes).
SHAPE = "shape"


@dataclass
class Outcome:
    source: SourceRef
    title: str | None
    accepted: bool
    article: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: bool = False  # not an article: neither published nor rejected

    @property
    def reason(self) -> str | None:
        """Why the record is not published (PARSE_ERROR, OUT_OF_SCOPE, SHAPE), or None."""
        if self.accepted:
            return None
        if self.skipped:
            return OUT_OF_SCOPE
        return SHAPE if self.article is not None else PARSE_ERROR


@dataclass
class Summary:
    accepted: int = 0
    rejected: int = 0
    skipped: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome.accepted:
            self.accepted += 1
        elif outcome.skipped:
            self.skipped += 1
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
    # What the side database keeps of an accepted record (publisher.harvest), worked
    # out beside the triples when the pipeline has a recorder.
    facts: GraphFacts | None = None
    document: Document | None = None
    # The resources the record describes, and each one's published description from this
    # record alone (N-Triples): what the published view needs when the resource has no
    # other source, worked out here rather than in the process that writes the store.
    alone: dict[str, bytes] = field(default_factory=dict)

    def problems_free(self) -> bool:
        """Not failed on the way to the store (a rejected record's report still is stored)."""
        return self.triples is None or self.outcome.accepted


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
    """Map + validate, the CPU-heavy part; one per process, holding no store.

    `fast` False is the naive pipeline (pyshacl on every record), kept as the baseline
    the benchmark measures against; results are the same either way.
    """

    def __init__(
        self, base_uri: str, *, fast: bool = True, facts: bool = False, views: bool = False
    ) -> None:
        self.base_uri = base_uri
        self.mapper = RecordMapper(base_uri)
        self.validator = ShaclValidator(fast=fast)
        self.published_flag = Layout(base_uri).published_flag
        self.facts = facts  # work out the side database's facts of accepted records
        self.views = views  # and each resource's description from the record alone

    def check(self, record: AnyRecord, key: str | None) -> Checked:
        return self.check_batch([(record, key)])[0]

    def check_batch(self, batch: list[tuple[AnyRecord, str | None]]) -> list[Checked]:
        """Map every record, then validate the mapped ones together (the compiled shapes
        decide a whole batch at once; pyshacl sees only the records they cannot pass)."""
        outcomes = [self._outcome(record) for record, _ in batch]
        mapped: list[MappedRecord | None] = []
        for (record, key), outcome in zip(batch, outcomes, strict=True):
            try:
                mapped.append(self.mapper.map(record, key))
            except Exception as error:  # a bug must not cost the rest of the batch
                mapped.append(None)
                _internal_error(outcome, error)
        done = [m for m in mapped if m is not None]
        validations = iter(self._validate(done))
        checked = []
        for record_mapped, outcome in zip(mapped, outcomes, strict=True):
            if record_mapped is None:
                checked.append(Checked(outcome))
                continue
            result = next(validations)
            checked.append(self._checked(record_mapped, outcome, result))
        return checked

    def _alone(self, mapped: MappedRecord, stored: list[Triple]) -> dict[str, bytes]:
        source = Source(mapped.graph, mapped.record.source.format, stored)
        return {
            resource.value: _nt(consolidate(resource, [source], self.published_flag).triples)
            for resource in source.resources
        }

    @staticmethod
    def _outcome(record: AnyRecord) -> Outcome:
        title = record.display_title if isinstance(record, TrialRecord) else record.title
        return Outcome(record.source, title, False, warnings=_warnings(record))

    def _validate(self, mapped: list[MappedRecord]) -> list[Validation | Exception]:
        """Validation of the batch; when it fails as a whole, record by record, so that
        an error stays with the one record that caused it."""
        try:
            return list(self.validator.validate_many([m.triples for m in mapped]))
        except Exception:
            results: list[Validation | Exception] = []
            for one in mapped:
                try:
                    results.extend(self.validator.validate_many([one.triples]))
                except Exception as error:
                    results.append(error)
            return results

    def _checked(
        self, mapped: MappedRecord, outcome: Outcome, result: Validation | Exception
    ) -> Checked:
        try:
            if isinstance(result, Exception):
                raise result
            outcome.article = mapped.article.value
            violations, report = result
            if violations:
                assert report is not None
                outcome.problems = [Problem.from_violation(v) for v in violations]
                report_graph = f"{mapped.graph.value}/validation"
                triples = report_triples(report, report_graph, mapped.record)
                return Checked(outcome, mapped.graph.value, report=_nt(triples))
            stored = [*mapped.triples, *self.mapper.provenance(mapped)]
            outcome.accepted = True
            checked = Checked(outcome, mapped.graph.value, triples=_nt(stored))
            if self.views:
                checked.alone = self._alone(mapped, stored)
            if self.facts:
                checked.facts, checked.document = facts_of(
                    stored, mapped.graph.value, mapped.article.value, self.base_uri
                )
            return checked
        except Exception as error:  # a bug must not cost the rest of the batch
            _internal_error(outcome, error)
            return Checked(outcome)


def _internal_error(outcome: Outcome, error: Exception) -> None:
    log.error("internal error on %s", outcome.source.describe(), exc_info=error)
    outcome.accepted = False
    outcome.problems = [Problem(f"internal error while publishing: {error!r}")]


_worker: Checker | None = None
_dropped: EventType | None = None  # set by the parent on Ctrl-C: queued batches are skipped
# The parent's own Checker, for workers it forks: they start in milliseconds instead of
# compiling the shapes again (a second or more), so that stopping during start-up is quick.
_forked: tuple[tuple[str, bool, bool, bool], Checker] | None = None


def _start_worker(base_uri: str, fast: bool, facts: bool, views: bool, dropped: EventType) -> None:
    global _worker, _dropped
    ignore_sigint()  # first: Ctrl-C at a terminal reaches workers too; the parent decides
    _dropped = dropped
    if _forked is not None and _forked[0] == (base_uri, fast, facts, views):
        _worker = _forked[1]
    else:  # started afresh (spawn, forkserver)
        _worker = Checker(base_uri, fast=fast, facts=facts, views=views)


def _check_batch(batch: list[tuple[AnyRecord, str | None]]) -> list[Checked]:
    assert _worker is not None
    if _dropped is not None and _dropped.is_set():
        raise Interrupted  # the parent is stopping and will not look at the result
    return _worker.check_batch(batch)


Pending = Future[list[Checked]] | list[Checked] | Outcome | ReadNotice
Write = tuple[Checked, NamedNode, Sequence[Triple]]  # a record and the graph it goes to


def _identity_names(item: AnyRecord) -> set[str]:
    """The DOI and PMID by which identity resolution could find the record's article."""
    if not isinstance(item, Record):
        return set()
    names = {f"doi:{item.doi.lower()}" if item.doi else "", f"pmid:{item.pmid or ''}"}
    return names - {"", "pmid:"}


class Pipeline:
    """Publishes records into a store (or only checks them, when the store is None).

    Records go through in batches of `batch` (checked together, stored in one write);
    `fast` False validates every record with pyshacl alone (the benchmark's baseline).
    `stop`, once asked (Ctrl-C), ends `run_file` with `Interrupted` at the next record or
    batch; leaving the `with` block then drops what is not written yet. `view` False
    leaves the published view (and the listings that follow it) alone: only the
    benchmark does that, to measure what keeping the view costs.
    """

    def __init__(
        self,
        base_uri: str,
        store: Store | None = None,
        format_name: str = AUTO,
        jobs: int = 1,
        recorder: Recorder | None = None,
        *,
        fast: bool = True,
        batch: int = BATCH,
        stop: Stop | None = None,
        precedence: Precedence | None = None,
        view: bool = True,
    ) -> None:
        self.base_uri = base_uri
        self.stop = stop or Stop()  # never asked unless a SIGINT handler feeds it
        # Change log, resource index and search index (publisher.harvest), when given.
        self.recorder = recorder
        self.fast = fast
        keeps_view = store is not None and view
        self.checker = Checker(base_uri, fast=fast, facts=recorder is not None, views=keeps_view)
        self.store = store
        self.resolver = IdentityResolver(store, base_uri) if store is not None else None
        # The consolidated descriptions of what each batch touches (publisher.store.published);
        # resources a stopped run left marked are finished first.
        self.view = (
            PublishedView(store, base_uri, precedence) if store is not None and view else None
        )
        if self.view is not None:
            self._published(self.view.ensure())
        self.format_name = format_name
        self.jobs = jobs
        self.batch = max(1, batch)
        self._pool: ProcessPoolExecutor | None = None
        self._dropped: EventType | None = None  # tells the pool's workers to skip batches
        # DOIs/PMIDs of records checked but not stored yet: a record sharing one must
        # wait for them, or identity resolution would not see the article they publish.
        self._in_flight: set[str] = set()
        # Store writes run in one thread (Oxigraph releases the GIL while it writes),
        # overlapping the next batch's parsing, checks and side-database work.
        self._writer: ThreadPoolExecutor | None = None
        self._writing: deque[tuple[Future[ViewChanges], list[Write], list[Outcome]]] = deque()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        interrupted = kind is not None and issubclass(kind, KeyboardInterrupt)
        if self._pool is not None:
            if interrupted and self._dropped is not None:
                self._dropped.set()  # batches queued for a worker are skipped, not checked
            # The batch a worker is checking finishes (a fraction of a second); the
            # workers are not killed: one killed while it sends a result leaves the pool's
            # pipe half-written, and the interpreter would wait at exit for ever.
            self._pool.shutdown(cancel_futures=True)
            self._pool = self._dropped = None
            global _forked
            if _forked is not None and _forked[1] is self.checker:
                _forked = None
        if self._writer is not None:
            # A write under way finishes (one transaction: records stay whole); after
            # Ctrl-C, writes not started yet are dropped (the next run does them).
            self._writer.shutdown(wait=True, cancel_futures=interrupted)
            self._writer = None

    def run_file(self, path: Path) -> Iterator[Outcome | ReadNotice]:
        """Outcomes of every record of the file, in order, plus notices about the file;
        once the file is done, its records that have no graph of their own (parse
        errors, skipped records) are listed in the file's unread graph, for `report`."""
        unread: list[Unread] = []
        for item in self._run_file(path):
            if isinstance(item, Outcome) and item.reason in (PARSE_ERROR, OUT_OF_SCOPE):
                message = "; ".join(p.message for p in item.problems)
                source = item.source
                reason = item.reason
                unread.append(Unread(source.format, path.name, source.position, reason, message))
            yield item
        self._record_unread(path, unread)

    def _record_unread(self, path: Path, unread: list[Unread]) -> None:
        if self.store is None:
            return
        graph = unread_graph(self.base_uri, str(path.resolve()))
        if unread:
            self.store.replace_graph(graph, unread_triples(unread))
        elif self.store.graph_exists(graph):
            self.store.remove_graph(graph)

    def _run_file(self, path: Path) -> Iterator[Outcome | ReadNotice]:
        """Outcomes of every record of the file, in order, plus notices about the file.

        With `jobs` > 1, batches go out to worker processes, at most two per worker in
        flight, so memory stays bounded however large the file is.
        """
        pending: deque[Pending] = deque()
        limit = 2 * self.jobs if self.jobs > 1 else 0
        for chunk in _chunks(read_file(path, self.format_name), self.batch):
            self.stop.check()
            batch: list[tuple[AnyRecord, str | None]] = []
            for item in chunk:
                if isinstance(item, ReadError | ReadNotice | Skipped):
                    self._submit(batch, pending)
                    batch = []
                    pending.append(_unread(item))
                    continue
                if self._waits(item):
                    self._submit(batch, pending)
                    batch = []
                    yield from self._drain_all(pending)
                self._note(item)
                batch.append((item, self._key(item)))
            self._submit(batch, pending)
            while len(pending) > limit:
                yield from self._drain(pending.popleft())
        yield from self._drain_all(pending)

    def _drain_all(self, pending: deque[Pending]) -> Iterator[Outcome | ReadNotice]:
        """Everything checked and stored: the store then answers for all records so far."""
        while pending:
            yield from self._drain(pending.popleft())
        while self._writing:
            yield from self._finish_write()
        self._in_flight.clear()

    def run_record(self, record: AnyRecord) -> Outcome:
        return self._commit(self.checker.check_batch([(record, self._key(record))]))[0]

    def _submit(self, batch: list[tuple[AnyRecord, str | None]], pending: deque[Pending]) -> None:
        if not batch:
            return
        if self.jobs > 1:
            pending.append(self._executor().submit(_check_batch, batch))
        else:
            pending.append(self.checker.check_batch(batch))

    def _waits(self, item: AnyRecord) -> bool:
        """Whether the record shares a DOI or PMID with one not stored yet."""
        return bool(_identity_names(item) & self._in_flight) if self.resolver else False

    def _note(self, item: AnyRecord) -> None:
        if self.resolver is not None:
            self._in_flight |= _identity_names(item)

    def _drain(self, entry: Pending) -> Iterator[Outcome | ReadNotice]:
        """Outcomes in input order: an unread item waits for the writes before it."""
        if isinstance(entry, Outcome | ReadNotice):
            while self._writing:
                yield from self._finish_write()
            yield entry
            return
        batch = entry if isinstance(entry, list) else self.stop.result(entry)
        self.stop.check()
        if self.store is None:
            yield from (checked.outcome for checked in batch)
            return
        writes = self._stage(batch)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
        future = self._writer.submit(self._write, writes)
        self._writing.append((future, writes, [checked.outcome for checked in batch]))
        while len(self._writing) > 1:
            yield from self._finish_write()

    def _finish_write(self) -> Iterator[Outcome]:
        future, writes, outcomes = self._writing.popleft()
        changes = self.stop.result(future)  # a store that went away stops the ingest here
        self._after_write(writes)
        self._published(changes)
        yield from outcomes

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            global _forked
            key = (self.base_uri, self.fast, self.checker.facts, self.checker.views)
            _forked = (key, self.checker)
            context = multiprocessing.get_context()
            self._dropped = context.Event()
            self._pool = ProcessPoolExecutor(
                self.jobs,
                mp_context=context,
                initializer=_start_worker,
                initargs=(*key, self._dropped),
            )
        return self._pool

    def _key(self, record: AnyRecord) -> str | None:
        if self.resolver is not None and isinstance(record, Record):
            return self.resolver.key_for(record)
        return None

    def _commit(self, batch: list[Checked]) -> list[Outcome]:
        """Store the batch's accepted records (replacing their graphs) and the rejected
        records' reports, in one write when the store can; each record stays whole."""
        if self.store is not None:
            writes = self._stage(batch)
            changes = self._write(writes)
            self._after_write(writes)
            self._published(changes)
        return [checked.outcome for checked in batch]

    def _stage(self, batch: list[Checked]) -> list[Write]:
        """What to write for a checked batch; disagreements with other sources noted."""
        writes: list[Write] = []
        for checked in batch:
            self.stop.check()  # nothing of the batch is written yet
            if checked.graph is None:
                continue
            if checked.triples is not None:
                triples = NTriples(checked.triples)  # parsed only if something reads them
                self._disagreements(checked.outcome, NamedNode(checked.graph), triples)
                writes.append((checked, NamedNode(checked.graph), triples))
            elif checked.report is not None:
                report = NamedNode(f"{checked.graph}/validation")
                writes.append((checked, report, NTriples(checked.report)))
        return writes

    def _after_write(self, writes: list[Write]) -> None:
        for checked, graph, triples in writes:
            # Ctrl-C: the rest of the batch is stored (whole records) but not yet in the
            # side database; the next run stores those records again and records them.
            self.stop.check()
            if checked.triples is not None and checked.outcome.accepted:
                self._stored(checked, graph, triples)

    def _disagreements(self, outcome: Outcome, graph: NamedNode, triples: Sequence[Triple]) -> None:
        if outcome.article is None or self.store is None:
            return
        try:
            found = disagreements(self.store, NamedNode(outcome.article), graph, triples)
        except StoreUnavailable:
            raise
        except Exception as error:
            _store_error(outcome, error)
            return
        outcome.warnings.extend(found)

    def _published(self, changes: ViewChanges) -> None:
        """The side database's listings follow what the published view wrote."""
        if self.recorder is not None and self.view is not None:
            self.recorder.published(changes, self.view)

    def _write(self, writes: list[Write]) -> ViewChanges:
        """One batched write; if it fails, record by record, to say which record failed."""
        assert self.store is not None
        todo = [(g, t) for checked, g, t in writes if checked.problems_free()]
        if self.view is None:  # the benchmark's baseline: the source graphs alone
            try:
                self.store.replace_graphs(todo)
            except StoreUnavailable:
                raise
            except Exception:
                self._write_one_by_one(writes)
            return ViewChanges()
        records = [
            Written(
                g,
                t,
                frozenset(NamedNode(r) for r in checked.alone),
                {NamedNode(r): NTriples(nt) for r, nt in checked.alone.items()},
                checked.outcome.source.format,
            )
            for checked, g, t in writes
            if checked.triples is not None and checked.problems_free()
        ]
        # Marked before the sources change, unmarked with the new descriptions: a crash
        # in between leaves marks that the next run finishes (PublishedView.recover).
        batch = self.view.prepare(records)
        try:
            self.store.replace_graphs(todo)
        except StoreUnavailable:
            raise
        except Exception:
            log.warning("batched write failed; storing the batch record by record")
            self._write_one_by_one(writes)
            # From what was stored, whatever that is.
            return self.view.refresh(batch.touched, batch)
        return self.view.apply(batch)

    def _write_one_by_one(self, writes: list[Write]) -> None:
        assert self.store is not None
        for checked, graph, triples in writes:
            if not checked.problems_free():
                continue
            try:
                self.store.replace_graph(graph, triples)
            except StoreUnavailable:
                raise
            except Exception as error:
                _store_error(checked.outcome, error)

    def _stored(self, checked: Checked, graph: NamedNode, triples: Sequence[Triple]) -> None:
        """After an accepted record is stored: drop its old report, tell the side database."""
        assert self.store is not None
        outcome = checked.outcome
        try:
            self.store.remove_graph(NamedNode(f"{graph.value}/validation"))
            if self.recorder is not None:
                said = self.recorder.stored(
                    graph.value, outcome.article, triples, checked.facts, checked.document
                )
                outcome.warnings.extend(said)
        except StoreUnavailable:
            raise
        except Exception as error:
            _store_error(outcome, error)


def _store_error(outcome: Outcome, error: Exception) -> None:
    log.error("store error on %s", outcome.source.describe(), exc_info=error)
    outcome.accepted = False
    outcome.problems.append(Problem(f"could not store the record: {error}"))


def _unread(item: ReadError | ReadNotice | Skipped) -> Outcome | ReadNotice:
    if isinstance(item, ReadNotice):
        return item
    if isinstance(item, Skipped):
        return Outcome(
            item.source, None, False, problems=[Problem(item.message, item.field)], skipped=True
        )
    return Outcome(item.source, None, False, problems=[Problem(item.message, item.field)])


def _chunks(items: Iterator[ReadItem], size: int) -> Iterator[list[ReadItem]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _nt(triples: list[Triple]) -> bytes:
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b""


def _warnings(record: AnyRecord) -> list[str]:
    unknown = [
        f"unknown field {f.label!r} not published: {f.value[:80]!r}" for f in record.unknown_fields
    ]
    return [*record.warnings, *unknown]
