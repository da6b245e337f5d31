"""What the store holds about validation: accepted and rejected records per format and
the constraints that rejected them. Read back from the graphs ingest wrote, so the
numbers are those of the published data, whichever runs produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, QuerySolutions

from publisher.mapping.vocab import SH, ontology_namespace
from publisher.store.base import Store


@dataclass(frozen=True)
class FormatCount:
    format: str
    accepted: int
    rejected: int


@dataclass(frozen=True)
class ConstraintCount:
    format: str
    shape: str
    path: str
    constraint: str
    records: int
    results: int


def format_counts(store: Store, base_uri: str) -> list[FormatCount]:
    pub = ontology_namespace(base_uri)
    accepted = _counts(
        store,
        f"""
        SELECT ?format (COUNT(DISTINCT ?g) AS ?n) WHERE {{
          GRAPH ?g {{ ?g a <{pub}SourceRecord> ; <{pub}sourceFormat> ?format }}
        }} GROUP BY ?format""",
    )
    rejected = _counts(
        store,
        f"""
        SELECT ?format (COUNT(DISTINCT ?g) AS ?n) WHERE {{
          GRAPH ?g {{ ?g a <{SH}ValidationReport> ; <{pub}sourceFormat> ?format }}
        }} GROUP BY ?format""",
    )
    names = sorted(set(accepted) | set(rejected))
    return [FormatCount(n, accepted.get(n, 0), rejected.get(n, 0)) for n in names]


def constraint_counts(store: Store, base_uri: str) -> list[ConstraintCount]:
    pub = ontology_namespace(base_uri)
    result = store.query(f"""
        SELECT ?format ?shape ?path ?component
               (COUNT(DISTINCT ?g) AS ?records) (COUNT(DISTINCT ?r) AS ?results) WHERE {{
          GRAPH ?g {{
            ?g a <{SH}ValidationReport> ; <{pub}sourceFormat> ?format ; <{SH}result> ?r .
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
