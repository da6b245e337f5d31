"""The dataset described in VoID and DCAT, at {base}dataset and /.well-known/void.

Two parts, so that serving never counts anything:

* statistics, computed at the end of every ingest and remove (`write_statistics`) and
  stored in the graph {base}graph/statistics next to the conformance figures: triples
  per class and per property come from counters the side database keeps per record
  (no scan at all), entities per class from the store's type index;
* what the deployment says of itself (title, licence, publisher, endpoint, dumps with
  their sizes and checksums from the export's manifest) and when the data last changed
  (the change log's newest activity), added when the description is served
  (`description`), so changing a setting or exporting new dumps needs no ingest.

The stored statistics hold no time, so the same records give the same graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from publisher.harvest.dumps import DumpFile
from publisher.harvest.sidecar import Sidecar
from publisher.mapping.vocab import DCTERMS, FOAF, RDF, RDFS, XSD
from publisher.store.base import Store
from publisher.validation.summary import dataset_iri

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
FORMATS = "http://www.w3.org/ns/formats/"
IANA = "http://www.iana.org/assignments/media-types/"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
EXAMPLE_KINDS = ("article", "trial", "journal", "person")
SERVED_FORMATS = ("Turtle", "JSON-LD", "N-Triples", "RDF_XML")

Subject = NamedNode | BlankNode
Object = NamedNode | BlankNode | Literal


def statistics_graph(base_uri: str) -> NamedNode:
    return NamedNode(f"{base_uri}graph/statistics")


@dataclass(frozen=True)
class DatasetInfo:
    """What the deployment says of its dataset (settings, not data)."""

    title: str
    license: str
    publisher: str
    description: str = (
        "Scholarly articles, their authors, journals and the clinical trials they mention,"
        " described with schema.org; each record validated with SHACL before publication."
    )


class _Triples:
    def __init__(self) -> None:
        self.triples: list[Triple] = []

    def add(self, subject: Subject, predicate: str, obj: Object) -> None:
        self.triples.append(Triple(subject, NamedNode(predicate), obj))


def _integer(value: int, datatype: str = "integer") -> Literal:
    return Literal(str(value), datatype=NamedNode(XSD + datatype))


def _datetime(value: str) -> Literal:
    return Literal(value, datatype=NamedNode(XSD + "dateTime"))


def vocabulary_of(iri: str) -> str:
    """`https://schema.org/name` -> `https://schema.org/`; `.../ontology#x` -> `.../ontology`."""
    if "#" in iri:
        return iri.split("#", 1)[0]
    return iri.rsplit("/", 1)[0] + "/"


def write_statistics(store: Store, base_uri: str, sidecar: Sidecar) -> None:
    """Recompute the dataset's VoID statistics and store them (graph {base}graph/statistics)."""
    dataset = dataset_iri(base_uri)
    out = _Triples()
    counts = sidecar.statistics()
    entities = _entities_per_class(store)
    properties = counts.get("property", {})
    class_triples = counts.get("class", {})
    classes = sorted(set(entities) | set(class_triples))
    out.add(dataset, VOID + "triples", _integer(counts.get("triples", {}).get("", 0)))
    out.add(dataset, VOID + "entities", _integer(sidecar.live_resource_count()))
    out.add(dataset, VOID + "classes", _integer(len(classes)))
    out.add(dataset, VOID + "properties", _integer(len(properties)))
    for cls in classes:
        node = BlankNode()
        out.add(dataset, VOID + "classPartition", node)
        out.add(node, VOID + "class", NamedNode(cls))
        out.add(node, VOID + "entities", _integer(entities.get(cls, 0)))
        out.add(node, VOID + "triples", _integer(class_triples.get(cls, 0)))
    for prop, n in sorted(properties.items()):
        node = BlankNode()
        out.add(dataset, VOID + "propertyPartition", node)
        out.add(node, VOID + "property", NamedNode(prop))
        out.add(node, VOID + "triples", _integer(n))
    for vocabulary in sorted({vocabulary_of(t) for t in [*classes, *properties]}):
        out.add(dataset, VOID + "vocabulary", NamedNode(vocabulary))
    for kind in EXAMPLE_KINDS:
        for iri in sidecar.examples(kind, 1):
            out.add(dataset, VOID + "exampleResource", NamedNode(iri))
    store.replace_graph(statistics_graph(base_uri), out.triples)


def _entities_per_class(store: Store) -> dict[str, int]:
    """Distinct IRIs per class: read from the type index (rdf:type statements only)."""
    result = store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?s) && isIRI(?c)) }"
        " GROUP BY ?c"
    )
    assert isinstance(result, QuerySolutions)
    out: dict[str, int] = {}
    for row in result:
        cls, n = row["c"], row["n"]
        if isinstance(cls, NamedNode) and isinstance(n, Literal):
            out[cls.value] = int(n.value)
    return out


