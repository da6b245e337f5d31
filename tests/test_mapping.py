"""The mapper's output for the founding record equals the hand-written expected graph."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import BASE, SEED
from pyoxigraph import RdfFormat, serialize
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from publisher.mapping.records import RecordMapper
from publisher.model import Person, Record, SourceRef
from publisher.readers.vufind_text import VufindTextReader

EXPECTED = Path(__file__).parent / "data" / "seed_expected.ttl"


def _mapped_graph(record: Record) -> Graph:
    mapped = RecordMapper(BASE).map(record)
    graph = Graph()
    graph.parse(data=serialize(mapped.triples, format=RdfFormat.N_TRIPLES), format="nt")
    return graph


def _seed_record() -> Record:
    (record,) = VufindTextReader().read(io.BytesIO(SEED.read_bytes()), str(SEED))
    assert isinstance(record, Record)
    return record


def test_seed_record_maps_to_exactly_the_expected_triples() -> None:
    actual = _mapped_graph(_seed_record())
    expected = Graph().parse(EXPECTED, format="turtle")
    if not isomorphic(actual, expected):
        _, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
        raise AssertionError(
            f"only in output:\n{only_actual.serialize(format='nt')}\n"
            f"only expected:\n{only_expected.serialize(format='nt')}"
        )


def test_same_record_same_iris_and_graph() -> None:
    mapper = RecordMapper(BASE)
    first, second = mapper.map(_seed_record()), mapper.map(_seed_record())
    assert first.article == second.article
    assert first.graph == second.graph
    assert first.graph.value == f"{BASE}graph/vufind-text/doi/10.3389/fonc.2021.699946"


def test_doi_case_does_not_change_the_iri() -> None:
    record = _seed_record()
    record.doi = "10.3389/FONC.2021.699946"
    assert (
        RecordMapper(BASE).map(record).article.value
        == f"{BASE}article/doi/10.3389/fonc.2021.699946"
    )


def test_record_without_doi_gets_a_stable_readable_iri() -> None:
    record = Record(SourceRef("x.txt", 1, format="vufind-text"), title="Ein Fallbericht über Ärzte")
    record.authors = [Person("Anna Muster", "Muster", "Anna")]
    iri = RecordMapper(BASE).map(record).article.value
    assert iri.startswith(f"{BASE}article/title/ein-fallbericht-uber-arzte-")
    assert iri == RecordMapper(BASE).map(record).article.value


def test_abstract_without_known_language_has_no_language_tag() -> None:
    """Not `und`: Jena's RDF/XML parser warns about it; an unknown language is unsaid."""
    record = Record(SourceRef("x.txt", 1, format="vufind-text"), title="T", abstract="Text")
    graph = _mapped_graph(record)
    (abstract,) = graph.objects(None, __import__("rdflib").URIRef("https://schema.org/abstract"))
    assert abstract.language is None and str(abstract) == "Text"


def test_trial_ids_anywhere_in_the_record_are_linked() -> None:
    record = Record(
        SourceRef("x.txt", 1, format="vufind-text"),
        title="A trial",
        abstract="Registered as DRKS00012345 and EudraCT 2015-001234-56; see also ISRCTN 12345678.",
    )
    mapped = RecordMapper(BASE).map(record)
    mentions = sorted(
        t.object.value for t in mapped.triples if t.predicate.value == "https://schema.org/mentions"
    )
    assert mentions == [
        f"{BASE}trial/drks/DRKS00012345",
        f"{BASE}trial/eudract/2015-001234-56",
        f"{BASE}trial/isrctn/ISRCTN12345678",
    ]
