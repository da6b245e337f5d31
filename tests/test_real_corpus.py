"""Issue 14: real records come through whole. Every record of the real-data corpus
(tests/data/real, origins in SOURCES.md) is ingested through the pipeline the CLI uses,
its published fields are read back from its own source graph, and every field is
compared with the expected-fields table written from reading the source.

One test per format and file; a failure lists every difference (record, field,
expected, published) in one message. Differences caused by reader bugs not fixed yet
are in KNOWN_DIFFERENCES, the to-do list of the reader fixes: a file with one is a strict
xfail, so the test says when a fix lands (XPASS fails: take the entry out).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import run_cli
from helpers.real_corpus import (
    FORMATS,
    corpus_files,
    differences,
    expected,
    ingest,
)

from publisher.store.oxigraph import OxigraphStore

# The classes of reader bug the corpus shows (issue 14), one constant each, so the list
# below reads as the reader fixes' to-do list grouped by class.
# Not a reader bug: the Citavi entries name no journal at all, and the model (shapes:
# PublicationVolume-isPartOf, minCount 1) publishes a volume only as part of its journal.
# Publishing a journal-less volume is a mapping/shapes/web decision, left open.
VOLUME_NO_JOURNAL = "volume lost when the source names no journal (no Periodical to hang it on)"

# (format, file, record index or None for every record of the file, field) -> class.
# Each entry checked against its source by hand.
# Remove an entry when its fix lands: the test fails until you do (a stale entry).
KNOWN_DIFFERENCES: dict[tuple[str, str, int | None, str], str] = {
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 0, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 2, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 7, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 16, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 21, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 23, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 25, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 26, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 27, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 29, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 32, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 34, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 41, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 42, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 44, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 47, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 48, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 51, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 56, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 58, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest1.bib", 59, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 0, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 2, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 5, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 7, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 15, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 16, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 17, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 19, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 20, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 22, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 24, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 25, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 28, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 29, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 30, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 32, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 33, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 36, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 38, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 40, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 41, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 42, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest2.bib", 44, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 8, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 13, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 15, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 16, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 17, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 19, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 27, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 29, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 33, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 35, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 37, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 38, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 39, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 40, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 41, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 42, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 43, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 44, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 45, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 47, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 48, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 50, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 65, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 68, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 69, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 72, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 75, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 79, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 81, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 82, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 83, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 84, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 89, "volume"): VOLUME_NO_JOURNAL,
    ("bibtex", "jabref_CitaviXmlImporterTest3.bib", 91, "volume"): VOLUME_NO_JOURNAL,
}


class KnownDifference(AssertionError):
    """Every difference of a file is a listed one (the strict xfail's expected failure)."""


def _cases() -> list[pytest.param]:  # type: ignore[valid-type]
    cases = []
    for fmt in FORMATS:
        for path in corpus_files(fmt):
            known = sorted(
                {
                    why
                    for (f, name, _, _), why in KNOWN_DIFFERENCES.items()
                    if (f, name) == (fmt, path.name)
                }
            )
            marks = (
                [
                    pytest.mark.xfail(
                        strict=True, raises=KnownDifference, reason="issue 14: " + "; ".join(known)
                    )
                ]
                if known
                else []
            )
            cases.append(pytest.param(fmt, path, marks=marks, id=f"{fmt}/{path.name}"))
    return cases


def test_every_corpus_file_has_rows_and_every_row_a_file() -> None:
    """The tables and the files agree: no record without a row, no row without a record."""
    for fmt in FORMATS:
        names = {p.name for p in corpus_files(fmt)}
        rows = expected(fmt)
        assert {row["file"] for row in rows} == names, fmt
        keys = [(row["file"], row["record"]) for row in rows]
        assert len(keys) == len(set(keys)), f"{fmt}: a record twice in the table"
    total = sum(len(expected(fmt)) for fmt in FORMATS)
    assert total >= 800, f"the corpus has {total} records, issue 14 asks for at least 800"


@pytest.mark.parametrize(("fmt", "path"), _cases())
def test_published_fields_match_the_source(fmt: str, path: Path) -> None:
    """Any difference not in KNOWN_DIFFERENCES fails; so does a listed one that no longer
    occurs (a fix landed: remove it). Only listed differences: the strict xfail."""
    published = ingest(path)
    rows = [row for row in expected(fmt) if row["file"] == path.name]
    found: list[tuple[int, str, str]] = []  # (record, field, line)
    for row in rows:
        got = published.pop(row["record"], None)
        if got is None:
            found.append((row["record"], "outcome", "no outcome at all (the reader never saw it)"))
            continue
        for key, want, have in differences(row, got):
            found.append((row["record"], key, f"expected {want!r}, got {have!r}"))
    for index in sorted(published):
        found.append((index, "outcome", f"{published[index].outcome} but not in the table"))
    known = {
        (r, f): why
        for (k, name, r, f), why in KNOWN_DIFFERENCES.items()
        if (k, name) == (fmt, path.name)
    }
    lines = [f"record {r} {f}: {text}" for r, f, text in found]
    unexpected = [
        line for (r, f, _), line in zip(found, lines, strict=True) if not _listed(known, r, f)
    ]
    stale = [key for key in known if not any(_matches(key, r, f) for r, f, _ in found)]
    if unexpected or stale:
        raise AssertionError(
            f"{fmt}/{path.name}: {len(unexpected)} differences not in KNOWN_DIFFERENCES\n"
            + "\n".join(unexpected)
            + "".join(f"\nlisted but gone (remove from KNOWN_DIFFERENCES): {key}" for key in stale)
        )
    if found:
        raise KnownDifference(
            f"{fmt}/{path.name}: {len(found)} known differences\n" + "\n".join(lines)
        )


def _matches(key: tuple[int | None, str], record: int, field: str) -> bool:
    return key[1] == field and key[0] in (None, record)


def _listed(known: dict[tuple[int | None, str], str], record: int, field: str) -> bool:
    return any(_matches(key, record, field) for key in known)


def _quads(store_dir: Path) -> list[str]:
    """Every graph's quads as sorted N-Quads lines, without ingest timestamps, every blank
    node written `_:b` (labels differ from run to run; what hangs on them still counts)."""
    store = OxigraphStore(store_dir, read_only=True)
    try:
        rows = store.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        lines = sorted(f"{s} {p} {o} {g} ." for s, p, o, g in rows)  # type: ignore[union-attr]
    finally:
        store.close()
    kept = [line for line in lines if "generatedAtTime" not in line and "endedAtTime" not in line]
    # When each description last changed (the provenance graph's dcterms:modified) is
    # when its records were read: kept, with the time left out.
    timeless = [re.sub(r'(dc/terms/modified> )"[^"]*"', r'\1"T"', line) for line in kept]
    return sorted(re.sub(r"_:[A-Za-z0-9]+", "_:b", line) for line in timeless)


@pytest.mark.skipif(os.cpu_count() == 1, reason="--jobs 2 needs two cores to mean anything")
def test_jobs_one_and_two_publish_the_same_corpus(tmp_path: Path) -> None:
    """The whole corpus through the CLI with --jobs 1 and --jobs 2: the same counts and
    the same quads (blank nodes aside), so parallel mapping changes nothing."""
    results = {}
    for jobs in ("1", "2"):
        store = tmp_path / f"jobs{jobs}"
        result = run_cli("ingest", "--store", str(store), "--jobs", jobs, *map(str, _corpus()))
        assert "Traceback" not in result.stderr, result.stderr[-2000:]
        summary = [line for line in result.stdout.splitlines() if "published" in line]
        results[jobs] = (result.returncode, summary, _quads(store))
    assert results["1"][:2] == results["2"][:2]
    assert len(results["1"][2]) > 10_000
    assert results["1"][2] == results["2"][2]


def _corpus() -> list[Path]:
    return [path for fmt in FORMATS for path in corpus_files(fmt)]
