"""OpenRefine reconciliation service: the W3C Entity Reconciliation API 0.2, at /reconcile.

Librarians match a spreadsheet column (titles, names, DOIs, journal titles, trial
numbers) against the publication: OpenRefine fetches the manifest (`GET /reconcile`),
then posts batches of queries as the form field `queries`, shows the candidates with a
preview (`/reconcile/preview?id=`), and completes names, types and properties with the
suggest services (`/reconcile/suggest/{entity,type,property}?prefix=`). See
docs/reconciliation.md for how to use it and the scoring rule.

Candidates come from indexes only, never a scan of the store: identifiers through the
identifier resolution (`publisher.web.resolve`: minted IRIs, then the published
identifiers, all index lookups), names through the side database's full-text index (the
same one `/search` uses), with the store asked only about the candidates found (their
names, dates, authors and journals, by subject). Entity ids are IRIs relative to the
base (`article/doi/10.3389/fonc.2021.699946`), so the manifest's view template is
`{base}{{id}}`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import escape
from pyoxigraph import NamedNode, QuerySolutions
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from publisher.harvest.search import plain
from publisher.harvest.sidecar import SearchTooBroad, Sidecar
from publisher.mapping.iris import IriMinter
from publisher.mapping.vocab import SCHEMA
from publisher.store.base import Store
from publisher.web.errors import ClientError
from publisher.web.resolve import SCHEMES, resolve

PATH = "/reconcile"
MAX_QUERIES = 100  # one batch; OpenRefine sends 10 at a time
MAX_EXTEND = 500  # entity ids in one data extension request
MAX_TEXT = 1000  # characters of a query or value compared (difflib's cost is quadratic)
DEFAULT_LIMIT = 5
MAX_LIMIT = 50
FTS_ROWS = 20  # full-text matches looked at per query (articles, or the articles of people)
OR_WORDS = 4  # words of a query that no record has all of, tried one by one
NAME_WEIGHT = 2.0  # the name counts as much as two agreeing properties
MATCH_SCORE = 100.0
_WORD = re.compile(r"\w+", re.UNICODE)
_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_ORCID_IRI = "https://orcid.org/"
_FTS_NOISE = frozenset({"the", "and", "of", "in", "on", "for", "with", "a", "an", "to", "by"})
JSON_ANSWER: dict[str, Any] = {"content": {"application/json": {"schema": {"type": "object"}}}}
TEXT_ERROR: dict[str, Any] = {"content": {"text/plain": {"schema": {"type": "string"}}}}
Answers = dict[int | str, dict[str, Any]]  # documented answers, for the OpenAPI description


@dataclass(frozen=True)
class EntityType:
    id: str
    name: str
    cls: str  # the schema.org class
    kind: str  # the side database's kind of the resources (search rows)

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


TYPES = {
    t.id: t
    for t in (
        EntityType("article", "Article", SCHEMA + "ScholarlyArticle", "article"),
        EntityType("person", "Person", SCHEMA + "Person", "person"),
        EntityType("periodical", "Periodical (journal)", SCHEMA + "Periodical", "periodical"),
        EntityType("trial", "Clinical trial", SCHEMA + "MedicalTrial", "trial"),
    )
}
TYPE_BY_CLASS = {t.cls: t for t in TYPES.values()}


@dataclass(frozen=True)
class Property:
    id: str
    name: str
    description: str
    scheme: str | None = None  # the identifier scheme (publisher.web.resolve.SCHEMES)
    names: str | None = None  # the type an identifier names: a hit there is a match


PROPERTIES = {
    p.id: p
    for p in (
        Property("doi", "DOI", "The article's DOI", "doi", "article"),
        Property("pmid", "PMID", "The article's PubMed id", "pmid", "article"),
        Property(
            "issn",
            "ISSN",
            "The periodical's ISSN (for an article: its journal's)",
            "issn",
            "periodical",
        ),
        Property("nct", "NCT number", "ClinicalTrials.gov registration number", "nct", "trial"),
        Property("eudract", "EudraCT number", "EudraCT registration number", "eudract", "trial"),
        Property("drks", "DRKS number", "German Clinical Trials Register number", "drks", "trial"),
        Property("isrctn", "ISRCTN", "ISRCTN registration number", "isrctn", "trial"),
        Property(
            "orcid",
            "ORCID iD",
            "The person's ORCID iD (for an article: an author's)",
            "orcid",
            "person",
        ),
        Property("author", "Author", "An author's name (articles)"),
        Property("year", "Year", "Year published (articles) or started (trials)"),
        Property("journal", "Journal", "The article's journal (its title)"),
    )
}
# Properties compared with a candidate that the identifier does not name (per type).
AGREEMENT = {
    "article": ("author", "year", "journal", "issn", "orcid"),
    "trial": ("year",),
    "person": (),
    "periodical": (),
}
# Data extension (OpenRefine's "Add columns from reconciled values"): the properties
# each type has values of; the published identifiers' propertyIDs; entity-valued ones.
EXTENSIBLE = {
    "article": ("doi", "pmid", "year", "author", "journal", "issn"),
    "person": ("orcid",),
    "periodical": ("issn",),
    "trial": ("nct", "eudract", "drks", "isrctn", "year"),
}
IDENTIFIER_KINDS = {
    "doi": "DOI",
    "pmid": "PMID",
    "nct": "ClinicalTrials.gov",
    "eudract": "EudraCT",
    "drks": "DRKS",
    "isrctn": "ISRCTN",
    "orcid": "ORCID",
}
ENTITY_VALUED = {"author": "person", "journal": "periodical"}
# What the query text itself may be, per type: a column of DOIs reconciles by DOI.
TEXT_SCHEMES = {
    "article": ("doi", "pmid"),
    "person": ("orcid",),
    "periodical": ("issn",),
    "trial": ("nct", "eudract", "drks", "isrctn"),
}


@dataclass
class Query:
    text: str
    types: tuple[EntityType, ...]
    limit: int
    properties: list[tuple[Property, list[str]]]


@dataclass(frozen=True)
class Author:
    iri: str
    name: str
    orcid: str  # the iD, or ""


@dataclass
class Entity:
    """What scoring and the preview need to know of one candidate."""

    iri: str
    type: EntityType
    name: str = ""
    year: str = ""
    authors: list[Author] = field(default_factory=list)  # in author-list order
    journal: str = ""
    journal_iri: str = ""
    issns: list[str] = field(default_factory=list)  # its own, or its journal's
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (propertyID, value)
    works: tuple[str, int] = ("", 0)  # a person's: one article's title, how many in all


@dataclass
class Candidate:
    entity: Entity
    score: float
    match: bool


# --- the batch: parsing -----------------------------------------------------------------


def parse_batch(raw: str) -> dict[str, Query]:
    """The `queries` JSON (reconciliation-query-batch): key -> query. 400 for anything
    that is not one (a message saying which query and what is wrong)."""
    try:
        batch = json.loads(raw)
    except ValueError as error:
        raise ClientError(400, f"queries is not JSON: {error}") from error
    if not isinstance(batch, dict):
        raise ClientError(400, 'queries must be a JSON object: {"q0": {"query": ...}, ...}')
    if len(batch) > MAX_QUERIES:
        raise ClientError(400, f"at most {MAX_QUERIES} queries in one batch")
    return {str(key): _query(f"query {key}:", value) for key, value in batch.items()}


def _query(key: str, value: object) -> Query:
    if not isinstance(value, dict):
        raise ClientError(400, f"{key} must be an object")
    text = value.get("query", "")
    if not isinstance(text, str):
        raise ClientError(400, f"{key} query must be a string")
    properties = _properties(key, value.get("properties", []))
    if not text.strip() and not properties:
        raise ClientError(400, f"{key} needs a query string or properties")
    return Query(
        text.strip()[:MAX_TEXT], parse_types(key, value.get("type")), _limit(key, value), properties
    )


def parse_types(key: str, raw: object) -> tuple[EntityType, ...]:
    """The types asked for (all four when none): our ids or their schema.org classes."""
    if raw is None or raw == "" or raw == []:
        return tuple(TYPES.values())
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ClientError(400, f"{key} type must be a string or a list of strings")
    return tuple(dict.fromkeys(_type(key, name) for name in names))


def _type(key: str, name: str) -> EntityType:
    found = TYPES.get(name) or TYPE_BY_CLASS.get(name)
    if found is None and name.startswith("schema:"):
        found = TYPE_BY_CLASS.get(SCHEMA + name[len("schema:") :])
    if found is None:
        raise ClientError(400, f"{key} unknown type {name!r}; types: {', '.join(TYPES)}")
    return found


def _limit(key: str, value: dict[str, Any]) -> int:
    limit = value.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
        raise ClientError(400, f"{key} limit must be a number, 0 or more")
    return min(int(limit), MAX_LIMIT)


def _properties(key: str, raw: object) -> list[tuple[Property, list[str]]]:
    if not isinstance(raw, list):
        raise ClientError(400, f"{key} properties must be a list")
    out: list[tuple[Property, list[str]]] = []
    for item in raw:
        if not isinstance(item, dict) or "pid" not in item or "v" not in item:
            raise ClientError(400, f"{key} each property needs pid and v")
        pid = item["pid"]
        prop = PROPERTIES.get(pid.lower()) if isinstance(pid, str) else None
        if prop is None:
            known = ", ".join(PROPERTIES)
            raise ClientError(400, f"{key} unknown property {pid!r}; properties: {known}")
        values = [v for v in _values(key, item["v"]) if v.strip()]
        if values:
            out.append((prop, values))
    return out


def _values(key: str, raw: object) -> list[str]:
    """A property's values as text: strings, numbers, booleans, or an entity's name/id."""
    items = raw if isinstance(raw, list) else [raw]
    values: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name") or item.get("id")
        if isinstance(item, bool):
            item = "true" if item else "false"
        if not isinstance(item, str | int | float):
            raise ClientError(400, f"{key} a property value must be text or a number")
        text = str(int(item)) if isinstance(item, float) and item.is_integer() else str(item)
        values.append(text[:MAX_TEXT])
    return values


# --- comparing names -------------------------------------------------------------------


def normalise(text: str) -> str:
    """Case, diacritics and punctuation ignored: `Müller, J.-P.` -> `muller j p`."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(bare.casefold())).replace("_", " ")


