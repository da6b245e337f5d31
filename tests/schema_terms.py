"""Which terms the data may use: schema.org 30.0 (read from ../shared/vocab), our own
vocabulary (ontology/publisher.ttl), and a few well-known vocabularies.

Helpers for the tests, not a test module.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from conftest import REPO, shared_path
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from publisher.mapping.vocab import PUB

SCHEMA = "https://schema.org/"
SCHEMA_TTL = ("vocab", "schemaorg-30.0", "schemaorg-current-https.ttl")
# schema.org's own JSON-LD context (terms -> http://schema.org/), as https://schema.org serves it.
OFFICIAL_CONTEXT = ("vocab", "schemaorg-30.0", "schemaorgcontext.jsonld")
# Vocabularies we may use without a local copy to check terms against.
ALLOWED_NAMESPACES = {
    "bibo": "http://purl.org/ontology/bibo/",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "dcterms": "http://purl.org/dc/terms/",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
}
SCHEMA_DOMAIN = URIRef(SCHEMA + "domainIncludes")

# schema.org properties we knowingly use outside their domainIncludes, with the reason.
# Anything not listed here that falls outside a domain fails the test.
KNOWN_DOMAIN_GAPS = {
    ("ScholarlyArticle", "publicationType"): "schema:publicationType is defined for "
    "MedicalScholarlyArticle only; PubMed's 'Journal Article', 'Comparative Study' ... are "
    "published on articles that are not medical ones",
    ("MedicalTrial", "startDate"): "MedicalStudy has no start date in schema.org",
    ("MedicalTrial", "endDate"): "MedicalStudy has no end date in schema.org",
    ("MedicalTrial", "citation"): "schema:citation is for CreativeWorks; a registry's "
    "references of a trial",
    ("MedicalTrial", "keywords"): "schema:keywords is for CreativeWork, Event, "
    "Organization, Place, Product; a registry's keywords of a trial",
}


@dataclass(frozen=True)
class Vocabulary:
    classes: frozenset[URIRef]
    properties: frozenset[URIRef]
    members: frozenset[URIRef]  # enumeration members (schema:OpenTrial, ...)
    domains: dict[URIRef, frozenset[URIRef]]
    ancestors: dict[URIRef, frozenset[URIRef]]  # class -> itself and its superclasses


@cache
def schema_org() -> Vocabulary:
    graph = Graph().parse(shared_path(*SCHEMA_TTL), format="turtle")
    classes = frozenset(c for c in graph.subjects(RDF.type, RDFS.Class) if isinstance(c, URIRef))
    properties = frozenset(
        p for p in graph.subjects(RDF.type, RDF.Property) if isinstance(p, URIRef)
    )
    members = frozenset(
        s
        for s, t in graph.subject_objects(RDF.type)
        if isinstance(s, URIRef) and t in classes and s not in classes
    )
    domains = {
        p: frozenset(d for d in graph.objects(p, SCHEMA_DOMAIN) if isinstance(d, URIRef))
        for p in properties
    }
    ancestors = {
        c: frozenset(
            a for a in graph.transitive_objects(c, RDFS.subClassOf) if isinstance(a, URIRef)
        )
        for c in classes
    }
    return Vocabulary(classes, properties, members, domains, ancestors)


@cache
def our_terms() -> frozenset[URIRef]:
    """Every term ontology/publisher.ttl defines (a class or a property)."""
    graph = Graph().parse(REPO / "ontology" / "publisher.ttl", format="turtle")
    kinds = (RDFS.Class, OWL.Class, RDF.Property, OWL.DatatypeProperty, OWL.ObjectProperty)
    return frozenset(
        s for kind in kinds for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)
    )


def unknown_terms(graph: Graph) -> set[str]:
    """Classes and properties the graph uses that are in none of the allowed vocabularies,
    and schema.org IRIs (anywhere: enumeration members too) that schema.org 30.0 lacks.
    The namespace IRI itself (VoID's `void:vocabulary <https://schema.org/>`) is fine."""
    vocabulary = schema_org()
    ours = our_terms()
    used: set[tuple[URIRef, str]] = set()
    for s, p, o in graph:
        used.add((URIRef(p), "property"))
        if p == RDF.type and isinstance(o, URIRef):
            used.add((o, "class"))
        elif isinstance(o, URIRef) and str(o).startswith(SCHEMA) and str(o) != SCHEMA:
            used.add((o, "value"))
        if isinstance(o, Literal) and o.datatype is not None:
            used.add((URIRef(o.datatype), "datatype"))
        if isinstance(s, URIRef) and str(s).startswith(SCHEMA) and str(s) != SCHEMA:
            used.add((s, "value"))
    bad = set()
    for term, role in used:
        iri = str(term)
        if iri.startswith(SCHEMA):
            known = {
                "property": vocabulary.properties,
                "class": vocabulary.classes,
                "datatype": vocabulary.classes,
                "value": vocabulary.classes | vocabulary.properties | vocabulary.members,
            }[role]
            if term not in known:
                bad.add(f"{role} {iri} is not in schema.org 30.0")
        elif iri.startswith(PUB):
            if term not in ours:
                bad.add(f"{role} {iri} is not defined in ontology/publisher.ttl")
        elif role in ("property", "class", "datatype") and not any(
            iri.startswith(ns) for ns in ALLOWED_NAMESPACES.values()
        ):
            bad.add(f"{role} {iri} is from a vocabulary we do not use")
    return bad


def domain_gaps(graph: Graph) -> set[tuple[str, str]]:
    """(class, property) for schema.org properties used on a node none of whose types (with
    their superclasses) is in the property's domainIncludes. A node with no schema.org
    type is reported with its other types' local names."""
    vocabulary = schema_org()
    gaps = set()
    for s, p, _ in graph:
        if not str(p).startswith(SCHEMA) or p not in vocabulary.domains:
            continue
        types = [t for t in graph.objects(s, RDF.type) if isinstance(t, URIRef)]
        reach: set[URIRef] = set()
        for t in types:
            reach |= vocabulary.ancestors.get(t, frozenset({t}))
        if not reach & vocabulary.domains[URIRef(p)]:
            names = sorted(_local(t) for t in types if str(t).startswith(SCHEMA))
            names = names or sorted(_local(t) for t in types) or ["(untyped)"]
            for name in names:
                gaps.add((name, _local(p)))
    return gaps


def _local(iri: object) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
