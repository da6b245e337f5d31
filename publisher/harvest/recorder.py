"""Keeping the side database in step with the store: called by the pipeline after each
record is stored and after each write of the published view, by `publisher remove` after
each deletion, and once to build the side database of a store that was published before
it existed (`backfill`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pyoxigraph import Literal, NamedNode, QuerySolutions, QueryTriples, Triple

from publisher.harvest.sidecar import (
    Document,
    GraphChange,
    GraphFacts,
    Publication,
    Sidecar,
    now,
    sidecar_path,
)
from publisher.harvest.void import write_statistics
from publisher.mapping.consolidate import Consolidated
from publisher.mapping.identity import Identity
from publisher.mapping.vocab import (
    FOAF,
    PROV,
    PUB,
    RDF,
    RDF_TYPE,
    SCHEMA,
    SCHEMA_NAME,
    schema,
)
from publisher.store.base import Store, StoreUnavailable
from publisher.store.published import MODIFIED, PublishedView, ViewChanges, listing_entry

log = logging.getLogger(__name__)
SEPARATOR = "; "

# Every field search looks at, read from each of the resource's own source-record graphs
# (so a second source adds its subject headings to the same entry). Always inside one
# graph: a journal is stated again in every record of it, so the same patterns over the
# union would meet it once per article of the journal (and join those copies).
_DOCUMENT_QUERY = """
PREFIX schema: <https://schema.org/>
SELECT ?field ?value ?who WHERE {{ GRAPH {g} {{
  {{ {r} schema:name ?value BIND("title" AS ?field) }}
  UNION {{ {r} schema:alternateName ?value BIND("title" AS ?field) }}
  UNION {{ {r} schema:abstract|schema:description ?value BIND("abstract" AS ?field) }}
  UNION {{ {r} schema:author|schema:contributor|schema:sponsor|<{pub}collaborator> ?who .
          ?who schema:name ?value BIND("authors" AS ?field) }}
  UNION {{ {r} schema:isPartOf* ?journal . ?journal a schema:Periodical ; schema:name ?value
          BIND("journal" AS ?field) }}
  UNION {{ {r} schema:keywords ?value BIND("subjects" AS ?field) }}
  UNION {{ {r} schema:about|schema:healthCondition ?term . ?term schema:name ?value
          BIND("subjects" AS ?field) }}
}} }}"""
SEARCHABLE = {"article", "trial"}


class Recorder:
    """Writes the side database from what the pipeline stores; never fails a record."""

    def __init__(self, sidecar: Sidecar, store: Store, base_uri: str) -> None:
        self.sidecar = sidecar
        self.store = store
        self.base_uri = base_uri
        self.identity = Identity(base_uri)

    def stored(
        self, graph: str, main: str | None, triples: Sequence[Triple],
        facts: GraphFacts | None = None, document: Document | None = None,
    ) -> list[str]:  # fmt: skip
        """Log the change and reindex the record's main resource; warnings, if any.

        `facts` and `document` are what the side database keeps of the graph and the
        search entry it makes when the resource has no other source; ingest works them out
        in its worker processes (`facts_of`), otherwise they are worked out here."""
        if main is None:
            return []
        try:
            with self.sidecar.atomic():
                change = self.sidecar.graph_stored(graph, main, triples, self.base_uri, facts)
                if change is not None and change.kind in SEARCHABLE:
                    entry = self._document_after(graph, main, triples, document)
                    self.sidecar.set_document(main, entry)
            self.sidecar.maybe_commit()
        except StoreUnavailable:
            raise  # a full or read-only disk stops the command (see sidecar), no one record
        except Exception as error:  # the record is published: say so, do not reject it
            log.exception("side database not updated for %s", graph)
            return [f"published, but the change log and search index were not updated: {error}"]
        return []

    def published(self, changes: ViewChanges, view: PublishedView) -> None:
        """What the published view wrote anew or left out: the change feed, `lastmod`
        and the listing entries follow it. Of what it kept as it was, only what this
        database is behind on (after a killed run) is recorded."""
        times = {r.value: t for r, t in changes.times.items()}
        entries = [
            _publication(result, times.get(result.resource.value), changed=True)
            for result in changes.written
            if self._ours(result.resource.value)
        ]
        kept = {r.value: times.get(r.value) for r in changes.kept if self._ours(r.value)}
        for iri in self.sidecar.behind(kept) if kept else []:
            described = view.described(NamedNode(iri))
            if described.triples:
                entries.append(_publication(described, kept[iri], changed=False))
        gone = [(r.value, times.get(r.value) or now()) for r in changes.gone]
        gone += [
            (alias.value, times.get(canonical.value) or now())
            for alias, canonical in changes.aliases.items()
            if alias not in changes.gone
        ]
        view_only = {p.iri for p in entries if self.identity.names_alone(p.iri)}
        withdrawn = [(iri, t) for iri, t in gone if self._ours(iri)]
        self.sidecar.record_view(entries, withdrawn, view_only)
        self.sidecar.maybe_commit()

    def _ours(self, iri: str) -> bool:
        """A resource this publication mints (the sitemaps and the feed list those)."""
        return iri.startswith(self.base_uri) and not iri.startswith(f"{self.base_uri}graph/")

    def removed(self, graph: str) -> GraphChange | None:
        """A source record deleted from the store: its counts and search entries."""
        with self.sidecar.atomic():
            change = self.sidecar.graph_removed(graph)
            if change is not None and change.described and change.kind in SEARCHABLE:
                self.sidecar.set_document(change.main, self.document(change.main))
        self.sidecar.maybe_commit()
        return change

    def _document_after(
        self, graph: str, main: str, triples: Sequence[Triple], document: Document | None
    ) -> Document:
        """The search entry once `graph` is stored. When it is the resource's only source
        (the usual case), the entry comes from the triples in hand: the same fields as
        `document`, without asking the store for what was just written to it."""
        if self.sidecar.graphs_of(main) == [graph]:
            return document or document_from(triples, main)
        return self.document(main)

    def document(self, resource: str) -> Document:
        """What search sees of a resource: the union of its source records' statements
        (the graphs whose foaf:primaryTopic it is), each read on its own."""
        fields: dict[str, list[tuple[str, str]]] = {}
        for graph in self.sidecar.graphs_of(resource):
            query = _DOCUMENT_QUERY.format(g=NamedNode(graph), r=NamedNode(resource), pub=PUB)
            result = self.store.query(query)
            assert isinstance(result, QuerySolutions)
            for row in result:
                field, value, who = row["field"], row["value"], row["who"]
                if isinstance(field, Literal) and isinstance(value, Literal):
                    order = who.value if isinstance(who, NamedNode) else ""
                    fields.setdefault(field.value, []).append((order, value.value))
        # Authors in their order (person/.../2 before person/.../10), others as found.
        authors = sorted(fields.get("authors", []), key=lambda item: _natural(item[0]))
        return Document(
            title=_join(v for _, v in fields.get("title", [])),
            abstract=_join((v for _, v in fields.get("abstract", [])), "\n"),
            authors=_join(v for _, v in authors),
            journal=_join(v for _, v in fields.get("journal", [])),
            subjects=_join(sorted(v for _, v in fields.get("subjects", []))),
        )

    def backfill(self) -> int:
        """Record every source-record graph of the store (oldest first), as if each had
        just been ingested at its prov:generatedAtTime. Returns how many."""
        result = self.store.query(f"""
            SELECT ?g ?main ?t WHERE {{
              GRAPH ?g {{ ?g a <{PUB}SourceRecord> ; <{FOAF}primaryTopic> ?main ;
                             <{PROV}generatedAtTime> ?t }}
            }} ORDER BY ?t ?g""")
        assert isinstance(result, QuerySolutions)
        graphs = [
            (row["g"].value, row["main"].value)
            for row in result
            if isinstance(row["g"], NamedNode) and isinstance(row["main"], NamedNode)
        ]
        for graph, main in graphs:
            triples = self.store.query(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
            )
            assert isinstance(triples, QueryTriples)
            for warning in self.stored(graph, main, list(triples)):
                log.warning("%s: %s", graph, warning)
        self._backfill_view()
        self.sidecar.commit()
        return len(graphs)

    def _backfill_view(self) -> None:
        """Every resource of the published view, as created when its description last
        changed (a view that keeps no such times: when its newest source was read)."""
        view = PublishedView(self.store, self.base_uri)
        rows = self.store.query(f"""
            SELECT ?r (MAX(?m) AS ?modified) (MAX(?t) AS ?read) WHERE {{
              GRAPH {view.layout.provenance} {{
                ?r <{PROV}wasDerivedFrom> ?g
                FILTER NOT EXISTS {{ ?r <{RDF}subject> ?about }}
                OPTIONAL {{ ?r {MODIFIED} ?m }}
              }}
              OPTIONAL {{ GRAPH ?g {{ ?g <{PROV}generatedAtTime> ?t }} }}
            }} GROUP BY ?r""")
        assert isinstance(rows, QuerySolutions)
        found = []
        for row in rows:
            resource, when = row["r"], row["modified"] or row["read"]
            if isinstance(resource, NamedNode) and self._ours(resource.value):
                found.append((when.value if isinstance(when, Literal) else None, resource))
        found.sort(key=lambda item: (item[0] or "", item[1].value))
        for start in range(0, len(found), 10_000):
            entries = [
                _publication(view.described(resource), when, changed=False)
                for when, resource in found[start : start + 10_000]
            ]
            self.sidecar.record_view(entries, [])


_ALTERNATE = schema("alternateName")
_ABSTRACT = [schema("abstract"), schema("description")]
_AGENT_LINKS = [SCHEMA + p for p in ("author", "contributor", "sponsor")]
_IS_PART_OF, _KEYWORDS = schema("isPartOf"), schema("keywords")
_SUBJECT_LINKS = [schema("about"), schema("healthCondition")]
_PERIODICAL = schema("Periodical")


def document_from(triples: Iterable[Triple], resource: str) -> Document:
    """`_DOCUMENT_QUERY` evaluated over one graph's triples in Python: a record's search
    entry computed where its triples already are (tests hold the two to the same result)."""
    about: dict[object, dict[NamedNode, list[object]]] = {}
    for t in triples:
        about.setdefault(t.subject, {}).setdefault(t.predicate, []).append(t.object)
    node = NamedNode(resource)
    own = about.get(node, {})

    def texts(subject: object, *predicates: NamedNode) -> list[str]:
        found = about.get(subject, {})
        return [o.value for p in predicates for o in found.get(p, []) if isinstance(o, Literal)]

    agents = [NamedNode(p) for p in [*_AGENT_LINKS, f"{PUB}collaborator"]]
    authors = sorted(
        ((who.value if isinstance(who, NamedNode) else "", name)
         for p in agents for who in own.get(p, []) for name in texts(who, SCHEMA_NAME)),
        key=lambda item: _natural(item[0]),
    )  # fmt: skip
    journals = [
        name
        for part in _part_of_closure(node, about)
        if _PERIODICAL in about.get(part, {}).get(RDF_TYPE, [])
        for name in texts(part, SCHEMA_NAME)
    ]
    subjects = texts(node, _KEYWORDS) + [
        name for p in _SUBJECT_LINKS for term in own.get(p, []) for name in texts(term, SCHEMA_NAME)
    ]
    return Document(
        title=_join(texts(node, SCHEMA_NAME, _ALTERNATE)),
        abstract=_join(texts(node, *_ABSTRACT), "\n"),
        authors=_join(name for _, name in authors),
        journal=_join(journals),
        subjects=_join(sorted(subjects)),
    )


def _publication(result: Consolidated, time: str | None, *, changed: bool) -> Publication:
    iri, classes, label = listing_entry(result)
    return Publication(iri, classes, label, time, changed)


def facts_of(
    triples: Sequence[Triple], graph: str, main: str, base_uri: str
) -> tuple[GraphFacts, Document]:
    """Everything `Recorder.stored` works out from a graph's triples, for a worker process
    to do in parallel: the side database's facts, and the search entry of `main`."""
    facts = GraphFacts.of(triples, graph, base_uri)
    return facts, document_from(triples, main)


