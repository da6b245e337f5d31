"""The RDF and result serialisations we serve, by media type."""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import NamedNode, QueryResultsFormat, RdfFormat, Triple, serialize

from publisher.mapping.vocab import prefixes
from publisher.web import jsonld


@dataclass(frozen=True)
class GraphFormat:
    media_type: str
    name: str  # the value of `?format=`
    extension: str
    oxigraph: RdfFormat | None  # None: built by publisher.web.jsonld


GRAPH_FORMATS = [
    GraphFormat("text/turtle", "turtle", "ttl", RdfFormat.TURTLE),
    GraphFormat("application/ld+json", "jsonld", "jsonld", None),
    GraphFormat("application/n-triples", "ntriples", "nt", RdfFormat.N_TRIPLES),
    GraphFormat("application/rdf+xml", "rdfxml", "rdf", RdfFormat.RDF_XML),
]
GRAPH_BY_MEDIA_TYPE = {f.media_type: f for f in GRAPH_FORMATS}
GRAPH_BY_NAME = {f.name: f for f in GRAPH_FORMATS} | {f.extension: f for f in GRAPH_FORMATS}
# Other `format=` values clients send for the same thing. SPARQLWrapper, for one, sends
# format=json-ld, format=rdf+xml and (its default) format=xml with CONSTRUCT and DESCRIBE.
GRAPH_ALIASES = {
    "application/x-turtle": "text/turtle",
    "application/json": "application/ld+json",
    "json": "application/ld+json",
    "json-ld": "application/ld+json",
    "text/plain": "application/n-triples",
    "n-triples": "application/n-triples",
    "rdf+xml": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "application/xml": "application/rdf+xml",
    "text/xml": "application/rdf+xml",
}


@dataclass(frozen=True)
class ResultsFormat:
    media_type: str
    name: str
    oxigraph: QueryResultsFormat


RESULTS_FORMATS = [
    ResultsFormat("application/sparql-results+json", "json", QueryResultsFormat.JSON),
    ResultsFormat("application/sparql-results+xml", "xml", QueryResultsFormat.XML),
    ResultsFormat("text/csv", "csv", QueryResultsFormat.CSV),
    ResultsFormat("text/tab-separated-values", "tsv", QueryResultsFormat.TSV),
]
RESULTS_BY_MEDIA_TYPE = {f.media_type: f for f in RESULTS_FORMATS}
RESULTS_BY_NAME = {f.name: f for f in RESULTS_FORMATS}
RESULTS_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
}

# Accept types answered as well as the exact ones (behind them, so that ties go to those):
# clients of SPARQL endpoints commonly send a plain `Accept: application/json`.
GRAPH_ACCEPT_ALIASES = {"application/json": "application/ld+json"}
RESULTS_ACCEPT_ALIASES = {"application/json": "application/sparql-results+json"}


def graph_format(name: str) -> GraphFormat | None:
    """The graph format a `format=` value names (a name, an extension or a media type)."""
    key = name.strip().lower()
    key = GRAPH_ALIASES.get(key, key)
    return GRAPH_BY_MEDIA_TYPE.get(key) or GRAPH_BY_NAME.get(key)


def results_format(name: str) -> ResultsFormat | None:
    """The results format a `format=` value names (a name or a media type)."""
    key = name.strip().lower()
    key = RESULTS_ALIASES.get(key, key)
    return RESULTS_BY_MEDIA_TYPE.get(key) or RESULTS_BY_NAME.get(key)


def content_type(media_type: str) -> str:
    textual = media_type.startswith("text/") or media_type.endswith(("json", "xml", "triples"))
    return f"{media_type}; charset=utf-8" if textual else media_type


def serialize_graph(
    triples: list[Triple], fmt: GraphFormat, main: NamedNode | None = None
) -> bytes:
    if fmt.oxigraph is None:
        return jsonld.dumps(jsonld.to_jsonld(triples, main))
    names = prefixes() if fmt.oxigraph == RdfFormat.TURTLE else None
    return serialize(triples, format=fmt.oxigraph, prefixes=names) or b""