def similarity(query: str, name: str) -> float:
    """0..1: difflib's ratio of the normalised texts, and of their words sorted (so that
    `Htun, Kyaw Thu` is `Kyaw Thu Htun`), whichever is higher."""
    a, b = normalise(query), normalise(name)
    if not a or not b:
        return 0.0
    direct = SequenceMatcher(None, a, b).ratio()
    tokens = SequenceMatcher(None, " ".join(sorted(a.split())), " ".join(sorted(b.split())))
    return max(direct, tokens.ratio())


def _year_of(text: str) -> str:
    found = _YEAR.search(text)
    return found.group(1) if found else ""


def agreement(prop: Property, values: list[str], entity: Entity) -> float:
    """0..1: how well the candidate agrees with the property's values (the best value)."""
    return max(_agree(prop, value, entity) for value in values)


def _agree(prop: Property, value: str, entity: Entity) -> float:
    if prop.id == "year":
        given, have = _year_of(value), entity.year
        if not given or not have:
            return 0.0
        gap = abs(int(given) - int(have))
        return 1.0 if gap == 0 else 0.5 if gap == 1 else 0.0
    if prop.id == "author":
        return max((author_agreement(value, a.name) for a in entity.authors), default=0.0)
    if prop.id == "journal":
        return similarity(value, entity.journal) if entity.journal else 0.0
    if prop.id == "issn":
        return 1.0 if _normal_issn(value) in {_normal_issn(i) for i in entity.issns} else 0.0
    if prop.id == "orcid":
        wanted = value.strip().rsplit("/", 1)[-1].upper()
        return 1.0 if wanted in {a.orcid.upper() for a in entity.authors if a.orcid} else 0.0
    return 0.0


