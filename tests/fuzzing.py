"""Shared machinery of the bad-input tests: hypothesis profiles, the real samples each
reader is fuzzed from, byte mutations, the reader contract and regression fixtures.

Two sizes of run. The normal suite runs a few dozen derandomised cases per reader so it
stays fast and repeatable; `PUBLISHER_FUZZ=dedicated` runs 10,000 random cases per reader
(`PUBLISHER_FUZZ_EXAMPLES` overrides the number) and enables the huge-input tests.
A failing case's minimal input is written under `tests/fuzz_regressions/<reader>/`, and
`test_fuzz_readers.py` replays every file there in every run.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.mapping.records import RecordMapper
from publisher.model import ReadError, ReadNotice, Record, Skipped, TrialRecord
from publisher.readers.base import Reader, ReadItem

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
REGRESSIONS = REPO / "tests" / "fuzz_regressions"
DEDICATED = os.environ.get("PUBLISHER_FUZZ", "") == "dedicated"
EXAMPLES = int(os.environ.get("PUBLISHER_FUZZ_EXAMPLES", "10000" if DEDICATED else "60"))
CASE_SECONDS = 5.0  # one case, one reader: far more than any honest input of this size needs
SEED_BYTES = 64 * 1024  # longer samples are cut: a mutation of a prefix is still a mutation
BASE = "http://127.0.0.1:8000/"
FUZZ_PATH = "fuzz-input"

# The real samples of each format: ../shared/samples (absent on some machines) and the
# repository's own test data (always there, so every reader has seeds).
SEED_GLOBS: dict[str, tuple[str, ...]] = {
    "vufind-text": ("publisher/examples/records/*.txt", "tests/data/harvest/*.txt"),
    "pubmed-xml": ("shared:pubmed/*.xml", "tests/data/pubmed/*.xml"),
    "ctgov-json": ("shared:ctgov/*.json", "tests/data/ctgov/*.json"),
    "ris": ("shared:ris/*.ris", "tests/data/ris/*.ris", "tests/data/harvest/*.ris"),
    "wos-tagged": ("shared:ris/rispy_example_wos.txt", "tests/data/wos/*.txt"),
    "bibtex": ("shared:bibtex/*.bib", "tests/data/bibtex/*.bib"),
    "csl-json": ("shared:csl/*.json", "tests/data/csl/*.json"),
    "crossref-json": ("shared:crossref/*.json", "tests/data/crossref/*.json"),
    "marc21": ("shared:marc/*.dat", "tests/data/marc/*.mrc"),
    "marcxml": (
        "shared:marc/*.xml",
        "shared:lobid/*.xml",
        "shared:vufind/*.xml",
        "tests/data/marc/*.xml",
    ),
    "marc-json": ("shared:marc/*.json", "tests/data/marc/*.json"),
    "oai-pmh": ("shared:oai/*.xml", "tests/data/oai/*.xml"),
}

# Bytes that mean something to some format: structure, escapes, encodings, numbers.
TOKENS: tuple[bytes, ...] = (
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\r",
    b"\n",
    b"\r\n",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b":",
    b",",
    b"null",
    b"true",
    b"-1",
    b"0",
    b"1e999",
    b"NaN",
    b"99999999999999999999999",
    b"<",
    b">",
    b"&",
    b"</",
    b"/>",
    b"&amp;",
    b"&#0;",
    b"&#x110000;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
    b"&b;",
    b'<!DOCTYPE x SYSTEM "file:///etc/passwd">',
    b'xmlns="urn:x"',
    b"@article{",
    b"@",
    b"%",
    b"=",
    b"#",
    b"TY  - JOUR\n",
    b"ER  - \n",
    b"AU  - ",
    b"PT J\n",
    b"ER\n",
    b"\x1d",
    b"\x1e",
    b"\x1f",
    b"00000",
    b"99999",
    b"\xe2\x80\xa8",
    b"\t",
)


def seed_files(reader: str) -> list[Path]:
    """The sample files a reader is fuzzed from (the shared ones only when present)."""
    found: list[Path] = []
    for pattern in SEED_GLOBS[reader]:
        root, glob = (SAMPLES, pattern[7:]) if pattern.startswith("shared:") else (REPO, pattern)
        found.extend(sorted(root.glob(glob)) if root.exists() else [])
    return found


def seeds(reader: str) -> list[bytes]:
    return [path.read_bytes()[:SEED_BYTES] for path in seed_files(reader)]


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A real sample with a few edits: deletions, insertions, copies, tokens, flips."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(data)))
        span = draw(st.integers(0, 64))
        edit = draw(st.sampled_from(("delete", "insert", "token", "flip", "copy")))
        if edit == "delete":
            del data[where : where + span]
        elif edit == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=16))
        elif edit == "token":
            data[where:where] = draw(st.sampled_from(TOKENS))
        elif edit == "flip" and where < len(data):
            data[where] = draw(st.integers(0, 255))
        elif edit == "copy":
            source = draw(st.integers(0, len(data)))
            data[where:where] = data[source : source + span * 16]
    return bytes(data)


@st.composite
def truncated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    """A real sample cut at any byte: an interrupted download or a full disk."""
    data = draw(st.sampled_from(samples))
    return data[: draw(st.integers(0, len(data)))]


def bad_bytes(samples: list[bytes]) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, truncations and mutations of the real samples, in equal parts."""
    arbitrary = st.binary(max_size=2048)
    if not samples:
        return arbitrary
    return st.one_of(arbitrary, truncated(samples), mutated(samples))