def description(
    base_uri: str,
    info: DatasetInfo,
    stored: Iterable[Triple],
    dumps: Iterable[DumpFile],
    modified: str | None = None,
) -> list[Triple]:
    """The dataset's whole description: what the store holds about it (conformance,
    statistics), when it last changed (the change log's newest activity) and what the
    deployment says (title, licence, endpoint, dumps)."""
    dataset = dataset_iri(base_uri)
    out = _Triples()
    out.triples.extend(stored)
    if modified:
        out.add(dataset, DCTERMS + "modified", _datetime(modified))
    out.add(dataset, RDF + "type", NamedNode(VOID + "Dataset"))
    out.add(dataset, RDF + "type", NamedNode(DCAT + "Dataset"))
    out.add(dataset, DCTERMS + "title", Literal(info.title))
    out.add(dataset, DCTERMS + "description", Literal(info.description, language="en"))
    out.add(dataset, DCTERMS + "license", NamedNode(info.license))
    publisher = BlankNode()
    out.add(dataset, DCTERMS + "publisher", publisher)
    out.add(publisher, RDF + "type", NamedNode(FOAF + "Agent"))
    out.add(publisher, FOAF + "name", Literal(info.publisher))
    out.add(dataset, VOID + "uriSpace", Literal(base_uri))
    out.add(dataset, DCAT + "landingPage", NamedNode(base_uri))
    out.add(dataset, FOAF + "homepage", NamedNode(base_uri))
    for name in SERVED_FORMATS:
        out.add(dataset, VOID + "feature", NamedNode(FORMATS + name))
    for seen in ("sitemap.xml", "changes"):
        out.add(dataset, RDFS + "seeAlso", NamedNode(base_uri + seen))
    # The SPARQL endpoint, in VoID and as a DCAT data service.
    endpoint = NamedNode(base_uri + "sparql")
    out.add(dataset, VOID + "sparqlEndpoint", endpoint)
    service = BlankNode()
    out.add(dataset, DCAT + "distribution", service)
    out.add(service, RDF + "type", NamedNode(DCAT + "Distribution"))
    out.add(service, DCTERMS + "title", Literal("SPARQL 1.1 endpoint", language="en"))
    out.add(service, DCAT + "accessURL", endpoint)
    out.add(service, DCAT + "accessService", endpoint)
    out.add(endpoint, RDF + "type", NamedNode(DCAT + "DataService"))
    out.add(endpoint, DCAT + "endpointURL", endpoint)
    out.add(endpoint, DCAT + "servesDataset", dataset)
    protocol = NamedNode("https://www.w3.org/TR/sparql11-protocol/")
    out.add(endpoint, DCTERMS + "conformsTo", protocol)
    for dump in dumps:
        _distribution(out, dataset, base_uri, dump, NamedNode(info.license))
    return out.triples


def _distribution(
    out: _Triples, dataset: NamedNode, base_uri: str, dump: DumpFile, license: NamedNode
) -> None:
    iri = NamedNode(f"{base_uri}dumps/{dump.name}")
    out.add(dataset, VOID + "dataDump", iri)
    out.add(dataset, DCAT + "distribution", iri)
    out.add(iri, RDF + "type", NamedNode(DCAT + "Distribution"))
    out.add(iri, DCTERMS + "title", Literal(dump.title, language="en"))
    out.add(iri, DCAT + "downloadURL", iri)
    out.add(iri, DCAT + "accessURL", NamedNode(f"{base_uri}dumps/"))
    out.add(iri, DCAT + "mediaType", NamedNode(IANA + dump.media_type))
    if dump.compression:
        out.add(iri, DCAT + "compressFormat", NamedNode(f"{IANA}application/{dump.compression}"))
    out.add(iri, DCAT + "byteSize", _integer(dump.size, "nonNegativeInteger"))
    out.add(iri, DCTERMS + "modified", _datetime(dump.modified))
    out.add(iri, DCTERMS + "license", license)
    checksum = BlankNode()
    out.add(iri, SPDX + "checksum", checksum)
    out.add(checksum, RDF + "type", NamedNode(SPDX + "Checksum"))
    out.add(checksum, SPDX + "algorithm", NamedNode(SPDX + "checksumAlgorithm_sha256"))
    value = Literal(dump.sha256, datatype=NamedNode(XSD + "hexBinary"))
    out.add(checksum, SPDX + "checksumValue", value)
    if dump.statements is not None:
        out.add(iri, VOID + "triples", _integer(dump.statements))
