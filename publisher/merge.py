"""Same work, several sources: finding the article a record describes, and noticing
where two sources disagree about it.

Each source record keeps its own named graph, so both descriptions stay traceable and
removable on their own; what joins them is the article IRI. DOI-keyed IRIs join by
construction. A record without a DOI, or an article first published under its PMID,
is joined by looking the PMID up among the published identifiers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from pyoxigraph import Literal, NamedNode, QuerySolutions, Triple

from publisher.mapping.iris import article_key, pmid_key
from publisher.mapping.vocab import SCHEMA
from publisher.model import Record
from publisher.store.base import Store

# Properties with one true value per article: two sources giving different values is
# worth a person's attention (lists like authors or keywords legitimately grow).
SINGLE_VALUED = ("name", "datePublished", "pageStart", "pageEnd", "isPartOf", "inLanguage")


class IdentityResolver:
    """Finds the article IRI key a record must use so that its sources meet."""

    def __init__(self, store: Store, base_uri: str) -> None:
        self.store = store
        self.article_base = f"{base_uri}article/"

    def key_for(self, record: Record) -> str:
        """The default key, unless the article is already published under another one."""
        default = article_key(record)
        if record.doi and self._exists(default):
            return default
        if record.pmid:
            existing = self._article_with_pmid(record.pmid)
            if existing is not None and existing.value.startswith(self.article_base):
                return existing.value[len(self.article_base) :]
            if not record.doi and self._exists(pmid_key(record.pmid)):
                return pmid_key(record.pmid)
        return default

    def _exists(self, key: str) -> bool:
        return bool(self.store.query(f"ASK {{ <{self.article_base}{key}> ?p ?o }}"))

    def _article_with_pmid(self, pmid: str) -> NamedNode | None:
        value = Literal(pmid)
        result = self.store.query(
            f"""PREFIX schema: <{SCHEMA}>
            SELECT ?article WHERE {{
              ?id schema:value {value} ; schema:propertyID "PMID" .
              ?article schema:identifier ?id ; a schema:ScholarlyArticle .
            }} LIMIT 1"""
        )
        assert isinstance(result, QuerySolutions)
        for solution in result:
            article = solution["article"]
            if isinstance(article, NamedNode):
                return article
        return None


def disagreements(
    store: Store, article: NamedNode, graph: NamedNode, triples: Sequence[Triple]
) -> list[str]:
    """Single-valued fields on which this record and another source's graph differ.

    The store is asked first: most articles have no other source, and then the record's
    own triples are not even read (ingest passes them unparsed, see `NTriples`)."""
    filters = ", ".join(f"<{SCHEMA}{p}>" for p in SINGLE_VALUED)
    result = store.query(
        f"""SELECT ?g ?p ?o WHERE {{
          GRAPH ?g {{ {article} ?p ?o }}
          FILTER (?g != {graph} && ?p IN ({filters}))
        }}"""
    )
    assert isinstance(result, QuerySolutions)
    theirs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for solution in result:
        other, prop, value = solution["g"], solution["p"], solution["o"]
        assert isinstance(other, NamedNode) and isinstance(prop, NamedNode)
        theirs[(other.value, prop.value.removeprefix(SCHEMA))].add(_show(value))
    if not theirs:
        return []
    ours: dict[str, set[str]] = defaultdict(set)
    for triple in triples:
        local = triple.predicate.value.removeprefix(SCHEMA)
        if triple.subject == article and local in SINGLE_VALUED:
            ours[local].add(_show(triple.object))
    messages = []
    for (other, prop), values in sorted(theirs.items()):
        if prop in ours and values != ours[prop]:
            mine, yours = " | ".join(sorted(ours[prop])), " | ".join(sorted(values))
            said = f"this record says {mine}; <{other}> says {yours}"
            messages.append(f"sources disagree on schema:{prop}: {said}")
    return messages


def _show(term: object) -> str:
    if isinstance(term, Literal):
        return repr(term.value)
    return str(term)
