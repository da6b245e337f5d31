"""Every class and property the mapper emits is schema.org 30.0's, our own vocabulary's
(ontology/publisher.ttl), or one of the few well-known vocabularies we use (bibo, prov,
foaf, rdf, rdfs, xsd, sh, dcterms, void, dcat).

Checked on the mapping of every record every registered reader reads from the samples
the reader tests use (tests/data, ../shared/samples) and the bundled examples: what the
readers produce today, whichever are registered. schema.org properties used outside
their `domainIncludes` must be the known, documented gaps (schema_terms.KNOWN_DOMAIN_GAPS).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from conftest import BASE, EXAMPLES, REPO, SHARED
from pyoxigraph import RdfFormat, serialize
from rdflib import RDF, Graph, Namespace
from schema_terms import KNOWN_DOMAIN_GAPS, domain_gaps, schema_org, unknown_terms

from publisher.mapping.records import RecordMapper
from publisher.model import Record, TrialRecord
from publisher.readers.registry import READERS, read_file

NOT_RECORDS = {".ttl", ".md", ".csv", ".jsonld"}
SCHEMA = Namespace("https://schema.org/")


def sample_files() -> list[Path]:
    roots = [REPO / "tests" / "data", SHARED / "samples", EXAMPLES]
    return sorted(
        path
        for root in roots
        if root.is_dir()
        for path in root.rglob("*")
        if path.is_file() and path.suffix not in NOT_RECORDS
    )


@cache
def mapped_samples() -> tuple[Graph, frozenset[str]]:
    """The union of every sample record's triples (with provenance), and the formats read."""
    mapper = RecordMapper(BASE)
    graph = Graph()
    formats = set()
    for path in sample_files():
        for item in read_file(path):
            if not isinstance(item, Record | TrialRecord):
                continue
            mapped = mapper.map(item)
            triples = mapped.triples + mapper.provenance(mapped)
            graph.parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")
            formats.add(item.source.format)
    return graph, frozenset(formats)


@pytest.fixture(scope="module")
def samples() -> Graph:
    schema_org()  # skips, saying why, without ../shared
    graph, formats = mapped_samples()
    # Readers whose samples hold no article (a MARC book) map nothing here.
    core = {"vufind-text", "ris", "bibtex", "csl-json", "crossref-json", "ctgov-json"}
    assert core <= formats <= set(READERS)
    return graph


def test_every_emitted_term_exists(samples: Graph) -> None:
    assert unknown_terms(samples) == set()


def test_schema_org_properties_are_used_within_their_domains(samples: Graph) -> None:
    assert domain_gaps(samples) <= set(KNOWN_DOMAIN_GAPS)


def test_articles_have_a_headline_and_authors_a_url(samples: Graph) -> None:
    articles = set(samples.subjects(RDF.type, SCHEMA.ScholarlyArticle))
    assert len(articles) > 20
    for article in articles:
        # Several samples describe some of the same articles, so compare sets.
        names = set(samples.objects(article, SCHEMA.name))
        assert set(samples.objects(article, SCHEMA.headline)) == names, article
    authors = samples.query("""
        PREFIX schema: <https://schema.org/>
        SELECT ?author ?url WHERE {
          ?article schema:author ?author . OPTIONAL { ?author schema:url ?url } }""")
    assert len(authors) > 50
    for author, url in authors:  # type: ignore[misc]
        assert url == author, author