def author_agreement(given: str, name: str) -> float:
    """1 when every word given is a word of the name or the initial of one (`O'Byrne`,
    `Byrne P`, `P M O'Byrne` are all Paul M O'Byrne); else the names' similarity."""
    words = normalise(name).split()
    wanted = normalise(given).split()
    if wanted and all(w in words or (len(w) == 1 and any(x[0] == w for x in words))
                      for w in wanted):  # fmt: skip
        return 1.0
    return similarity(given, name)


def _normal_issn(text: str) -> str:
    return text.replace("-", "").strip().upper()


def score(query: Query, entity: Entity) -> tuple[float, bool]:
    """The documented rule (docs/reconciliation.md): name similarity weighted 2, each
    applicable property's agreement 1, as a percentage; `match` when the normalised
    name is the query's, every applicable property agrees fully and no identifier of
    its type was given (it would have named it) (the caller then checks no other
    candidate is as good)."""
    applicable = [(p, v) for p, v in query.properties if p.id in AGREEMENT[entity.type.id]]
    agreements = [agreement(p, v, entity) for p, v in applicable]
    if query.text:
        name = similarity(query.text, entity.name)
        total = (NAME_WEIGHT * name + sum(agreements)) / (NAME_WEIGHT + len(agreements))
        # An identifier of its type was given and names something else (or nothing).
        doubted = any(p.names == entity.type.id for p, _ in query.properties)
        same = normalise(query.text) == normalise(entity.name)
        exact = same and all(a == 1 for a in agreements) and not doubted
    else:
        total = sum(agreements) / len(agreements) if agreements else 0.0
        exact = False
    return round(100 * total, 2), exact


# --- finding candidates ------------------------------------------------------------------


