"""Property-based tests of the mapping: any record a reader could hand over (arbitrary
text in every field, odd dates, odd identifiers) maps to triples the store can write,
and map + validate never ends in an "internal error" (the pipeline's name for a bug).

Text is any Unicode except lone surrogates, which no reader can produce (they decode
UTF-8, and the JSON readers replace escaped surrogates). Cases from the readers' own
output are covered by test_fuzz_readers.py, which maps every record it reads.
Dedicated run: `PUBLISHER_FUZZ=dedicated .venv/bin/python -m pytest -q
tests/test_fuzz_mapping.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import (
    BASE,
    CASE_SECONDS,
    EXAMPLES,
    check_record_maps,
    fuzz,
    regression_files,
    time_limit,
)
from hypothesis import strategies as st

import publisher.model as model
from publisher.identifiers import TRIAL_REGISTRIES
from publisher.model import (
    Funding,
    Intervention,
    Organization,
    PartialDate,
    Periodical,
    Person,
    Record,
    Reference,
    SourceRef,
    SubjectTerm,
    TrialId,
    TrialRecord,
    UnknownField,
)
from publisher.pipeline import Checker
from publisher.readers.registry import READERS

MAPPING = "mapping"
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
maybe = st.none() | text
identifier = st.sampled_from(["10.1000/x", "12345678", "NCT01245062", "0000-0002-1825-0097"])
some_id = identifier | text
maybe_id = st.none() | some_id
texts = st.lists(text, max_size=3)
sources = st.builds(
    SourceRef, st.just("fuzz-input"), st.integers(1, 10**6), format=st.sampled_from(list(READERS))
)
dates = st.builds(
    PartialDate,
    st.integers(1, 9999),
    st.none() | st.integers(1, 12),
    st.none() | st.integers(1, 31),
)
people = st.builds(
    Person,
    text,
    family_name=maybe,
    given_name=maybe,
    orcid=maybe_id,
    affiliations=st.tuples(text) | st.just(()),
)
organizations = st.builds(Organization, text, same_as=st.lists(some_id, max_size=2).map(tuple))
agents = people | organizations
trials = st.builds(TrialId, st.sampled_from(sorted(TRIAL_REGISTRIES)), some_id)
records = st.builds(
    Record,
    sources,
    title=maybe,
    abstract=maybe,
    languages=texts,
    authors=st.lists(agents, max_size=3),
    contributors=st.lists(agents, max_size=2),
    periodical=st.none()
    | st.builds(Periodical, text, st.lists(some_id, max_size=2).map(tuple), maybe),
    volume=maybe,
    issue=maybe,
    page_start=maybe,
    page_end=maybe,
    date=st.none() | dates,
    doi=maybe_id,
    pmid=maybe_id,
    source_id=maybe,
    subjects=texts,
    subject_terms=st.lists(st.builds(SubjectTerm, text, maybe_id, text), max_size=2),
    funding=st.lists(st.builds(Funding, organizations, texts.map(tuple)), max_size=2),
    publication_types=texts,
    formats=texts,
    trials=st.lists(trials, max_size=2),
    links=st.lists(some_id, max_size=2),
    unknown_fields=st.lists(st.builds(UnknownField, text, text), max_size=2),
    warnings=texts,
)
trial_records = st.builds(
    TrialRecord,
    sources,
    trials,
    title=maybe,
    official_title=maybe,
    summary=maybe,
    status=maybe,
    start_date=st.none() | dates,
    completion_date=st.none() | dates,
    phases=texts,
    study_type=maybe,
    design=texts,
    conditions=texts,
    keywords=texts,
    interventions=st.lists(st.builds(Intervention, text, maybe, texts.map(tuple)), max_size=2),
    sponsor=st.none() | organizations,
    collaborators=st.lists(organizations, max_size=2),
    enrollment=st.none() | st.integers(-(2**63), 2**63),
    secondary_ids=st.lists(trials, max_size=2),
    references=st.lists(st.builds(Reference, maybe, maybe_id, maybe_id, maybe), max_size=2),
)
CHECKER: list[Checker] = []
# Validation runs pyshacl on most of these (invalid) records: ~0.4 s a case, so fewer.
VALIDATED = max(EXAMPLES // 10, 10)


def check(record: Record | TrialRecord) -> None:
    """Maps to triples the store can write."""
    with time_limit(CASE_SECONDS):
        check_record_maps(record)


def check_validated(record: Record | TrialRecord) -> None:
    """Map + validate (the pipeline's Checker) accepts or rejects, never fails: a
    failure there is reported as an "internal error" and costs the record."""
    if not CHECKER:
        CHECKER.append(Checker(BASE))
    with time_limit(10 * CASE_SECONDS):
        outcome = CHECKER[0].check(record, None).outcome
    internal = [p.message for p in outcome.problems if "internal error" in p.message]
    assert not internal, internal


def as_fixture(record: Record | TrialRecord) -> bytes:
    return repr(record).encode()


def test_mapping_survives_any_record() -> None:
    fuzz(MAPPING, records | trial_records, check, as_fixture)


def test_map_and_validate_survive_any_record() -> None:
    fuzz(MAPPING, records | trial_records, check_validated, as_fixture, VALIDATED, "map+validate")


@pytest.mark.parametrize("fixture", regression_files(MAPPING), ids=lambda p: p.name)
def test_mapping_regression_fixture(fixture: Path) -> None:
    """A record a fuzz run once failed on (kept as its repr), mapped again."""
    record = eval(fixture.read_text(encoding="utf-8"), vars(model))  # our own fixture file
    check(record)
    check_validated(record)
