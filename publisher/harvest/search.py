"""Full-text search: a user's words -> an FTS5 query, and matches -> safe HTML.

Why SQLite FTS5 (in the side database) rather than the store: Oxigraph has no text
index, so any SPARQL answer to "which articles mention leukemia" reads every literal
(`regex`/`contains` FILTERs); FTS5 is an inverted index in the standard library, ranks
with BM25 (weighted per column: title first), and highlights and cuts snippets itself.
Updating it per record (delete + insert by rowid) is cheap, so ingest keeps it current.

Queries: words are ANDed and matched whole (diacritics and case ignored; `leuk*` is a
prefix of at least three letters); `"a phrase"` matches words in order; `title:`,
`author:`, `journal:`, `subject:` and `abstract:` limit a word or phrase to one field.
Everything else the user types is treated as text, never as FTS5 syntax. A query that
matches so much that ranking it takes over three seconds is stopped with a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from publisher.harvest.sidecar import MARK_END, MARK_START, SearchRow, SearchTooBroad, Sidecar

FIELDS = {
    "title": "title",
    "abstract": "abstract",
    "author": "authors",
    "authors": "authors",
    "journal": "journal",
    "subject": "subjects",
    "subjects": "subjects",
}
MAX_TERMS = 16
MIN_PREFIX = 3  # `ab*` would merge the postings of thousands of words: a plain word then
PAGE_SIZE = 20
MAX_PAGE = 500  # deeper pages are not search any more, they are harvesting: use the dumps
_TOKEN = re.compile(r'(?:(\w+):)?(?:"([^"]*)"?|(\S+))', re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """The FTS5 MATCH expression for what the user typed; None when nothing is left."""
    terms: list[str] = []
    for match in _TOKEN.finditer(text[:1000]):
        prefix, phrase, bare = match.group(1), match.group(2), match.group(3)
        column = FIELDS.get(prefix.lower()) if prefix else None
        if prefix and column is None:  # `foo:bar` that names no field: two plain words
            terms.append(f'"{prefix}"')
        if phrase is not None:
            words = _WORD.findall(phrase)
            term = '"' + " ".join(words) + '"' if words else ""
        else:
            # `CD-19`: the words the tokenizer makes of it, in order (a phrase).
            words = _WORD.findall(bare or "")
            star = bool(
                bare and bare.endswith("*") and len(words) == 1 and len(words[0]) >= MIN_PREFIX
            )
            term = '"' + " ".join(words) + '"' + ("*" if star else "") if words else ""
        if term:
            terms.append(f"{column} : {term}" if column else term)
        if len(terms) >= MAX_TERMS:
            break
    return " AND ".join(terms) if terms else None


def highlight(text: str) -> Markup:
    """Record text HTML-escaped, then our markers turned into <mark> elements."""
    escaped = str(escape(text))
    return Markup(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def plain(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


@dataclass
class Hit:
    iri: str
    href: str
    kind: str
    title: Markup
    abstract: Markup
    authors: Markup
    journal: Markup
    subjects: Markup
    plain_title: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.iri,
            "url": self.href,
            "type": self.kind,
            "title": self.plain_title,
            "highlight": {
                "title": str(self.title),
                "abstract": str(self.abstract),
                "authors": str(self.authors),
                "journal": str(self.journal),
                "subjects": str(self.subjects),
            },
        }


@dataclass
class Results:
    query: str
    page: int
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    error: str | None = None

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, (self.total + PAGE_SIZE - 1) // PAGE_SIZE)

    def as_json(self) -> dict[str, object]:
        return {
            "query": self.query,
            "page": self.page,
            "pageSize": PAGE_SIZE,
            "total": self.total,
            "results": [hit.as_json() for hit in self.hits],
            **({"error": self.error} if self.error else {}),
        }


def search(sidecar: Sidecar, text: str, page: int, base_uri: str) -> Results:
    results = Results(text, page)
    match = fts_query(text)
    if match is None:
        return results
    if page > MAX_PAGE:
        results.error = f"at most {MAX_PAGE} pages of results; refine the query"
        return results
    try:
        total, rows = sidecar.search(match, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    except SearchTooBroad:
        results.error = "this query matches too many records to rank in time: add words"
        return results
    results.total = total
    results.hits = [_hit(row, base_uri) for row in rows]
    return results


def _hit(row: SearchRow, base_uri: str) -> Hit:
    href = "/" + row.iri[len(base_uri) :] if row.iri.startswith(base_uri) else row.iri
    return Hit(
        iri=row.iri,
        href=href,
        kind=row.kind,
        title=highlight(row.title or row.iri),
        abstract=highlight(row.abstract),
        authors=highlight(row.authors),
        journal=highlight(row.journal),
        subjects=highlight(row.subjects),
        plain_title=plain(row.title),
    )