class Reconciler:
    """Answers queries from the store (by identifier and by subject) and the side
    database's full-text index."""

    def __init__(self, base: str, store: Store, sidecar: Sidecar) -> None:
        self.base = base
        self.store = store
        self.sidecar = sidecar
        self.minter = IriMinter(base)

    def reconcile(self, query: Query) -> list[Candidate]:
        """Identifier hits first (score 100, match), then name matches by score."""
        wanted = {t.id for t in query.types}
        hits = [iri for iri in self.identifier_hits(query) if iri]
        entities = self.entities([*hits, *self.name_candidates(query)])
        found = {iri: e for iri, e in entities.items() if e.type.id in wanted}
        candidates = [Candidate(found[iri], MATCH_SCORE, True) for iri in hits if iri in found]
        seen = {c.entity.iri for c in candidates}
        scored = [Candidate(e, *score(query, e)) for iri, e in found.items() if iri not in seen]
        scored.sort(key=lambda c: (-c.score, c.entity.name, c.entity.iri))
        exact = [c for c in scored if c.match]
        for candidate in scored:  # a name that several candidates share is no match
            candidate.match = candidate.match and len(exact) == 1 and not candidates
        return (candidates + scored)[: query.limit]

    def identifier_hits(self, query: Query) -> list[str]:
        """Resources the query's identifiers name: identifier properties, and the query
        text when it is an identifier of a scheme for one of the types asked for."""
        wanted = {t.id for t in query.types}
        asked = [
            (prop.scheme, value)
            for prop, values in query.properties
            if prop.scheme and prop.names in wanted
            for value in values
        ]
        if query.text:
            asked += [(s, query.text) for t in query.types for s in TEXT_SCHEMES[t.id]]
        hits: list[str] = []
        for scheme, value in asked:
            hits += self.resolve(scheme, value)
        return list(dict.fromkeys(hits))

    def resolve(self, scheme: str, value: str) -> list[str]:
        try:
            lookup = SCHEMES[scheme](value, self.minter)
        except ClientError:  # not such an identifier: no hit (the rest of the batch goes on)
            return []
        return resolve(self.store, lookup)

    def name_candidates(self, query: Query) -> list[str]:
        """IRIs whose names may be the query text, from the full-text index."""
        if not query.text:
            return []
        words = [w for w in _WORD.findall(query.text) if w.casefold() not in _FTS_NOISE]
        words = (words or _WORD.findall(query.text))[:12]
        if not words:
            return []
        kinds = {t.id for t in query.types}
        iris: list[str] = []
        if kinds & {"article", "trial"}:
            rows = self.fts("title", words)
            iris += [iri for iri, kind in rows if kind in kinds]
        if "person" in kinds:
            iris += self.people(query.text, [iri for iri, _ in self.fts("authors", words)])
        if "periodical" in kinds:
            iris += self.journals([iri for iri, _ in self.fts("journal", words)])
        return list(dict.fromkeys(iris))

    def fts(self, column: str, words: list[str]) -> list[tuple[str, str]]:
        """(IRI, kind) of the best full-text matches of all the words in the column, or
        (when none has all of them: a typo, a word the record lacks) of any of its
        OR_WORDS longest words: longer words are rarer, and an OR of common words would
        rank half the index (the side database stops a search at three seconds)."""
        longest = sorted(words, key=len, reverse=True)[:OR_WORDS]
        for joiner, chosen in ((" AND ", words), (" OR ", longest)):
            match = joiner.join(f'{column} : "{word}"' for word in chosen)
            try:
                _, rows = self.sidecar.search(match, FTS_ROWS, 0)
            except SearchTooBroad:
                continue
            if rows:
                return [(row.iri, row.kind) for row in rows]
        return []

    def people(self, text: str, articles: list[str]) -> list[str]:
        """The authors of the articles, best name first (a long author list is cut)."""
        rows = self._select(
            "SELECT DISTINCT ?p ?n WHERE { VALUES ?a { %s } ?a schema:author ?p ."
            " ?p a schema:Person ; schema:name ?n }",
            articles,
        )
        named = [(row["p"].value, row["n"].value) for row in rows]
        named.sort(key=lambda pair: -similarity(text, pair[1]))
        return [iri for iri, _ in named[:FTS_ROWS]]

    def journals(self, articles: list[str]) -> list[str]:
        rows = self._select(
            "SELECT DISTINCT ?j WHERE { VALUES ?a { %s } ?a schema:isPartOf+ ?j ."
            " ?j a schema:Periodical }",
            articles,
        )
        return [row["j"].value for row in rows]

    # --- what is known of candidates -------------------------------------------------

    def entities(self, iris: Sequence[str]) -> dict[str, Entity]:
        """The candidates of our types, with their names, years, authors and journals
        (a few queries, each bound to the candidates' IRIs)."""
        found: dict[str, Entity] = {}
        basics = self._select(
            "SELECT ?i ?t ?n ?d WHERE { VALUES ?i { %s } ?i a ?t ."
            " OPTIONAL { ?i schema:name ?n }"
            " OPTIONAL { ?i schema:datePublished|schema:startDate ?d } }",
            iris,
        )
        for row in basics:
            kind = TYPE_BY_CLASS.get(row["t"].value)
            iri = row["i"].value
            if kind is None or (iri in found and found[iri].name):
                continue
            name = row["n"].value if row["n"] is not None else ""
            date = row["d"].value if row["d"] is not None else ""
            found[iri] = Entity(iri, kind, name, _year_of(date))
        self._identifiers(found)
        self._authors([e for e in found.values() if e.type.id == "article"])
        self._journals([e for e in found.values() if e.type.id == "article"])
        self._works([e for e in found.values() if e.type.id == "person"])
        for entity in found.values():
            entity.name = entity.name or _fallback_name(entity)
        return {iri: found[iri] for iri in iris if iri in found}

    def _identifiers(self, entities: dict[str, Entity]) -> None:
        rows = self._select(
            "SELECT ?i ?k ?v WHERE { VALUES ?i { %s } { ?i schema:identifier ?x ."
            " ?x schema:propertyID ?k ; schema:value ?v }"
            ' UNION { ?i schema:issn ?v BIND("ISSN" AS ?k) }'
            ' UNION { ?i schema:sameAs ?v BIND("sameAs" AS ?k) } }',
            list(entities),
        )
        for row in rows:
            entity, kind, value = entities[row["i"].value], row["k"].value, row["v"].value
            if kind == "ISSN":
                entity.issns.append(value)
            if kind == "sameAs" and value.startswith(_ORCID_IRI):
                kind, value = "ORCID", value[len(_ORCID_IRI) :]
            if kind != "sameAs":
                entity.identifiers.append((kind, value))
        for entity in entities.values():
            entity.identifiers.sort()

    def _authors(self, articles: list[Entity]) -> None:
        rows = self._select(
            "SELECT ?i ?p ?n (SAMPLE(?o) AS ?orcid) WHERE { VALUES ?i { %s } ?i schema:author ?p ."
            " ?p schema:name ?n OPTIONAL { ?p schema:sameAs ?o FILTER(STRSTARTS(STR(?o),"
            f' "{_ORCID_IRI}")) }} }} GROUP BY ?i ?p ?n ORDER BY ?i ?p',
            [e.iri for e in articles],
        )
        by_iri = {e.iri: e for e in articles}
        for row in rows:
            orcid = row["orcid"].value[len(_ORCID_IRI) :] if row["orcid"] is not None else ""
            by_iri[row["i"].value].authors.append(Author(row["p"].value, row["n"].value, orcid))
        for entity in articles:
            entity.authors.sort(key=lambda a: _natural(a.iri))

    def _journals(self, articles: list[Entity]) -> None:
        rows = self._select(
            "SELECT ?i ?j ?n ?s WHERE { VALUES ?i { %s } ?i schema:isPartOf+ ?j ."
            " ?j a schema:Periodical OPTIONAL { ?j schema:name ?n }"
            " OPTIONAL { ?j schema:issn ?s } }",
            [e.iri for e in articles],
        )
        by_iri = {e.iri: e for e in articles}
        for row in rows:
            entity = by_iri[row["i"].value]
            entity.journal_iri = row["j"].value
            if row["n"] is not None:
                entity.journal = row["n"].value
            if row["s"] is not None and row["s"].value not in entity.issns:
                entity.issns.append(row["s"].value)

    def _works(self, people: list[Entity]) -> None:
        """What tells namesakes apart: an article each wrote (the first by title), and
        how many (an index lookup by object)."""
        rows = self._select(
            "SELECT ?i (MIN(?t) AS ?title) (COUNT(DISTINCT ?a) AS ?n) WHERE { VALUES ?i { %s }"
            " ?a schema:author ?i ; schema:name ?t } GROUP BY ?i",
            [e.iri for e in people],
        )
        by_iri = {e.iri: e for e in people}
        for row in rows:
            by_iri[row["i"].value].works = (row["title"].value, int(row["n"].value))

    def _select(self, template: str, iris: Iterable[str]) -> list[Any]:
        """Rows of a SELECT whose `%s` is a VALUES list of the IRIs (none: no rows)."""
        nodes: list[str] = []
        for iri in dict.fromkeys(iris):
            try:
                nodes.append(str(NamedNode(iri)))
            except ValueError:
                continue
        if not nodes:
            return []
        result = self.store.query(f"PREFIX schema: <{SCHEMA}>\n" + template % " ".join(nodes))
        assert isinstance(result, QuerySolutions)
        return list(result)

    # --- ids ---------------------------------------------------------------------------

    def entity_id(self, iri: str) -> str:
        return iri[len(self.base) :] if iri.startswith(self.base) else iri

    def iri_of(self, entity_id: str) -> str:
        return entity_id if "://" in entity_id else self.base + entity_id.lstrip("/")


