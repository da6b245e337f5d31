"""SHACL validation reports as published data: one graph per rejected record.

The report pyshacl produced is kept as it is (sh:ValidationReport, sh:result ...), its
root named after the report graph so that the report dereferences, and described with
the source record it is about, so a person or a program can find why a record is
missing and fix it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyoxigraph import BlankNode, Literal, NamedNode, Triple
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from publisher.mapping.vocab import FOAF, PROV, PUB, RDF_TYPE, XSD_DATETIME, XSD_INTEGER
from publisher.model import AnyRecord, TrialRecord


def report_triples(report: Graph, report_iri: str, record: AnyRecord) -> list[Triple]:
    """pyshacl's report graph as pyoxigraph triples, rooted at `report_iri`."""
    roots = set(report.subjects(RDF.type, SH.ValidationReport))
    root = NamedNode(report_iri)
    blanks: dict[str, BlankNode] = {}

    def convert(term: Node) -> NamedNode | BlankNode | Literal:
        if term in roots:
            return root
        if isinstance(term, URIRef):
            return NamedNode(str(term))
        if isinstance(term, BNode):
            return blanks.setdefault(str(term), BlankNode())
        if isinstance(term, RdfLiteral):
            if term.language:
                return Literal(str(term), language=term.language)
            if term.datatype:
                return Literal(str(term), datatype=NamedNode(str(term.datatype)))
            return Literal(str(term))
        raise TypeError(f"unexpected term {term!r}")

    triples = []
    for s, p, o in report:
        subject, obj = convert(s), convert(o)
        assert not isinstance(subject, Literal)
        triples.append(Triple(subject, NamedNode(str(p)), obj))
    triples.extend(_about(root, record))
    return triples


def _about(root: NamedNode, record: AnyRecord) -> list[Triple]:
    source = record.source
    origin = BlankNode()
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
    title = record.display_title if isinstance(record, TrialRecord) else record.title
    triples = [
        Triple(root, NamedNode(PUB + "sourceFormat"), Literal(source.format)),
        Triple(root, NamedNode(PROV + "generatedAtTime"), Literal(stamp, datatype=XSD_DATETIME)),
        Triple(root, NamedNode(PROV + "wasDerivedFrom"), origin),
        Triple(origin, RDF_TYPE, NamedNode(PROV + "Entity")),
        Triple(
            origin,
            NamedNode(PUB + "sourceFile"),
            Literal(source.path.replace("\\", "/").rsplit("/", 1)[-1]),
        ),
        Triple(
            origin,
            NamedNode(PUB + "recordPosition"),
            Literal(str(source.position), datatype=XSD_INTEGER),
        ),
    ]
    if title:
        triples.append(Triple(origin, NamedNode(FOAF + "name"), Literal(title)))
    return triples
