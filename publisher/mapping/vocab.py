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

ONTOLOGY_PATH = "ontology"


def ontology_namespace(base_uri: str) -> str:
    """Our own vocabulary lives under the deployment's base, so the server can publish it."""
    return f"{base_uri}{ONTOLOGY_PATH}#"


def prefixes(base_uri: str) -> dict[str, str]:
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
        "pub": ontology_namespace(base_uri),
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