def _natural(iri: str) -> tuple[object, ...]:
    """Sort key: numbers compared as numbers, so that the authors minted from positions
    in the author list (`…/2`, `…/10`) keep its order."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", iri))


def _fallback_name(entity: Entity) -> str:
    """A trial known only by its number (mentioned by an article) is named by it."""
    if entity.identifiers:
        return entity.identifiers[0][1]
    return entity.iri.rstrip("/").rsplit("/", 1)[-1]


def describe(entity: Entity) -> str:
    """A one-line description: year and journal of an article, year of a trial, what a
    person wrote (namesakes are told apart by it), a periodical's ISSNs."""
    title, count = entity.works
    if title:
        more = f" (and {count - 1} more)" if count > 1 else ""
        return f"author of: {title}{more}"
    if entity.type.id == "periodical":
        return " · ".join(f"ISSN {issn}" for issn in entity.issns)
    return " · ".join(p for p in (entity.year, entity.journal) if p)


def candidate_json(reconciler: Reconciler, candidate: Candidate) -> dict[str, object]:
    entity = candidate.entity
    out: dict[str, object] = {
        "id": reconciler.entity_id(entity.iri),
        "name": entity.name,
        "type": [entity.type.as_json()],
        "score": candidate.score,
        "match": candidate.match,
    }
    if description := describe(entity):
        out["description"] = description
    return out


