"""The real-data corpus (tests/data/real): ingest a file, read each record's published
fields back from its own source graph, and compare them with the expected-fields table.

Why from the source graph: the corpus test checks what each reader and the mapping make
of one record, not how several records are consolidated. Why one store per file: two
files may hold the same work (the same DOI twice), and the second would replace the
first's graph; a store per file keeps every record's graph (ingesting a file costs ~20 ms).

The normalisation rules below are the ones SOURCES.md documents; both sides go through
the same function, so a rule can never make a difference appear or vanish on one side.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode

from publisher.model import ReadNotice
from publisher.pipeline import Outcome, Pipeline
from publisher.store.oxigraph import OxigraphStore

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
BASE = "http://127.0.0.1:8000/"
S = "https://schema.org/"
PREFIXES = """PREFIX s: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX pub: <https://w3id.org/scholarly-publisher/ontology#>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""
FIELDS = (
    "title", "authors", "journal", "issns", "volume", "issue", "pageStart", "pageEnd",
    "pagination", "date", "doi", "pmid", "pmcid", "trial_ids", "language", "subjects", "outcome",
)  # fmt: skip
SET_FIELDS = {"issns", "trial_ids", "subjects"}  # compared as sets: sources give no order
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
FORMATS = (
    "pubmed", "ctgov", "crossref", "csl", "ris", "wos", "bibtex",
    "marc_binary", "marcxml", "marc_json", "oai", "vufind",
)  # fmt: skip

Row = dict[str, Any]


@dataclass
class Published:
    """What the store says about one record: its outcome and, when published, its fields."""

    outcome: str
    fields: Row = field(default_factory=dict)
    message: str = ""


def expected(fmt: str) -> list[Row]:
    """The format's expected-fields table, in file and record order."""
    rows: list[Row] = json.loads((REAL / fmt / "expected.json").read_text(encoding="utf-8"))
    return rows


def corpus_files(fmt: str) -> list[Path]:
    """The format's record files (every file under its folder but the tables)."""
    return sorted(
        p for p in (REAL / fmt).rglob("*") if p.is_file() and not p.name.startswith("expected")
    )


# ---- normalisation (both sides) ----------------------------------------------------


def norm_text(value: object) -> str | None:
    """NFC, whitespace collapsed, superscripts as ^digits, trailing ISBD/full stop dropped."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+)", lambda m: "^" + m.group(1).translate(SUPERSCRIPTS), text)
    text = " ".join(text.split())
    text = re.sub(r"\s+:\s+", ": ", text)
    text = re.sub(r"\s*[/:;,.=]$", "", text)
    return text or None


def norm_name(name: str) -> str:
    """A name compared without case, dots, commas or spacing between initials:
    "Brown, J.M." == "Brown, J M" == "brown, jm" (family name first where the source has it)."""
    text = unicodedata.normalize("NFC", name).casefold()
    text = re.sub(r"[.,]", " ", text)
    return "".join(text.split())


def norm_value(key: str, value: Any) -> Any:
    """One field's value in comparable form (see SOURCES.md, "Comparison rules")."""
    if key == "authors":
        return [(norm_name(a["name"]), a["kind"]) for a in value or []]
    if key in SET_FIELDS:
        items = (norm_text(v) for v in value or [])
        if key == "issns":  # 2050084x == 2050-084X
            items = (re.sub(r"^(\d{4})-?(\d{3}[\dX])$", r"\1-\2", v.upper()) for v in items if v)
        if key == "trial_ids":
            items = (v.upper() for v in items if v)
        return sorted({v for v in items if v})
    if key in ("doi",):
        return value.lower() if value else None
    if key == "outcome":
        return value
    return norm_text(value)


def differences(want: Row, got: Published) -> list[tuple[str, Any, Any]]:
    """(field, expected, published) for every field that differs; an omitted key is not
    compared, a null / empty one must be absent from the output too."""
    if want["outcome"] != got.outcome:
        return [("outcome", want["outcome"], f"{got.outcome} {got.message}".strip())]
    if got.outcome != "published":
        return []
    found = []
    for key in FIELDS:
        if key == "outcome" or key not in want:
            continue
        expect, have = norm_value(key, want[key]), norm_value(key, got.fields.get(key))
        if expect != have:
            found.append((key, want[key], got.fields.get(key)))
    return found


# ---- ingest and read back --------------------------------------------------------------


def _skipped(item: object) -> bool:
    """A skipped record (issue 14, not an article or a placeholder), whatever shape the
    pipeline reports it in: a `skipped` flag, a `status` or `outcome` of "skipped", or an
    item whose class is named Skip..."""
    return (
        getattr(item, "skipped", False) is True
        or "skipped" in (getattr(item, "status", None), getattr(item, "outcome", None))
        or type(item).__name__.lower().startswith("skip")
    )


def _kind(item: Outcome | ReadNotice) -> str:
    """published / skipped / rejected."""
    if _skipped(item):
        return "skipped"
    if isinstance(item, Outcome) and item.accepted:
        return "published"
    return "rejected"


def _message(item: Outcome | ReadNotice) -> str:
    if isinstance(item, Outcome):
        return "; ".join(p.message for p in item.problems)[:200]
    return str(getattr(item, "message", ""))[:200]


