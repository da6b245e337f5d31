"""The compiled shapes (publisher.validation.fast) against pyshacl, record by record.

The fast path only decides "conforms"; a record it cannot pass goes to pyshacl, which
writes the violations and the report. So results are pyshacl's as long as the fast
verdict is never "conforms" where pyshacl finds a result. These tests run both on
every record of the test corpus (tests/data, the bundled examples, ../shared/samples
when present) and on seeded random breakages of each, and require the same verdicts
(in both directions, so the fast path does not quietly send everything to pyshacl)
and the same violations through `validate_many`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Triple
from rdflib import Graph

from publisher.mapping.records import RecordMapper
from publisher.mapping.vocab import RDF_TYPE, XSD
from publisher.model import ReadError, ReadNotice, Skipped
from publisher.pipeline import expand_paths
from publisher.readers.registry import read_file
from publisher.validation.fast import CompiledShapes, Unsupported
from publisher.validation.shacl import ShaclValidator, Violation, shapes_graph

REPO = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:8000/"
CORPUS = [REPO / "tests" / "data", REPO / "publisher" / "examples" / "records"]
SHARED_SAMPLES = REPO.parent / "shared" / "samples"
SCHEMA = "https://schema.org/"
Records = list[list[Triple]]


def corpus() -> Records:
    """Every record the readers read from the corpus files, mapped to triples."""
    mapper = RecordMapper(BASE)
    folders = [*CORPUS, SHARED_SAMPLES] if SHARED_SAMPLES.is_dir() else CORPUS
    records = []
    for path in expand_paths(folders):
        for item in read_file(path):
            if not isinstance(item, ReadError | ReadNotice | Skipped):
                records.append(mapper.map(item).triples)
    return records


@pytest.fixture(scope="module")
def records() -> Records:
    found = corpus()
    if SHARED_SAMPLES.is_dir():  # the corpus' size (in-repo data alone: a few dozen)
        assert len(found) >= 100
    return found


@pytest.fixture(scope="module")
def validator() -> ShaclValidator:
    return ShaclValidator()


@pytest.fixture(scope="module")
def naive() -> ShaclValidator:
    return ShaclValidator(fast=False)


# --- breakages: each returns a changed copy of a record's triples --------------------

CLASSES = [NamedNode(SCHEMA + c) for c in ("ScholarlyArticle", "Person", "Organization",
           "Periodical", "PublicationVolume", "PublicationIssue", "PropertyValue",
           "MedicalTrial", "DefinedTerm", "MedicalScholarlyArticle")]  # fmt: skip
ODD_LITERALS = [
    Literal(""), Literal("not a number", datatype=NamedNode(XSD + "integer")),
    Literal("2021-13-45", datatype=NamedNode(XSD + "date")), Literal("-3",
    datatype=NamedNode(XSD + "integer")), Literal("text", language="en"),
    Literal("1234-5678"), Literal("10.1/x"), Literal("NCT123"), Literal("August",
    datatype=NamedNode(XSD + "gYearMonth")), Literal("2020", datatype=NamedNode(XSD + "gYear")),
    Literal("back\\slash"), Literal("DOI"), Literal("ClinicalTrials.gov"),
]  # fmt: skip


def drop(r: random.Random, triples: list[Triple]) -> list[Triple]:
    copy = list(triples)
    del copy[r.randrange(len(copy))]
    return copy


def second_value(r: random.Random, triples: list[Triple]) -> list[Triple]:
    t = r.choice(triples)
    return [*triples, Triple(t.subject, t.predicate, r.choice(ODD_LITERALS))]


def odd_object(r: random.Random, triples: list[Triple]) -> list[Triple]:
    i = r.randrange(len(triples))
    t = triples[i]
    choices: list[NamedNode | BlankNode | Literal] = [
        *ODD_LITERALS,
        BlankNode(),
        NamedNode("http://example.org/x"),
    ]
    odd = r.choice(choices)
    if isinstance(t.object, NamedNode) and r.random() < 0.5:
        odd = Literal(t.object.value)  # an IRI written as text
    return [*triples[:i], Triple(t.subject, t.predicate, odd), *triples[i + 1 :]]


def retype(r: random.Random, triples: list[Triple]) -> list[Triple]:
    subject = r.choice(triples).subject
    return [*triples, Triple(subject, RDF_TYPE, r.choice(CLASSES))]


def swap_objects(r: random.Random, triples: list[Triple]) -> list[Triple]:
    i, j = r.randrange(len(triples)), r.randrange(len(triples))
    copy = list(triples)
    a, b = copy[i], copy[j]
    copy[i] = Triple(a.subject, a.predicate, b.object)
    copy[j] = Triple(b.subject, b.predicate, a.object)
    return copy


BREAKAGES: list[Callable[[random.Random, list[Triple]], list[Triple]]] = [
    drop, second_value, odd_object, retype, swap_objects,
]  # fmt: skip


def broken(records: Records, seed: int = 7, per_record: int = 2) -> Records:
    r = random.Random(seed)
    out = []
    for triples in records:
        if triples:
            for _ in range(per_record):
                out.append(r.choice(BREAKAGES)(r, triples))
    return out


def naive_verdicts(naive: ShaclValidator, records: Records) -> list[bool]:
    """pyshacl's verdicts; where pyshacl itself fails (its message formatting chokes on
    some backslashes in values) the record is not passed either way: False."""
    verdicts = []
    for triples in records:
        try:
            verdicts.append(not naive.validate_with_report(triples)[0])
        except Exception:
            verdicts.append(False)
    return verdicts


def assert_same_verdicts(validator: ShaclValidator, naive: ShaclValidator, records: Records) -> int:
    assert validator.compiled is not None
    fast = validator.compiled.conforming(records)
    slow = naive_verdicts(naive, records)
    differing = [i for i, (a, b) in enumerate(zip(fast, slow, strict=True)) if a != b]
    assert not differing, [(fast[i], slow[i], records[i]) for i in differing[:3]]
    return slow.count(False)


def test_the_project_shapes_compile(validator: ShaclValidator) -> None:
    assert validator.compiled is not None
    assert len(validator.compiled.sparql) == 8  # every sh:sparql constraint of the shapes


def test_corpus_verdicts_match_pyshacl(
    validator: ShaclValidator, naive: ShaclValidator, records: Records
) -> None:
    assert_same_verdicts(validator, naive, records)


def test_broken_records_verdicts_match_pyshacl(
    validator: ShaclValidator, naive: ShaclValidator, records: Records
) -> None:
    mutated = broken(records)
    failing = assert_same_verdicts(validator, naive, mutated)
    # The breakages must really break records, or the comparison proves little.
    assert failing >= len(mutated) // 4


def test_validate_many_gives_pyshacls_violations(
    validator: ShaclValidator, naive: ShaclValidator, records: Records
) -> None:
    sample = records[:40] + broken(records[:40], seed=11, per_record=1)
    # Values with a backslash can crash pyshacl's message formatting (either way).
    sample = [t for t in sample if not any("\\" in str(x.object) for x in t)]
    fast = validator.validate_many(sample)
    slow = naive.validate_many(sample)
    assert [_stable(v) for v, _ in fast] == [_stable(v) for v, _ in slow]
    assert any(violations for violations, _ in fast)
    for (violations, report), (_, naive_report) in zip(fast, slow, strict=True):
        assert (report is None) == (not violations)
        if violations:
            assert report is not None and naive_report is not None
            assert len(report) == len(naive_report)


def _stable(violations: list[Violation]) -> list[Violation]:
    """Blank-node values are named afresh by each conversion to rdflib: mask them."""
    return [
        replace(v, value="_:blank") if v.value and re.fullmatch("N[0-9a-f]{32}", v.value) else v
        for v in violations
    ]


def test_one_bad_record_does_not_fail_its_batch_neighbours(
    validator: ShaclValidator, records: Records
) -> None:
    """Records share a batch store, not their verdicts: a second title (core check) and
    an ISSN with a wrong check digit (a SPARQL constraint) fail their own record only."""
    good = [t for t in records if not validator.validate_with_report(t)[0]]
    titled = next(t for t in good if any(x.predicate.value == SCHEMA + "name" for x in t))
    name = next(x for x in titled if x.predicate.value == SCHEMA + "name")
    two_titles = [*titled, Triple(name.subject, name.predicate, Literal("Another title"))]
    with_issn = next(t for t in good if any(x.predicate.value == SCHEMA + "issn" for x in t))
    bad_issn = [
        Triple(x.subject, x.predicate, Literal(x.object.value[:-1] + _other_check(x.object.value)))
        if x.predicate.value == SCHEMA + "issn" and isinstance(x.object, Literal)
        else x
        for x in with_issn
    ]
    batch = [*good[:5], two_titles, *good[5:8], bad_issn]
    assert validator.compiled is not None
    assert validator.compiled.conforming(batch) == [True] * 5 + [False] + [True] * 3 + [False]
    assert validator.validate_with_report(two_titles)[0]
    assert validator.validate_with_report(bad_issn)[0]


def _other_check(issn: str) -> str:
    return "1" if issn[-1] != "1" else "2"


@pytest.mark.parametrize(
    "extra",
    [
        "shp:X a sh:NodeShape ; sh:targetClass schema:Thing ; sh:closed true .",
        "shp:X a sh:NodeShape ; sh:targetClass schema:Thing ; sh:property [ sh:path "
        "[ sh:inversePath schema:author ] ; sh:minCount 1 ] .",
        "shp:X a sh:NodeShape ; sh:targetClass schema:Thing ; sh:property [ sh:path "
        "schema:name ; sh:pattern 'a' ; sh:flags 'i' ] .",
        "shp:X a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:select 'SELECT ?this {}' ] .",
        "shp:X a sh:NodeShape ; sh:targetClass schema:Thing ; sh:sparql [ sh:select "
        "'SELECT $this WHERE { $this ?p ?o } LIMIT 1' ] .",
    ],
)
def test_unknown_features_refuse_the_whole_shapes_graph(extra: str) -> None:
    """What the compiler does not know falls back to pyshacl (the validator's
    `compiled` is then None and validate_many runs pyshacl on every record)."""
    shapes = Graph()
    for triple in shapes_graph():
        shapes.add(triple)
    shapes.parse(
        data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix shp: <urn:publisher:shapes#> ."
        f"@prefix schema: <https://schema.org/> . {extra}",
        format="turtle",
    )
    with pytest.raises(Unsupported):
        CompiledShapes(shapes)


def test_without_compiled_shapes_pyshacl_validates_every_record(
    naive: ShaclValidator, records: Records
) -> None:
    assert naive.compiled is None
    results = naive.validate_many(records[:3])
    assert all(report is not None for _, report in results)  # pyshacl ran on each