# --- the manifest, the preview and suggest ----------------------------------------------


def manifest(base: str, title: str) -> dict[str, object]:
    service = base + "reconcile"
    return {
        "versions": ["0.1", "0.2"],
        "name": f"{title}: articles, people, journals and trials",
        "identifierSpace": base,
        "schemaSpace": "https://schema.org/",
        "view": {"url": base + "{{id}}"},
        "preview": {"url": service + "/preview?id={{id}}", "width": 430, "height": 180},
        "defaultTypes": [t.as_json() for t in TYPES.values()],
        "extend": {
            "propose_properties": {"service_url": service, "service_path": "/extend/propose"},
            "property_settings": [],
        },
        "suggest": {
            kind: {"service_url": service, "service_path": f"/suggest/{kind}"}
            for kind in ("entity", "type", "property")
        },
    }


PREVIEW_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors *",  # OpenRefine shows the preview in an iframe of its own page
    ]
)


def preview_html(entity: Entity) -> str:
    """A small page about the entity, every piece of record text escaped."""
    rows = [("Type", entity.type.name), ("Year", entity.year), ("Journal", entity.journal)]
    authors = [a.name for a in entity.authors]
    if authors:
        shown = "; ".join(authors[:6]) + (
            f"; … ({len(authors)} in all)" if len(authors) > 6 else ""
        )
        rows.append(("Authors", shown))
    if entity.works[0]:
        rows.append(("Author of", describe(entity).removeprefix("author of: ")))
    rows += [(kind, value) for kind, value in entity.identifiers]
    cells = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>"
        for label, value in rows
        if value
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(entity.name)}</title><style>"
        "body{font:13px/1.4 sans-serif;margin:6px}h1{font-size:15px;margin:0 0 6px}"
        "th{text-align:left;vertical-align:top;padding-right:8px;color:#555}</style></head>"
        f'<body><h1><a href="{escape(entity.iri)}" target="_blank" rel="noopener">'
        f"{escape(entity.name)}</a></h1><table>{cells}</table></body></html>"
    )


def suggest_entities(
    reconciler: Reconciler, prefix: str, types: tuple[EntityType, ...], limit: int
) -> list[dict[str, object]]:
    """Names starting with the prefix (the listing index), then titles holding its words
    with the last one as a prefix (the full-text index)."""
    found: list[tuple[str, str, EntityType]] = []
    for kind in types:
        rows = reconciler.sidecar.listed_by_prefix(kind.cls, prefix.strip(), limit)
        found += [(iri, label, kind) for iri, label in rows]
    found += _titles_by_prefix(reconciler.sidecar, prefix, types, limit)
    unique = {iri: (label, kind) for iri, label, kind in reversed(found)}
    ordered = [iri for iri in dict.fromkeys(iri for iri, _, _ in found)][:limit]
    return [
        {
            "id": reconciler.entity_id(iri),
            "name": unique[iri][0],
            "notable": [unique[iri][1].as_json()],
        }
        for iri in ordered
    ]