def _part_of_closure(start: NamedNode, about: dict[object, dict[NamedNode, list[object]]]
                     ) -> list[object]:  # fmt: skip
    """`start schema:isPartOf* ?x`: the node itself and everything it is part of."""
    seen: list[object] = [start]
    for node in seen:
        for whole in about.get(node, {}).get(_IS_PART_OF, []):
            if whole not in seen:
                seen.append(whole)
    return seen


def _join(values: Iterable[str], separator: str = SEPARATOR) -> str:
    seen: dict[str, None] = {}
    for value in values:
        if value.strip():
            seen.setdefault(value.strip(), None)
    return separator.join(seen)


def _natural(text: str) -> list[tuple[int, str]]:
    return [(int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", text)]


@contextmanager
def harvesting(
    store: Store, folder: Path, base_uri: str, index: Path | None = None
) -> Iterator[Recorder]:
    """The recorder for a writing command (ingest, remove, demo). A side database created
    now for a store that already holds records is first filled from the store; on the
    way out the dataset's VoID statistics are recomputed and stored (not after Ctrl-C:
    that reads the whole store, and the run that finishes the job does it)."""
    sidecar = Sidecar(sidecar_path(folder, index))
    recorder = Recorder(sidecar, store, base_uri)
    interrupted = False
    try:
        if sidecar.created and bool(store.query(
            f"ASK {{ GRAPH ?g {{ ?g a <{PUB}SourceRecord> }} }}"
        )):  # fmt: skip
            count = recorder.backfill()
            log.warning("side database %s built from %d stored records", sidecar.path, count)
        yield recorder
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        sidecar.commit()
        if not interrupted:
            write_statistics(store, base_uri, sidecar)
        sidecar.close()