def ingest(path: Path) -> dict[int, Published]:
    """Ingest one file into a store of its own; every record's outcome and published
    fields, by 0-based record index (the pipeline numbers records from 1)."""
    store = OxigraphStore()
    outcomes: dict[int, Published] = {}
    with Pipeline(BASE, store) as pipeline:
        for item in pipeline.run_file(path):
            if isinstance(item, ReadNotice) and not _skipped(item):
                continue  # a note about the file (a resumptionToken), not a record
            outcomes[item.source.position - 1] = Published(_kind(item), message=_message(item))
    for index, (graph, topic) in _graphs(store, path.name).items():
        record = outcomes.setdefault(index, Published("published"))
        record.outcome = "published"
        record.fields = read_fields(store, graph, topic)
    store.close()
    return outcomes


def _graphs(store: OxigraphStore, name: str) -> dict[int, tuple[str, str]]:
    """Source graph and primary topic of each record of the file, by 0-based index."""
    query = f"""SELECT ?g ?topic ?pos WHERE {{ GRAPH ?g {{
        ?g a pub:SourceRecord ; foaf:primaryTopic ?topic ; prov:wasDerivedFrom ?origin .
        ?origin pub:sourceFile {json.dumps(name)} ; pub:recordPosition ?pos }} }}"""
    return {int(pos) - 1: (graph, topic) for graph, topic, pos in _select(store, query)}


def _value(term: object) -> str:
    if isinstance(term, NamedNode | Literal | BlankNode):
        return str(term.value)
    return str(term)


def _select(store: OxigraphStore, query: str) -> Iterator[tuple[str, ...]]:
    for row in store.query(PREFIXES + query):  # type: ignore[union-attr]
        yield tuple(_value(term) if term is not None else "" for term in row)


def _one_column(store: OxigraphStore, query: str) -> list[str]:
    return [row[0] for row in _select(store, query)]


def _single(values: Iterable[str]) -> str | list[str] | None:
    """One value as itself, none as None, several as a sorted list (shown as a difference)."""
    found = sorted(set(values))
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def read_fields(store: OxigraphStore, graph: str, topic: str) -> Row:
    """The published fields of the record whose source graph is `graph`."""

    def values(pattern: str) -> list[str]:
        return _one_column(store, f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ {pattern} }} }}")

    me = f"<{topic}>"
    row: Row = {
        "title": _single(values(f"{me} s:name ?v")),
        "authors": _authors(store, graph, topic),
        "journal": _single(values(f"{me} s:isPartOf+ ?p . ?p a s:Periodical ; s:name ?v")),
        "issns": values(f"{me} s:isPartOf+ ?p . ?p a s:Periodical ; s:issn ?v"),
        "volume": _single(
            values(f"{me} s:isPartOf+ ?p . ?p a s:PublicationVolume ; s:volumeNumber ?v")
        ),
        "issue": _single(
            values(f"{me} s:isPartOf+ ?p . ?p a s:PublicationIssue ; s:issueNumber ?v")
        ),
        "pageStart": _single(values(f"{me} s:pageStart ?v")),
        "pageEnd": _single(values(f"{me} s:pageEnd ?v")),
        "pagination": _single(values(f"{me} s:pagination ?v")),
        "date": _single(values(f"{me} s:datePublished|s:startDate ?v")),
        "doi": _identifier(values, me, "DOI"),
        "pmid": _identifier(values, me, "PMID"),
        "pmcid": _identifier(values, me, "PMCID"),
        "trial_ids": _trials(values, me),
        "language": _single(values(f"{me} s:inLanguage ?v")),
        "subjects": values(f"{{ {me} s:keywords ?v }} UNION {{ {me} s:about ?t . ?t s:name ?v }}"),
    }
    return row


def _identifier(values: Any, me: str, kind: str) -> str | list[str] | None:
    return _single(values(f'{me} s:identifier ?pv . ?pv s:propertyID "{kind}" ; s:value ?v'))


def _trials(values: Any, me: str) -> list[str]:
    """Registration numbers of the trials the record mentions (or is: a CT.gov record)."""
    iris = values(f"{{ {me} s:mentions ?v }} UNION {{ {me} a s:MedicalTrial BIND({me} AS ?v) }}")
    ids = [iri.rstrip("/").rsplit("/", 1)[-1] for iri in iris]
    return sorted(set(ids))


def _authors(store: OxigraphStore, graph: str, topic: str) -> list[Row]:
    """Authors in bibo:authorList order (schema:author alone has none), each as
    "family, given" where the output splits the name, with its kind."""
    rows = list(
        _select(
            store,
            f"""SELECT ?a ?type ?name ?family ?given (COUNT(?mid) AS ?pos) WHERE {{
              GRAPH <{graph}> {{
                <{topic}> bibo:authorList ?list . ?list rdf:rest* ?mid . ?mid rdf:rest* ?node .
                ?node rdf:first ?a . ?a a ?type . FILTER(?type IN (s:Person, s:Organization))
                OPTIONAL {{ ?a s:name ?name }} OPTIONAL {{ ?a s:familyName ?family }}
                OPTIONAL {{ ?a s:givenName ?given }} }} }}
            GROUP BY ?a ?node ?type ?name ?family ?given ORDER BY ?pos""",
        )
    )
    authors = []
    for _, kind, name, family, given, _ in rows:
        shown = ", ".join(x for x in (family, given) if x) if family else name
        authors.append(
            {"name": shown, "kind": "person" if kind == S + "Person" else "organization"}
        )
    return authors
