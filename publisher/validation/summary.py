"""What the store holds about validation: accepted and rejected records per format and
the constraints that rejected them. Read back from the graphs ingest wrote, so the
numbers are those of the published data, whichever runs produced it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from publisher.mapping.vocab import PUB, RDF, SCHEMA, SH, XSD
from publisher.store.base import Store


@dataclass(frozen=True)
class FormatCount:
    format: str
    accepted: int
    rejected: int  # failed the SHACL shapes (a validation report graph each)
    parse_errors: int = 0  # could not be read (pub:UnreadRecord, reason "parse error")
    skipped: int = 0  # read, but not articles (pub:UnreadRecord, reason "out of scope")


@dataclass(frozen=True)
class ConstraintCount:
    format: str
    shape: str
    path: str
    constraint: str
    records: int
    results: int


def format_counts(store: Store) -> list[FormatCount]:
    accepted = _counts(
        store,
        f"""
        SELECT ?format (COUNT(DISTINCT ?g) AS ?n) WHERE {{
          GRAPH ?g {{ ?g a <{PUB}SourceRecord> ; <{PUB}sourceFormat> ?format }}
        }} GROUP BY ?format""",
    )
    rejected = _counts(
        store,
        f"""
        SELECT ?format (COUNT(DISTINCT ?g) AS ?n) WHERE {{
          GRAPH ?g {{ ?g a <{SH}ValidationReport> ; <{PUB}sourceFormat> ?format }}
        }} GROUP BY ?format""",
    )
    unread = _unread_counts(store)
    parse_errors = {f: n for (f, reason), n in unread.items() if reason == PARSE_ERROR}
    skipped = {f: n for (f, reason), n in unread.items() if reason == OUT_OF_SCOPE}
    names = sorted(set(accepted) | set(rejected) | set(parse_errors) | set(skipped))
    return [
        FormatCount(
            n, accepted.get(n, 0), rejected.get(n, 0), parse_errors.get(n, 0), skipped.get(n, 0)
        )
        for n in names
    ]


# Why a record that reached no graph of its own was not published.
PARSE_ERROR = "parse error"
OUT_OF_SCOPE = "out of scope"
UNREAD_RECORD = NamedNode(f"{PUB}UnreadRecord")
_REASON = NamedNode(f"{PUB}notPublishedReason")


def unread_graph(base_uri: str, path: str) -> NamedNode:
    """The graph that lists one input file's records that were not read into a record
    graph (parse errors) or were skipped (not articles): replaced at each ingest of the
    file, so its counts are those of the file's last ingest."""
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    return NamedNode(f"{base_uri}graph/unread/{digest}")


@dataclass(frozen=True)
class Unread:
    """One record of a file that has no graph of its own."""

    format: str
    file: str
    position: int
    reason: str  # PARSE_ERROR or OUT_OF_SCOPE
    message: str


def unread_triples(entries: list[Unread]) -> list[Triple]:
    triples: list[Triple] = []
    for entry in entries:
        node = BlankNode()
        triples += [
            Triple(node, NamedNode(RDF + "type"), UNREAD_RECORD),
            Triple(node, NamedNode(f"{PUB}sourceFormat"), Literal(entry.format or "unknown")),
            Triple(node, NamedNode(f"{PUB}sourceFile"), Literal(entry.file)),
            Triple(
                node,
                NamedNode(f"{PUB}recordPosition"),
                Literal(str(entry.position), datatype=NamedNode(XSD + "integer")),
            ),
            Triple(node, _REASON, Literal(entry.reason)),
            Triple(node, NamedNode(f"{SCHEMA}description"), Literal(entry.message)),
        ]
    return triples


def _unread_counts(store: Store) -> dict[tuple[str, str], int]:
    result = store.query(f"""
        SELECT ?format ?reason (COUNT(?r) AS ?n) WHERE {{
          GRAPH ?g {{ ?r a <{UNREAD_RECORD.value}> ; <{PUB}sourceFormat> ?format ;
                        <{_REASON.value}> ?reason }}
        }} GROUP BY ?format ?reason""")
    assert isinstance(result, QuerySolutions)
    return {(_text(row["format"]), _text(row["reason"])): int(_text(row["n"])) for row in result}