def _titles_by_prefix(
    sidecar: Sidecar, prefix: str, types: tuple[EntityType, ...], limit: int
) -> list[tuple[str, str, EntityType]]:
    """Articles and trials whose titles hold the prefix's words, the last as a prefix
    of a word (of three letters or more: shorter ones merge too many words)."""
    words = _WORD.findall(prefix)[:12]
    kinds = {t.id: t for t in types if t.id in ("article", "trial")}
    if not words or not kinds:
        return []
    terms = [f'title : "{w}"' for w in words[:-1]]
    terms.append(f'title : "{words[-1]}"' + ("*" if len(words[-1]) >= 3 else ""))
    try:
        _, rows = sidecar.search(" AND ".join(terms), limit, 0)
    except SearchTooBroad:
        return []
    return [(r.iri, plain(r.title), kinds[r.kind]) for r in rows if r.kind in kinds]


def by_prefix(items: Iterable[tuple[str, str, str]], prefix: str) -> list[dict[str, str]]:
    """(id, name, description) whose id or name starts with the prefix (any when empty),
    or whose name has a word that does."""
    wanted = normalise(prefix)
    chosen = []
    for ident, name, description in items:
        words = normalise(name).split()
        if not wanted or ident.startswith(wanted) or any(w.startswith(wanted) for w in words):
            chosen.append({"id": ident, "name": name, "description": description})
    return chosen


# --- the routes ---------------------------------------------------------------------------


