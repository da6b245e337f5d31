"""What an article page's JSON-LD adds to the article's graph, for crawlers (see
publisher.web.scholar): tests check that the page's graph is the Turtle graph with
exactly these additions, and nothing else changed."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef

SCHEMA = Namespace("https://schema.org/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
BIOSCHEMAS = URIRef("https://bioschemas.org/profiles/ScholarlyArticle/0.2-DRAFT-2020_12_03")
# Said about the article itself.
ON_THE_ARTICLE = {SCHEMA.headline, SCHEMA.dateModified, DCTERMS.conformsTo, SCHEMA.publisher}
# Said about the issue, volume and journal it appeared in (their own descriptions').
ON_ITS_JOURNAL = {
    RDF_TYPE,
    SCHEMA.name,
    SCHEMA.issn,
    SCHEMA.volumeNumber,
    SCHEMA.issueNumber,
    SCHEMA.isPartOf,
    SCHEMA.publisher,
}


def journal_chain(graph: Graph, article: URIRef) -> set[URIRef]:
    """The issue, volume and journal the article is part of, as `graph` links them."""
    chain: set[URIRef] = set()
    node = graph.value(article, SCHEMA.isPartOf)
    while isinstance(node, URIRef) and node not in chain:
        chain.add(node)
        node = graph.value(node, SCHEMA.isPartOf)
    return chain


def crawler_problems(page: Graph, turtle: Graph, article: URIRef) -> list[str]:
    """Differences between an article page's graph and the article's Turtle graph other
    than the ones publisher.web.scholar makes (empty when there are none)."""
    assert not any(isinstance(term, BNode) for triple in turtle for term in triple)
    problems = []
    chain = journal_chain(page, article)
    for s, p, o in set(page) - set(turtle):
        on_article = s == article and p in ON_THE_ARTICLE
        on_journal = s in chain and p in ON_ITS_JOURNAL
        if not (on_article or on_journal):
            problems.append(f"added: {s} {p} {o}")
    for s, p, o in set(turtle) - set(page):
        if not (s == article and p == SCHEMA.headline):
            problems.append(f"left out: {s} {p} {o}")
    headline = page.value(article, SCHEMA.headline)
    name = turtle.value(article, SCHEMA.name)
    if not isinstance(headline, Literal) or len(str(headline)) > 110:
        problems.append(f"headline {headline!r} is not at most 110 characters")
    elif str(headline) != str(name) and not (
        str(headline).endswith("…") and str(name).startswith(str(headline)[:-1])
    ):
        problems.append(f"headline {headline!r} is not the title {name!r} or its start")
    if page.value(article, DCTERMS.conformsTo) != BIOSCHEMAS:
        problems.append("no dcterms:conformsTo the Bioschemas ScholarlyArticle profile")
    return problems


def is_article(graph: Graph, iri: URIRef) -> bool:
    return (iri, RDF_TYPE, SCHEMA.ScholarlyArticle) in graph