def constraint_counts(store: Store) -> list[ConstraintCount]:
    result = store.query(f"""
        SELECT ?format ?shape ?path ?component
               (COUNT(DISTINCT ?g) AS ?records) (COUNT(DISTINCT ?r) AS ?results) WHERE {{
          GRAPH ?g {{
            ?g a <{SH}ValidationReport> ; <{PUB}sourceFormat> ?format ; <{SH}result> ?r .
            ?r <{SH}sourceShape> ?shape ; <{SH}sourceConstraintComponent> ?component .
            OPTIONAL {{ ?r <{SH}resultPath> ?path }}
          }}
        }} GROUP BY ?format ?shape ?path ?component
        ORDER BY DESC(?records) ?format ?shape""")
    assert isinstance(result, QuerySolutions)
    rows = []
    for row in result:
        component = _text(row["component"]).rsplit("#", 1)[-1]
        rows.append(ConstraintCount(
            format=_text(row["format"]),
            shape=_short(_text(row["shape"])),
            path=_short(_text(row["path"])),
            constraint=component.removesuffix("ConstraintComponent"),
            records=int(_text(row["records"])), results=int(_text(row["results"])),
        ))  # fmt: skip
    return rows


def _counts(store: Store, query: str) -> dict[str, int]:
    result = store.query(query)
    assert isinstance(result, QuerySolutions)
    return {_text(row["format"]): int(_text(row["n"])) for row in result}


SHORT = {
    "urn:publisher:shapes#": "shp:",
    "https://schema.org/": "schema:",
    "http://purl.org/ontology/bibo/": "bibo:",
}


def _short(iri: str) -> str:
    for namespace, prefix in SHORT.items():
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    return iri


def _text(term: object) -> str:
    if isinstance(term, Literal | NamedNode):
        return term.value
    return "" if term is None else str(term)


def conformance_graph(base_uri: str) -> NamedNode:
    return NamedNode(f"{base_uri}graph/conformance")


def dataset_iri(base_uri: str) -> NamedNode:
    return NamedNode(f"{base_uri}dataset")


def write_conformance(store: Store, base_uri: str) -> None:
    """Publish the dataset's conformance (records accepted / rejected, per format and
    per shape) as part of its description, recomputed from the store after each ingest."""
    dataset = dataset_iri(base_uri)
    triples: list[Triple] = []

    def add(
        subject: NamedNode | BlankNode, predicate: str, obj: NamedNode | BlankNode | Literal
    ) -> None:
        triples.append(Triple(subject, NamedNode(predicate), obj))

    def count(value: int) -> Literal:
        return Literal(str(value), datatype=NamedNode(XSD + "integer"))

    formats = format_counts(store)
    add(dataset, RDF + "type", NamedNode(PUB + "Dataset"))
    add(dataset, PUB + "acceptedRecords", count(sum(f.accepted for f in formats)))
    add(dataset, PUB + "rejectedRecords", count(sum(f.rejected for f in formats)))
    for row in formats:
        node = BlankNode()
        add(dataset, PUB + "conformance", node)
        add(node, PUB + "sourceFormat", Literal(row.format))
        add(node, PUB + "acceptedRecords", count(row.accepted))
        add(node, PUB + "rejectedRecords", count(row.rejected))
    per_shape: dict[str, int] = defaultdict(int)
    for constraint in constraint_counts(store):
        per_shape[constraint.shape] += constraint.records
    for shape, records in sorted(per_shape.items()):
        node = BlankNode()
        add(dataset, PUB + "violatedShape", node)
        add(node, PUB + "shape", Literal(shape))
        add(node, PUB + "rejectedRecords", count(records))
    store.replace_graph(conformance_graph(base_uri), triples)
