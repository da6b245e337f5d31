"""What crawlers of scholarly pages read on an article page.

Google Scholar reads Highwire Press `citation_*` meta tags (its inclusion guidelines);
Google Search and the Bioschemas ScholarlyArticle profile read the embedded JSON-LD.
Both are made from the article's description and those of the journal, volume and
issue it appeared in (`views.Level`), so they say nothing the published view does not.

The page's JSON-LD block is the article's graph (the same as `?format=jsonld`) with
what those crawlers look for added, for articles only:

- `headline` at most 110 characters (Google's limit; cut at a word, with `…`); `name`
  stays the full title;
- `dateModified`: when the description last changed (its newest source record);
- `isPartOf` described down to the journal: the issue's number, the volume's number,
  the journal's name, ISSN and publisher, as their own descriptions state them;
- `publisher`: the journal's, where its description names one;
- `dcterms:conformsTo` the Bioschemas ScholarlyArticle profile it follows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode, Triple

from publisher.mapping.vocab import DCTERMS, RDF_TYPE, SCHEMA, XSD_DATETIME, schema
from publisher.web import jsonld
from publisher.web.views import Level, ResourceView, ViewBuilder

HEADLINE_LIMIT = 110
BIOSCHEMAS_PROFILE = "https://bioschemas.org/profiles/ScholarlyArticle/0.2-DRAFT-2020_12_03"
SCHEMA_HEADLINE = schema("headline")
SCHEMA_PUBLISHER = schema("publisher")
# What the page's JSON-LD takes from the journal's, volume's and issue's descriptions.
LEVEL_PROPERTIES = {
    RDF_TYPE,
    schema("name"),
    schema("issn"),
    schema("volumeNumber"),
    schema("issueNumber"),
    schema("isPartOf"),
    schema("publisher"),
}


def headline(title: str, limit: int = HEADLINE_LIMIT) -> str:
    """The title when it fits, else cut at the last word boundary with `…` (at most
    `limit` characters in all)."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def crawler_triples(
    article: NamedNode,
    triples: list[Triple],
    levels: list[Level],
    modified: datetime | None,
) -> list[Triple]:
    """The article's triples as the page's JSON-LD states them (see the module doc)."""
    out = [t for t in triples if not (t.subject == article and t.predicate == SCHEMA_HEADLINE)]
    titles = [t.object for t in triples if t.subject == article and t.predicate == SCHEMA_HEADLINE]
    for title in titles:
        if isinstance(title, Literal):
            out.append(Triple(article, SCHEMA_HEADLINE, Literal(headline(title.value))))
    for level in levels:
        for triple in level.triples:
            if triple.subject == level.node and triple.predicate in LEVEL_PROPERTIES:
                out.append(triple)
                if triple.predicate == SCHEMA_PUBLISHER:  # the journal's, and its name
                    out.append(Triple(article, SCHEMA_PUBLISHER, triple.object))
                    out += [t for t in level.triples if t.subject == triple.object]
    out = list(dict.fromkeys(out))  # a journal's triple may come twice
    if modified is not None:
        stamp = modified.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(Triple(article, schema("dateModified"), Literal(stamp, datatype=XSD_DATETIME)))
    out.append(Triple(article, NamedNode(DCTERMS + "conformsTo"), NamedNode(BIOSCHEMAS_PROFILE)))
    return out


def citation_meta(view: ResourceView, triples: list[Triple]) -> list[tuple[str, str]]:
    """Highwire Press tags for Google Scholar, in the order its guidelines list them:
    (name, content) pairs; the template escapes them."""
    if not view.is_article:
        return []
    article = NamedNode(view.iri)
    tags: list[tuple[str, str]] = [("citation_title", view.title)]
    tags += [("citation_author", author.text) for author in view.authors]
    if view.date:
        tags.append(("citation_publication_date", view.date.replace("-", "/")))
    for level in view.levels:
        values = _values(level.triples, level.node)
        if level.kind == "Periodical":
            tags += [("citation_journal_title", v) for v in values.get(SCHEMA + "name", [])[:1]]
            tags += [("citation_issn", v) for v in values.get(SCHEMA + "issn", [])]
            tags += [("citation_publisher", v) for v in _publisher_names(level)]
        elif level.kind == "PublicationVolume":
            tags += [("citation_volume", v) for v in values.get(SCHEMA + "volumeNumber", [])[:1]]
        elif level.kind == "PublicationIssue":
            tags += [("citation_issue", v) for v in values.get(SCHEMA + "issueNumber", [])[:1]]
    own = _values(triples, article)
    tags += [("citation_firstpage", v) for v in own.get(SCHEMA + "pageStart", [])[:1]]
    tags += [("citation_lastpage", v) for v in own.get(SCHEMA + "pageEnd", [])[:1]]
    for link in view.identifiers:
        kind, _, value = link.text.partition(" ")
        if kind in ("DOI", "PMID"):
            tags.append((f"citation_{kind.lower()}", value))
    tags += [("citation_language", v) for v in own.get(SCHEMA + "inLanguage", [])]
    tags.append(("citation_abstract_html_url", view.iri))
    return tags


def _values(triples: list[Triple], subject: NamedNode) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for triple in triples:
        if triple.subject == subject and isinstance(triple.object, Literal):
            out.setdefault(triple.predicate.value, []).append(triple.object.value)
    return {key: sorted(values) for key, values in out.items()}


def _publisher_names(level: Level) -> list[str]:
    names = []
    for triple in level.triples:
        if triple.subject == level.node and triple.predicate == schema("publisher"):
            if isinstance(triple.object, Literal):
                names.append(triple.object.value)
            else:
                names += [
                    t.object.value
                    for t in level.triples
                    if t.subject == triple.object
                    and t.predicate == schema("name")
                    and isinstance(t.object, Literal)
                ]
    return sorted(names)


def page_document(
    views: ViewBuilder,
    iri: NamedNode,
    triples: list[Triple],
    modified: datetime | None,
    view: ResourceView | None = None,
) -> jsonld.JsonObject:
    """The JSON-LD a page embeds (and `?embed` answers): an article's with what crawlers
    read added (see the module doc), anything else's exactly as `?format=jsonld`."""
    view = view or views.resource(iri, triples)
    if not view.is_article:
        return jsonld.to_jsonld(triples, iri)
    return jsonld.to_jsonld(crawler_triples(iri, triples, view.levels, modified), iri)


def embed_snippet(
    views: ViewBuilder, iri: NamedNode, triples: list[Triple], modified: datetime | None
) -> str:
    """Just the page's JSON-LD block, for a library's or journal's own page: what
    `GET {IRI}?embed` answers and `publisher embed IRI` prints."""
    return jsonld.script_element(page_document(views, iri, triples, modified)) + "\n"
