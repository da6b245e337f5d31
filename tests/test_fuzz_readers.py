"""Property-based tests: every reader, fed arbitrary bytes, truncations and mutations of
the real samples, yields records, named errors or notices, and nothing else: no
unhandled exception, no hang, no output out of proportion to its input.

Normal suite: a few dozen derandomised cases per reader. Dedicated run (10,000 random
cases per reader; `-s` prints each reader's figures, PUBLISHER_FUZZ_REPORT=file.jsonl
collects them): `PUBLISHER_FUZZ=dedicated .venv/bin/python -m pytest -s
tests/test_fuzz_readers.py`.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from fuzzing import (
    CASE_SECONDS,
    DEDICATED,
    bad_bytes,
    check_items,
    check_mapping,
    check_reader_case,
    fuzz,
    identity,
    read_all,
    regression_files,
    seeds,
    time_limit,
)
from hypothesis import strategies as st

from publisher.model import Record, TrialRecord
from publisher.readers.base import ReadItem
from publisher.readers.registry import READERS, read_file

AUTO = "auto"  # regression folder of cases found through format detection


@pytest.mark.parametrize("name", list(READERS))
def test_reader_seeds_are_real_records(name: str) -> None:
    """The samples the mutations start from hold real records: the fuzzing starts from
    valid input of the format, not from noise."""
    samples = seeds(name)
    assert samples, f"no sample for {name}"
    items = [item for data in samples for item in read_all(READERS[name], data)]
    assert any(isinstance(item, Record | TrialRecord) for item in items)


@pytest.mark.parametrize("name", list(READERS))
def test_reader_survives_bad_bytes(name: str) -> None:
    reader = READERS[name]
    for data in seeds(name):  # first use loads libraries: not a case's time
        read_all(reader, data)
    tally = fuzz(
        name, bad_bytes(seeds(name)), lambda data: check_reader_case(reader, data), identity
    )
    if DEDICATED:  # a few dozen cases may all be broken; 10,000 must reach both
        assert tally.records and tally.errors, "the cases should reach records and errors"


def _read_path(data: bytes, compress: bool) -> list[ReadItem]:
    """Format detection and the file layer (gzip included) on arbitrary bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(gzip.compress(data) if compress else data)
        with time_limit(CASE_SECONDS):
            items = list(read_file(path))
        check_items(items, data, str(path))
        check_mapping(items)
        return items


def test_detection_survives_bad_bytes() -> None:
    every_seed = [data for name in READERS for data in seeds(name)]
    strategy = st.tuples(bad_bytes(every_seed), st.booleans())
    fuzz(AUTO, strategy, lambda case: _read_path(*case), lambda case: case[0])


@pytest.mark.parametrize(
    "fixture",
    [p for p in regression_files() if p.parent.name != "mapping"],  # records: test_fuzz_mapping
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_regression_fixture(fixture: Path) -> None:
    """Every input a fuzz run once failed on, replayed with its reader (or through
    detection for `auto/`)."""
    data = fixture.read_bytes()
    if fixture.parent.name == AUTO:
        _read_path(data, compress=False)
    else:
        check_reader_case(READERS[fixture.parent.name], data)