def add_routes(app: FastAPI, base: str, title: str, store: Store, sidecar: Sidecar) -> None:
    """Register /reconcile and its preview and suggest routes (before the catch-all route;
    on the application itself, as the other route modules do, so that every route is
    listed in `app.routes`)."""
    reconciler = Reconciler(base, store, sidecar)

    errors: Answers = {
        400: {"description": "Bad request: the message says what is wrong", **TEXT_ERROR}
    }
    form_body = {
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"queries": {"type": "string"}, "extend": {"type": "string"}},
                    }
                }
            }
        }
    }

    async def service(
        request: Request, queries: str | None = None, extend: str | None = None
    ) -> Response:
        if queries is None and extend is None and request.method == "POST":
            form = await _form(request)
            queries, extend = _form_field(form, "queries"), _form_field(form, "extend")
        if queries is not None and extend is not None:
            raise ClientError(400, "send queries or extend, not both")
        if extend is not None:
            ids, wanted = parse_extension(extend)
            return JSONResponse(await run_in_threadpool(extension, reconciler, ids, wanted))
        if queries is None:
            return JSONResponse(manifest(base, title))
        batch = parse_batch(queries)
        answer = await run_in_threadpool(_answer_batch, reconciler, batch)
        return JSONResponse(answer)

    app.add_api_route(
        PATH,
        service,
        methods=["GET", "POST"],
        summary="Reconciliation service (W3C Entity Reconciliation API 0.2, as OpenRefine "
        "speaks it): the manifest, the candidates for a batch of queries, or property "
        "values of entities (data extension)",
        responses={200: {"description": "The manifest or the results", **JSON_ANSWER}, **errors},
        openapi_extra=form_body,
    )

    @app.get(
        PATH + "/preview",
        summary="Reconciliation preview: a small HTML page about one entity",
        responses={
            200: {
                "description": "The preview",
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
            404: {"description": "Nothing of ours has that id", **TEXT_ERROR},
            **errors,
        },
    )
    async def preview(id: str = "") -> Response:
        if not id.strip():
            raise ClientError(400, "missing the id parameter")
        iri = reconciler.iri_of(id.strip())
        found = await run_in_threadpool(reconciler.entities, [iri])
        if iri not in found:
            raise ClientError(404, f"no article, person, periodical or trial has the id {id!r}")
        html = preview_html(found[iri])
        return HTMLResponse(html, headers={"Content-Security-Policy": PREVIEW_POLICY})

    suggest_answers: Answers = {200: {"description": "Suggestions", **JSON_ANSWER}, **errors}

    @app.get(PATH + "/extend/propose", summary="Properties the data extension offers for a type",
             responses=suggest_answers)  # fmt: skip
    async def propose(type: str = "", limit: int = 0) -> Response:
        types = parse_types("propose:", type or None)
        proposed = [
            {"id": p.id, "name": p.name, "description": p.description}
            for p in PROPERTIES.values()
            if any(p.id in EXTENSIBLE[t.id] for t in types)
        ]
        answer: dict[str, object] = {"properties": proposed[:limit] if limit > 0 else proposed}
        if len(types) == 1:
            answer["type"] = types[0].id
        return JSONResponse(answer)

    @app.get(PATH + "/suggest/entity", summary="Suggest entities by name prefix",
                responses=suggest_answers)  # fmt: skip
    async def suggest_entity(prefix: str = "", type: str = "", limit: int = 10) -> Response:
        types = parse_types("suggest:", type or None)
        count = max(1, min(limit, MAX_LIMIT))
        found = await run_in_threadpool(suggest_entities, reconciler, prefix, types, count)
        return JSONResponse({"result": found})

    @app.get(PATH + "/suggest/type", summary="Suggest types", responses=suggest_answers)
    async def suggest_type(prefix: str = "") -> Response:
        items = [(t.id, t.name, f"schema:{t.cls[len(SCHEMA) :]}") for t in TYPES.values()]
        return JSONResponse({"result": by_prefix(items, prefix)})

    @app.get(PATH + "/suggest/property", summary="Suggest properties", responses=suggest_answers)
    async def suggest_property(prefix: str = "") -> Response:
        items = [(p.id, p.name, p.description) for p in PROPERTIES.values()]
        return JSONResponse({"result": by_prefix(items, prefix)})


async def _form(request: Request) -> FormData:
    try:
        return await request.form()
    except Exception as error:  # python-multipart's errors: a body that is no form
        raise ClientError(400, f"the request body is not a form: {error}") from error


def _form_field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ClientError(400, f"{name} must be a form field, not a file")


def parse_extension(raw: str) -> tuple[list[str], list[Property]]:
    """The `extend` JSON (data-extension-query): entity ids and the properties wanted."""
    try:
        query = json.loads(raw)
    except ValueError as error:
        raise ClientError(400, f"extend is not JSON: {error}") from error
    if not isinstance(query, dict):
        raise ClientError(400, 'extend must be a JSON object: {"ids": [...], "properties": [...]}')
    ids, wanted = query.get("ids"), query.get("properties")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ClientError(400, "extend: ids must be a list of entity ids")
    if len(ids) > MAX_EXTEND:
        raise ClientError(400, f"extend: at most {MAX_EXTEND} ids at once")
    if not isinstance(wanted, list) or not all(isinstance(p, dict) for p in wanted):
        raise ClientError(400, 'extend: properties must be a list of {"id": ...}')
    props = [PROPERTIES.get(str(p.get("id"))) for p in wanted]
    unknown = [str(p.get("id")) for p, found in zip(wanted, props, strict=True) if found is None]
    if unknown:
        raise ClientError(
            400, f"extend: unknown properties {unknown}; properties: {', '.join(PROPERTIES)}"
        )
    return ids, [p for p in props if p is not None]


def extension(reconciler: Reconciler, ids: list[str], wanted: list[Property]) -> dict[str, object]:
    """The data-extension-response: per id, each property's values (none for an id we
    do not publish, or a property its type does not have)."""
    entities = reconciler.entities([reconciler.iri_of(i) for i in ids])
    rows: dict[str, dict[str, list[dict[str, object]]]] = {}
    for entity_id in ids:
        entity = entities.get(reconciler.iri_of(entity_id))
        rows[entity_id] = {p.id: cells(reconciler, p.id, entity) if entity else [] for p in wanted}
    meta: list[dict[str, object]] = []
    for prop in wanted:
        column: dict[str, object] = {"id": prop.id, "name": prop.name}
        if prop.id in ENTITY_VALUED:
            column["type"] = TYPES[ENTITY_VALUED[prop.id]].as_json()
        meta.append(column)
    return {"meta": meta, "rows": rows}


def cells(reconciler: Reconciler, prop_id: str, entity: Entity) -> list[dict[str, object]]:
    """One property's values of an entity, as data extension cells."""
    if prop_id not in EXTENSIBLE[entity.type.id]:
        return []
    if prop_id in IDENTIFIER_KINDS:
        kind = IDENTIFIER_KINDS[prop_id]
        return [{"str": value} for k, value in entity.identifiers if k == kind]
    if prop_id == "issn":
        return [{"str": issn} for issn in entity.issns]
    if prop_id == "year":
        return [{"int": int(entity.year)}] if entity.year else []
    if prop_id == "author":
        return [{"id": reconciler.entity_id(a.iri), "name": a.name} for a in entity.authors]
    if prop_id == "journal" and entity.journal_iri:
        return [{"id": reconciler.entity_id(entity.journal_iri), "name": entity.journal}]
    return []


def _answer_batch(reconciler: Reconciler, batch: dict[str, Query]) -> dict[str, object]:
    return {
        key: {"result": [candidate_json(reconciler, c) for c in reconciler.reconcile(query)]}
        for key, query in batch.items()
    }
