"""The query page: YASGUI (vendored under static/yasgui) with our prefixes and examples.

Everything the page needs comes from this server: the YASGUI build files, our own
script (static/queryui.js) and the configuration below, embedded in the page as JSON.
The endpoint is the relative `/sparql`, so the page works on any host and port.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from publisher.mapping.vocab import prefixes

# The prefixes every example query starts with (and the editor offers as completions).
QUERY_PREFIXES = ("schema", "bibo", "rdf", "rdfs", "xsd", "prov", "dcterms", "foaf", "pub")

YASGUI_VERSION = "4.2.28"
STATIC_PATH = "/static"
ENDPOINT = "/sparql"


@dataclass(frozen=True)
class Example:
    name: str
    description: str
    body: str  # the query without its prologue


EXAMPLES = (
    Example(
        "Articles",
        "Every article with its title and date of publication.",
        """SELECT ?article ?title ?date WHERE {
  ?article a schema:ScholarlyArticle ;
           schema:name ?title .
  OPTIONAL { ?article schema:datePublished ?date }
}
ORDER BY ?title
LIMIT 100""",
    ),
    Example(
        "Articles by author",
        "Articles whose author's name contains a word, with the author's position "
        "in the article's author list (bibo:authorList).",
        """SELECT ?name ?position ?title ?article WHERE {
  {
    # position = how many list cells lead up to the author's cell
    SELECT ?article ?author (COUNT(?cell) AS ?position) WHERE {
      ?author schema:name ?authorName .
      FILTER(CONTAINS(LCASE(?authorName), "chen"))
      ?node rdf:first ?author .
      ?article bibo:authorList ?list .
      ?list rdf:rest* ?cell .
      ?cell rdf:rest* ?node .
    }
    GROUP BY ?article ?author
  }
  ?article schema:name ?title .
  ?author schema:name ?name .
}
ORDER BY ?name ?title""",
    ),
    Example(
        "Authors of one article, in order",
        "The author list of one article (by DOI), in the order the article gives.",
        """SELECT ?position ?name ?author WHERE {
  {
    SELECT ?author (COUNT(?cell) AS ?position) WHERE {
      ?doi schema:value "10.3389/fonc.2021.699946" ;
           schema:propertyID "DOI" .
      ?article schema:identifier ?doi ;
               bibo:authorList ?list .
      ?list rdf:rest* ?cell .
      ?cell rdf:rest* ?node .
      ?node rdf:first ?author .
    }
    GROUP BY ?node ?author
  }
  ?author schema:name ?name .
}
ORDER BY ?position""",
    ),
    Example(
        "Articles per journal",
        "How many articles each journal has. An article is part of an issue or a volume "
        "of the journal, or of the journal itself: schema:isPartOf+ follows the chain.",
        """SELECT ?journal ?name (COUNT(DISTINCT ?article) AS ?articles) WHERE {
  ?article a schema:ScholarlyArticle ;
           schema:isPartOf+ ?journal .
  ?journal a schema:Periodical ;
           schema:name ?name .
}
GROUP BY ?journal ?name
ORDER BY DESC(?articles) ?name""",
    ),
    Example(
        "Articles mentioning a trial",
        "Articles that mention a clinical trial, with the trial's registration number.",
        """SELECT ?title ?trial ?registration ?article WHERE {
  ?article schema:mentions ?trial ;
           schema:name ?title .
  ?trial a schema:MedicalTrial .
  OPTIONAL { ?trial schema:identifier/schema:value ?registration }
}
ORDER BY ?registration ?title""",
    ),
    Example(
        "Source records of each article",
        "The published view is made from source records, each a named graph of its "
        "own: which records an article's description comes from, their format and when "
        "they were read. With several sources, the provenance graph also says, value by "
        "value, which source gave it and which values lost (see docs/dataset.md).",
        """SELECT ?title ?source ?format ?read WHERE {
  ?article a schema:ScholarlyArticle ;
           schema:name ?title .
  GRAPH ?provenance { ?article prov:wasDerivedFrom ?source }
  GRAPH ?source {
    ?source pub:sourceFormat ?format ;
            prov:generatedAtTime ?read .
  }
}
ORDER BY ?title ?source""",
    ),
    Example(
        "Article by DOI (CONSTRUCT)",
        "The article's own statements, found by its DOI.",
        """CONSTRUCT { ?article ?p ?o } WHERE {
  ?doi schema:value "10.3389/fonc.2021.699946" ;
       schema:propertyID "DOI" .
  ?article schema:identifier ?doi ;
           ?p ?o .
}""",
    ),
)


def prologue() -> str:
    namespaces = prefixes()
    return "".join(f"PREFIX {p}: <{namespaces[p]}>\n" for p in QUERY_PREFIXES)


def example_queries() -> list[tuple[str, str]]:
    """(name, full query text) of every example, prologue included."""
    head = prologue()
    return [(e.name, head + e.body) for e in EXAMPLES]


def page_config() -> str:
    """The page's configuration as JSON, safe inside a <script> element."""
    namespaces = prefixes()
    config = {
        "endpoint": ENDPOINT,
        "prefixes": {p: namespaces[p] for p in QUERY_PREFIXES},
        "examples": [
            {"name": e.name, "description": e.description, "query": query}
            for e, (_, query) in zip(EXAMPLES, example_queries(), strict=True)
        ],
    }
    text = orjson.dumps(config).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
