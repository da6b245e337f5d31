"""Keyword detection in query text: strings, IRIs and comments never count."""

from __future__ import annotations

import pytest

from publisher.sparql_text import has_keyword


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }", True),
        ("select * where { service <http://x/> { ?s ?p ?o } }", True),
        ("SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }", True),  # escaped keyword
        ("SELECT ?service WHERE { ?service ?p ?o }", False),  # a variable
        ("SELECT * WHERE { ?s ex:service ?o }", False),  # a local name
        ('SELECT * WHERE { ?s ?p "SERVICE" }', False),  # a string
        ("SELECT * WHERE { ?s ?p <http://x/SERVICE> }", False),  # an IRI
        ("# SERVICE\nSELECT * WHERE { ?s ?p ?o }", False),  # a comment
        ("PREFIX service: <http://x/> SELECT * WHERE { ?s service:p ?o }", True),  # errs to yes
    ],
)
def test_service_keyword(query: str, found: bool) -> None:
    assert has_keyword(query, "service") is found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("SELECT * FROM <http://g/> WHERE { ?s ?p ?o }", True),
        ("SELECT * FROM NAMED <http://g/> WHERE { GRAPH ?g { ?s ?p ?o } }", True),
        ("SELECT * WHERE { ?s ?p 'from' }", False),
        ("SELECT ?from WHERE { ?from ?p ?o }", False),
    ],
)
def test_from_keyword(query: str, found: bool) -> None:
    assert has_keyword(query, "from") is found
