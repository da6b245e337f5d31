"""Namespaces and the few terms the mapper and the web layer both name."""

from __future__ import annotations

from pyoxigraph import NamedNode

SCHEMA = "https://schema.org/"
BIBO = "http://purl.org/ontology/bibo/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"

# Our own vocabulary (ontology/publisher.ttl) has one fixed, persistent IRI, the same
# for every deployment whatever its base URI, so that two deployments' data can be
# compared with one query and the shapes name its terms without a base. A w3id.org
# IRI: the permanent-identifier service can redirect it to wherever the project
# publishes the document. Every deployment also serves it at {base}ONTOLOGY_PATH.
ONTOLOGY = "https://w3id.org/scholarly-publisher/ontology"
PUB = ONTOLOGY + "#"
ONTOLOGY_PATH = "ontology"


def legacy_namespace(base_uri: str) -> str:
    """The namespace stores written before the fixed one used: {base}ontology#, one per
    deployment (publisher.store.legacy tells such a store apart and refuses it)."""
    return f"{base_uri}{ONTOLOGY_PATH}#"


def prefixes() -> dict[str, str]:
    """Prefixes for Turtle output and SPARQL examples."""
    return {
        "schema": SCHEMA,
        "bibo": BIBO,
        "rdf": RDF,
        "rdfs": RDFS,
        "xsd": XSD,
        "prov": PROV,
        "dcterms": DCTERMS,
        "foaf": FOAF,
        "pub": PUB,
    }


def schema(local: str) -> NamedNode:
    return NamedNode(SCHEMA + local)


RDF_TYPE = NamedNode(RDF + "type")
RDF_FIRST = NamedNode(RDF + "first")
RDF_REST = NamedNode(RDF + "rest")
RDF_NIL = NamedNode(RDF + "nil")
RDF_LANG_STRING = NamedNode(RDF + "langString")
RDFS_LABEL = NamedNode(RDFS + "label")
BIBO_AUTHOR_LIST = NamedNode(BIBO + "authorList")
XSD_STRING = NamedNode(XSD + "string")
XSD_INTEGER = NamedNode(XSD + "integer")
XSD_DATE = NamedNode(XSD + "date")
XSD_DATETIME = NamedNode(XSD + "dateTime")
XSD_GYEARMONTH = NamedNode(XSD + "gYearMonth")
XSD_GYEAR = NamedNode(XSD + "gYear")
SCHEMA_NAME = schema("name")