class CaseTimeout(BaseException):
    """A case ran past its time limit. A BaseException, so that a reader's own
    `except Exception` cannot swallow it and report a hang as a ReadError."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM: main thread, Unix)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise CaseTimeout(f"case still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


MAPPER = RecordMapper(BASE)


def read_all(reader: Reader, data: bytes, path: str = FUZZ_PATH) -> list[ReadItem]:
    """Everything a reader yields for `data`, within the time limit and with a bound on
    how many items a file of this size may produce (a loop that never ends is a hang)."""
    items: list[ReadItem] = []
    started = time.monotonic()
    with time_limit(CASE_SECONDS):
        for item in reader.read(io.BytesIO(data), path):
            items.append(item)
            assert len(items) <= len(data) + 2, "more items than bytes: a runaway loop"
    assert time.monotonic() - started < CASE_SECONDS
    return items


def check_items(items: list[ReadItem], data: bytes, path: str = FUZZ_PATH) -> None:
    """The reader contract: only records, named errors, skipped records (not articles)
    and notices; every error says
    what is wrong and where; output does not grow far beyond the input (no entity
    expansion, no runaway copies)."""
    size = 0
    for item in items:
        assert isinstance(item, Record | TrialRecord | ReadError | ReadNotice | Skipped), item
        assert item.source.path == path, item
        assert item.source.position >= 1, item
        if isinstance(item, ReadError | ReadNotice | Skipped):
            assert item.message.strip(), f"an error without a message: {item!r}"
        size += len(repr(item))
    assert size <= 4000 * len(items) + 40 * len(data), "output far larger than the input"


def check_mapping(items: list[ReadItem]) -> None:
    """Every record a reader yields maps to triples the store can serialise."""
    for item in items:
        if isinstance(item, Record | TrialRecord):
            check_record_maps(item)


def check_record_maps(record: Record | TrialRecord) -> None:
    """One record maps (and its provenance too) to triples pyoxigraph writes as N-Quads
    and reads back unchanged: no invalid IRI or literal reaches the store."""
    from pyoxigraph import Quad, RdfFormat, parse, serialize

    mapped = MAPPER.map(record)
    triples = mapped.triples + MAPPER.provenance(mapped)
    assert triples, "a record mapped to nothing"
    quads = [Quad(t.subject, t.predicate, t.object, mapped.graph) for t in triples]
    text = serialize(quads, format=RdfFormat.N_QUADS)
    assert text is not None
    assert len(list(parse(text, format=RdfFormat.N_QUADS))) == len(quads)


def check_reader_case(reader: Reader, data: bytes) -> list[ReadItem]:
    """One fuzz case for one reader, end to end through the mapping."""
    items = read_all(reader, data)
    check_items(items, data)
    check_mapping(items)
    return items


T = TypeVar("T")
REPORT = os.environ.get("PUBLISHER_FUZZ_REPORT")  # a JSON Lines file the run appends to


@dataclass
class Tally:
    """What one fuzz test saw: the figures the README reports."""

    name: str
    cases: int = 0
    records: int = 0
    errors: int = 0
    notices: int = 0
    failures: int = 0  # distinct failures: hypothesis stops at the first, shrunk
    slowest: float = 0.0

    def count(self, items: list[ReadItem] | None, seconds: float) -> None:
        self.cases += 1
        self.slowest = max(self.slowest, seconds)
        for item in items or []:
            if isinstance(item, ReadError | Skipped):
                self.errors += 1
            elif isinstance(item, ReadNotice):
                self.notices += 1
            else:
                self.records += 1

    def publish(self) -> None:
        line = json.dumps({**asdict(self), "slowest": round(self.slowest, 3)})
        print(line)
        if REPORT:
            with open(REPORT, "a", encoding="utf-8") as report:
                report.write(line + "\n")


def fuzz_settings(examples: int = EXAMPLES) -> settings:
    """Derandomised and database-free in the normal suite (repeatable in CI); random in
    the dedicated run. Deadlines are ours (`time_limit`), not hypothesis's."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=not DEDICATED,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


def fuzz(
    name: str,
    strategy: st.SearchStrategy[T],
    check: Callable[[T], list[ReadItem] | None],
    save: Callable[[T], bytes],
    examples: int = EXAMPLES,
    label: str = "",
) -> Tally:
    """Run `check` on `examples` cases; on failure keep the minimal case (the last one
    hypothesis replays) as a regression fixture under fuzz_regressions/<name>/; `label`
    names the run in the figures when it is not `name`."""
    failing: list[T] = []
    tally = Tally(label or name)

    @fuzz_settings(examples)
    @given(strategy)
    def run(case: T) -> None:
        started = time.monotonic()
        try:
            items = check(case)
        except BaseException:
            failing[:] = [case]
            raise
        tally.count(items, time.monotonic() - started)

    try:
        run()
    finally:
        if failing:  # hypothesis replays the minimal case last
            tally.failures = 1
            save_regression(name, save(failing[0]))
        tally.publish()
    return tally


def save_regression(name: str, data: bytes) -> Path:
    """Keep a failing input: tests/fuzz_regressions/<name>/<sha256 prefix>.bin."""
    folder = REGRESSIONS / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}.bin"
    path.write_bytes(data)
    return path


def regression_files(name: str = "*") -> list[Path]:
    """The kept failing inputs of one fuzz test (`name`), or of all."""
    return sorted(p for p in REGRESSIONS.glob(f"{name}/*") if p.suffix == ".bin")


def identity(data: bytes) -> bytes:
    return data
