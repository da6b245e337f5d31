"""The SPARQL 1.1 Service Description of /sparql: what GET /sparql answers when RDF is asked.

https://www.w3.org/TR/sparql11-service-description/
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.config import Settings
from publisher.mapping.vocab import RDF_TYPE
from publisher.web.conneg import negotiate
from publisher.web.formats import (
    GRAPH_BY_MEDIA_TYPE,
    RESULTS_FORMATS,
    content_type,
    graph_format,
    serialize_graph,
)

HTML = "text/html"
RESULTS_MEDIA_TYPES = [f.media_type for f in RESULTS_FORMATS]

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDFS_COMMENT = NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
SIMPLE_ENTAILMENT = NamedNode("http://www.w3.org/ns/entailment/Simple")

# W3C's IRIs of the formats we answer in (https://www.w3.org/ns/formats/).
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "JSON-LD",
    "N-Triples",
    "RDF_XML",
)
INPUT_FORMATS = ("Turtle", "JSON-LD", "N-Triples", "RDF_XML")  # Graph Store Protocol bodies


def _sd(name: str) -> NamedNode:
    return NamedNode(SD + name)


def describe(settings: Settings) -> list[Triple]:
    service = BlankNode("service")
    dataset = BlankNode("dataset")
    default_graph = BlankNode("defaultGraph")
    triples = [
        Triple(service, RDF_TYPE, _sd("Service")),
        Triple(service, _sd("endpoint"), NamedNode(settings.base_uri + "sparql")),
        Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        Triple(service, _sd("defaultEntailmentRegime"), SIMPLE_ENTAILMENT),
        Triple(service, _sd("defaultDataset"), dataset),
        Triple(dataset, RDF_TYPE, _sd("Dataset")),
        Triple(dataset, _sd("defaultGraph"), default_graph),
        Triple(default_graph, RDF_TYPE, _sd("Graph")),
        Triple(
            dataset,
            RDFS_COMMENT,
            Literal(
                "The default graph is the published view: one consolidated description"
                " per resource, made from the source records. Each source record is a"
                " named graph of its own (GRAPH ?g), as is the provenance of every"
                " consolidated value; the query (FROM, FROM NAMED) or the request"
                " (default-graph-uri, named-graph-uri) may name another dataset.",
                language="en",
            ),
        ),
    ]
    triples += [
        Triple(service, _sd("resultFormat"), NamedNode(FORMATS + name)) for name in RESULT_FORMATS
    ]
    if settings.service_allowlist:
        triples.append(Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    if settings.enable_updates:
        triples.append(Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")))
        triples += [
            Triple(service, _sd("inputFormat"), NamedNode(FORMATS + name)) for name in INPUT_FORMATS
        ]
    return triples


def response(request: Request, settings: Settings) -> Response | None:
    """The description, when a GET without a query asks for RDF (Accept or `format=`)."""
    override = request.query_params.get("format")
    if override:
        chosen = graph_format(override)
        media_type = chosen.media_type if chosen else None
    else:
        offers = [*RESULTS_MEDIA_TYPES, HTML, *GRAPH_BY_MEDIA_TYPE]
        media_type = negotiate(request.headers.get("accept"), offers)
    if media_type not in GRAPH_BY_MEDIA_TYPE:
        return None
    body = serialize_graph(describe(settings), GRAPH_BY_MEDIA_TYPE[media_type])
    return Response(body, media_type=content_type(media_type), headers={"Vary": "Accept"})
