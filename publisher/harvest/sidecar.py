"""The side database: published resources, the change log, statistics and the full-text
index, in one SQLite file next to the store (`{store}.index.sqlite`, or PUBLISHER_INDEX).

Why SQLite beside the store rather than a graph inside it:

* `serve` opens the store read-only; the server never writes either database, but it
  must answer "what changed since event 41 250?", "which 50 000 resources are in
  sitemap 7, and since when?" and "which articles match `car-t leukemia`?" in
  milliseconds on a million records. SQLite answers each from a B-tree range (change
  sequence numbers, resource ids) or the FTS5 inverted index; the same questions in
  SPARQL would sort or scan the whole store per request, and Oxigraph has no full-text
  index (a `regex` FILTER reads every literal).
* The change log needs a gap-free, monotonic sequence number (stable feed pages):
  `INTEGER PRIMARY KEY AUTOINCREMENT` is exactly that.
* SQLite and FTS5 ship with Python: nothing to install or run, one file to back up.

The store stays the truth: everything here can be rebuilt from the source-record graphs
and the published view (`Recorder.backfill`), except the history of changes (the
tombstones among them), which only this log remembers. What is live, its `lastmod` and
the change log follow the published view (`record_view`), whose times the store keeps.

Writes come from one process at a time (ingest or remove hold RocksDB's lock anyway);
readers open the file read-only (`mode=ro`), so the server needs no write access.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.mapping.vocab import PROV, RDF_TYPE, SCHEMA, schema
from publisher.store.disk import refused_write

log = logging.getLogger(__name__)
SUFFIX = ".index.sqlite"
SCHEMA_VERSION = "1"
COMMIT_EVERY = 500  # records per transaction during ingest (and at least every 2 s)
COMMIT_SECONDS = 2.0
# Private-use control characters around highlighted terms: record text never keeps them
# (they are stripped before indexing), so after HTML-escaping they can only be ours.
MARK_START, MARK_END = "\x02", "\x03"

# schema.org classes -> the kind of resource; the first kind found wins (an article that
# is also a MedicalScholarlyArticle is an article; a trial's cited article stub is a work).
KINDS = [
    ("ScholarlyArticle", "article"),
    ("MedicalScholarlyArticle", "article"),
    ("MedicalTrial", "trial"),
    ("Periodical", "journal"),
    ("PublicationVolume", "volume"),
    ("PublicationIssue", "issue"),
    ("Person", "person"),
    ("Organization", "organization"),
    ("CreativeWork", "work"),
]
KIND_RANK = {kind: rank for rank, (_, kind) in enumerate(KINDS)}
KIND_BY_CLASS = {SCHEMA + name: kind for name, kind in KINDS}
OTHER = "other"
# Provenance timestamps change on every ingest; they are not a change of the data.
_STAMPS = {NamedNode(PROV + "generatedAtTime"), NamedNode(PROV + "endedAtTime")}
_GENERATED = NamedNode(PROV + "generatedAtTime")
_IDENTIFIER, _IDENTIFIER_VALUE = schema("identifier"), schema("value")
# The classes with a listing page (publisher.web.listings), kept in `listed`.
LISTED_CLASSES = tuple(
    SCHEMA + name for name in ("ScholarlyArticle", "Periodical", "Person", "MedicalTrial")
)
_LISTED_MARKS = ", ".join("?" for _ in LISTED_CLASSES)
_LISTED = frozenset(LISTED_CLASSES)

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    lastmod TEXT NOT NULL,  -- when its published description last changed ('' never published)
    live INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS graphs (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    main INTEGER NOT NULL,
    modified TEXT NOT NULL,
    digest TEXT NOT NULL,
    stats TEXT NOT NULL,
    live INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS graphs_main ON graphs (main, live);
CREATE TABLE IF NOT EXISTS graph_resources (
    graph INTEGER NOT NULL,
    resource INTEGER NOT NULL,
    PRIMARY KEY (graph, resource)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS graph_resources_resource ON graph_resources (resource, graph);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    type TEXT NOT NULL,
    resource INTEGER NOT NULL,
    graph INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS statistics (
    kind TEXT NOT NULL,
    term TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (kind, term)
) WITHOUT ROWID;
DROP TABLE IF EXISTS graph_labels;
CREATE TABLE IF NOT EXISTS listed (
    class TEXT NOT NULL,
    resource INTEGER NOT NULL,
    sort_key TEXT NOT NULL,
    iri TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (class, resource)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS listed_order ON listed (class, sort_key, iri);
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(
    title, abstract, authors, journal, subjects,
    tokenize = 'unicode61 remove_diacritics 2'
);
"""
# bm25 weights per column: a match in the title counts most, then subjects and authors.
RANK = "bm25(10.0, 2.0, 4.0, 3.0, 5.0)"
SEARCH_SECONDS = 3.0  # a query matching most of a million records is stopped, not ranked
SEARCH_COLUMNS = ("title", "abstract", "authors", "journal", "subjects")


def sidecar_path(store: Path, configured: Path | None = None) -> Path:
    """The configured path, else `{store folder}.index.sqlite` beside the store folder
    (the store folder itself is RocksDB's)."""
    if configured is not None:
        return configured
    store = Path(store)
    return store.with_name(store.name + SUFFIX)


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def canonical_time(text: str) -> str:
    """A time as this database writes it (`2024-05-01T10:00:00+00:00`), whichever form it
    came in (a store gives `...Z` back); text that is not a time, as it is."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


class SearchTooBroad(Exception):
    """A search ran past SEARCH_SECONDS (it matches too much to rank)."""


@dataclass(frozen=True)
class Change:
    """One activity of the change feed: a resource's published description created,
    changed or withdrawn."""

    seq: int
    time: str
    type: str  # Create, Update, Delete
    resource: str
    kind: str
    graph: str | None = None  # the source record, in activities logged before the view


@dataclass(frozen=True)
class GraphChange:
    """A source record's graph stored (changed) or removed: its main resource, that
    resource's kind, and whether some stored record still describes it."""

    main: str
    kind: str
    described: bool


@dataclass(frozen=True)
class Publication:
    """A resource's published description as this database keeps it (its listing entry
    and the time it last changed), from the store's published view. `changed`: the view
    just wrote it anew (an activity is logged whatever this database holds); otherwise
    it is one the view kept, recorded here only if this database is behind it (a run
    killed between the store's write and this database's), `time` None when the store
    holds no time for it (a view written before it kept them)."""

    iri: str
    classes: tuple[str, ...]
    label: str
    time: str | None
    changed: bool = True


@dataclass(frozen=True)
class SitemapChunk:
    number: int  # 1-based
    lastmod: str
    count: int


@dataclass(frozen=True)
class SearchRow:
    iri: str
    kind: str
    title: str  # highlighted with MARK_START / MARK_END, not yet escaped
    abstract: str
    authors: str
    journal: str
    subjects: str


@dataclass(frozen=True)
class Document:
    """What search sees of a resource (an article or a trial)."""

    title: str = ""
    abstract: str = ""
    authors: str = ""
    journal: str = ""
    subjects: str = ""

    def columns(self) -> tuple[str, ...]:
        return tuple(_clean(v) for v in (
            self.title, self.abstract, self.authors, self.journal, self.subjects
        ))  # fmt: skip


def _clean(text: str) -> str:
    return text.replace(MARK_START, " ").replace(MARK_END, " ")


class Sidecar:
    """Writer (ingest, remove) or reader (serve, export) of the side database.

    A reader opened on a missing file (or on no path: an in-memory store) answers as an
    empty database: a store published before the side database existed still serves,
    with empty feeds until its next ingest.
    """

    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self.created = False
        self._pending = 0
        self._last_commit = time.monotonic()
        if read_only:
            return
        if self.path is None:
            raise ValueError("a side database to write needs a path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.created = not self.path.exists()
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(_DDL)
        if self.created:
            self._db.execute("INSERT INTO search (search, rank) VALUES ('rank', ?)", (RANK,))
            # Listing pages are read from here only if it was kept from the start.
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('listings', '1')")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        self._db.commit()

    # --- connections -------------------------------------------------------------------

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection | None]:
        """A connection for one read (any thread); None when there is no database yet."""
        if not self.read_only:
            yield self._db
            return
        if self.path is None or not self.path.is_file():
            yield None
            return
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, check_same_thread=False)) as db:
            try:
                db.execute("PRAGMA schema_version").fetchone()
            except sqlite3.OperationalError:
                # A writer killed mid-transaction left a hot journal, which a read-only
                # connection cannot roll back: roll it back (as the next writer would).
                _roll_back_hot_journal(self.path)
            yield db

    def close(self) -> None:
        if not self.read_only:
            self._db.commit()
            self._db.close()

    def commit(self) -> None:
        if not self.read_only:
            with _disk_refusals(self.path):
                self._db.commit()
            self._pending = 0
            self._last_commit = time.monotonic()

    def maybe_commit(self) -> None:
        self._pending += 1
        if self._pending >= COMMIT_EVERY or time.monotonic() - self._last_commit >= COMMIT_SECONDS:
            self.commit()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One record's writes, all or none (Ctrl-C in the middle undoes the record's part);
        committed in batches by `maybe_commit`, so a commit only ever holds whole records."""
        db = self._db
        with _disk_refusals(self.path):  # BEGIN and RELEASE can meet a full disk too
            if not db.in_transaction:
                db.execute("BEGIN")
            db.execute("SAVEPOINT record")
            try:
                yield
            except BaseException:
                _undo_record(db)
                raise
            db.execute("RELEASE record")

    # --- writes ------------------------------------------------------------------------

    def graph_stored(
        self, graph: str, main: str, triples: Sequence[Triple], base: str,
        facts: GraphFacts | None = None,
    ) -> GraphChange | None:  # fmt: skip
        """A source record's graph was stored (created or replaced) with these triples
        (`facts`: what the side database keeps of them, when already worked out): its
        digest, statement counts and resources are kept.

        Returns its main resource (to index for search again); None when the record's
        data did not change (a re-ingest of the same record: only provenance timestamps
        differ). Nothing is logged here: the change feed, `lastmod` and whether a
        resource is live follow the published view (`record_view`), which a record may
        leave as it was.
        """
        db = self._db
        facts = facts or GraphFacts.of(triples, graph, base)
        when = facts.generated_at or now()
        digest, stats = facts.digest, facts.statistics
        row = db.execute(
            "SELECT id, digest, live, stats FROM graphs WHERE iri = ?", (graph,)
        ).fetchone()
        if row is not None and row[2] and row[1] == digest:
            return None
        subjects = dict(facts.subjects)
        subjects.setdefault(main, OTHER)
        ids = {iri: self._upsert_resource(iri, kind) for iri, kind in subjects.items()}
        if row is None:
            graph_id = int(db.execute(
                "INSERT INTO graphs (iri, main, modified, digest, stats, live)"
                " VALUES (?, ?, ?, ?, ?, 1) RETURNING id",
                (graph, ids[main], when, digest, json.dumps(stats)),
            ).fetchone()[0])  # fmt: skip
        else:
            graph_id = int(row[0])
            if row[2]:
                self._count(json.loads(row[3]), -1)
            db.execute(
                "UPDATE graphs SET main = ?, modified = ?, digest = ?, stats = ?, live = 1"
                " WHERE id = ?",
                (ids[main], when, digest, json.dumps(stats), graph_id),
            )
        old = {r[0] for r in db.execute(
            "SELECT resource FROM graph_resources WHERE graph = ?", (graph_id,)
        )}  # fmt: skip
        new = set(ids.values())
        for resource in old - new:
            db.execute(
                "DELETE FROM graph_resources WHERE graph = ? AND resource = ?",
                (graph_id, resource),
            )
            self._unlinked(resource)
        db.executemany(
            "INSERT OR IGNORE INTO graph_resources VALUES (?, ?)",
            [(graph_id, resource) for resource in new - old],
        )
        self._count(stats, +1)
        return GraphChange(main, self._kind(ids[main]), True)

    def graph_removed(self, graph: str, when: str | None = None) -> GraphChange | None:
        """A source record's graph was deleted: its counts are taken back, and its
        resources no other record describes leave the search index. Returns its main
        resource, and whether another record still describes it; None for an unknown
        graph. (Whether its resources are gone is the published view's to say:
        `record_view`.)"""
        db = self._db
        when = when or now()
        row = db.execute(
            "SELECT id, main, live, stats FROM graphs WHERE iri = ?", (graph,)
        ).fetchone()
        if row is None or not row[2]:
            return None
        graph_id, main = int(row[0]), int(row[1])
        resources = [r[0] for r in db.execute(
            "SELECT resource FROM graph_resources WHERE graph = ?", (graph_id,)
        )]  # fmt: skip
        db.execute("DELETE FROM graph_resources WHERE graph = ?", (graph_id,))
        for resource in resources:
            self._unlinked(resource)
        self._count(json.loads(row[3]), -1)
        db.execute("UPDATE graphs SET live = 0, modified = ? WHERE id = ?", (when, graph_id))
        iri = db.execute("SELECT iri FROM resources WHERE id = ?", (main,)).fetchone()[0]
        return GraphChange(str(iri), self._kind(main), self._linked(main))

    def record_view(
        self,
        published: Iterable[Publication],
        gone: Iterable[tuple[str, str]],
        view_only: Container[str] = (),
    ) -> list[Change]:
        """What the published view did: descriptions written anew or kept (see
        `Publication`), and resources no longer published, with when (IRI, time). The
        change feed gets `Create` for a resource not published before, `Update` for one
        whose description changed, `Delete` for one withdrawn; `lastmod` is the time its
        description last changed; the listing pages follow, one label per resource.
        Logged oldest first, in IRI order at one time. `view_only`: IRIs that only the
        view names (a person by ORCID iD), which no record's row stands for."""
        logged = []
        entries = [replace(p, time=canonical_time(p.time)) if p.time else p for p in published]
        withdrawn = [(iri, canonical_time(when)) for iri, when in gone]
        listed: Counter[str] = Counter()  # the statistics' changes, written once
        with self.atomic():
            for entry in sorted(entries, key=lambda p: (p.time or "", p.iri)):
                logged += self._published(entry, entry.iri in view_only, listed)
            for iri, when in sorted(withdrawn, key=lambda g: (g[1], g[0])):
                logged += self._withdrawn(iri, when, listed)
            self._count({"listed": {c: n for c, n in listed.items() if n}}, +1)
        return logged

    def _published(self, entry: Publication, view_only: bool, listed: Counter[str]) -> list[Change]:
        db = self._db
        kind = kind_of(entry.classes)
        row = db.execute(
            "SELECT id, kind, lastmod, live FROM resources WHERE iri = ?", (entry.iri,)
        ).fetchone()
        if row is None and view_only:
            self._upsert_resource(entry.iri, kind)
            row = db.execute(
                "SELECT id, kind, lastmod, live FROM resources WHERE iri = ?", (entry.iri,)
            ).fetchone()
        if row is None:
            # No record of it is kept here yet (the view recovered what a stopped run
            # wrote, before this run stores those records again): it is recorded when
            # its record is, the view then reporting it kept (`behind`). Rows are made
            # by `graph_stored` only, in the order records come, as a clean run makes them.
            return []
        resource_id, lastmod, live = int(row[0]), str(row[2]), bool(row[3])
        kind = _best_kind(kind, str(row[1]))
        if not live:
            activity: str | None = "Create"
        elif entry.changed or (entry.time is not None and entry.time != lastmod):
            activity = "Update"
        else:
            activity = None  # this database has it as the view does
        logged = []
        if activity is not None:
            when = entry.time or now()
            db.execute(
                "UPDATE resources SET kind = ?, lastmod = ?, live = 1 WHERE id = ?",
                (kind, when, resource_id),
            )
            logged.append(self._log(when, activity, resource_id))
        classes = set(entry.classes) & set(LISTED_CLASSES)
        self._list(resource_id, entry.iri, classes, entry.label, listed)
        return logged

    def _withdrawn(self, iri: str, when: str, listed: Counter[str]) -> list[Change]:
        db = self._db
        row = db.execute("SELECT id, live FROM resources WHERE iri = ?", (iri,)).fetchone()
        if row is None:
            return []
        resource_id = int(row[0])
        self._list(resource_id, iri, set(), "", listed)
        db.execute("DELETE FROM search WHERE rowid = ?", (resource_id,))
        if not row[1]:
            return []
        db.execute("UPDATE resources SET lastmod = ?, live = 0 WHERE id = ?", (when, resource_id))
        return [self._log(when, "Delete", resource_id)]

    def behind(self, kept: Mapping[str, str | None]) -> list[str]:
        """Of resources the published view kept as they were ({IRI: the time the store
        gives it, if any}), those this database is behind on: not live, published at
        another time, or (of a listed kind) not listed. A run killed between the store's
        write and this database's leaves them so; the next run that touches them
        records them (`record_view`)."""
        kinds = sorted({KIND_BY_CLASS[c] for c in LISTED_CLASSES})
        found = []
        for iri, stamp in kept.items():
            when = canonical_time(stamp) if stamp else None
            row = self._db.execute(
                "SELECT id, kind, lastmod, live FROM resources WHERE iri = ?", (iri,)
            ).fetchone()
            in_step = row is not None and row[3] and (when is None or when == row[2])
            if not in_step or (row[1] in kinds and not self._listed(int(row[0]))):
                found.append(iri)
        return found

    def set_document(self, resource: str, document: Document | None) -> None:
        """Index (or, with None, unindex) what search sees of a resource."""
        row = self._db.execute("SELECT id FROM resources WHERE iri = ?", (resource,)).fetchone()
        if row is None:
            return
        self._db.execute("DELETE FROM search WHERE rowid = ?", (row[0],))
        if document is not None:
            self._db.execute(
                "INSERT INTO search (rowid, title, abstract, authors, journal, subjects)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (row[0], *document.columns()),
            )

    def _upsert_resource(self, iri: str, kind: str) -> int:
        """The id of a resource a record describes: a new row is not published (not live,
        no lastmod) until the published view says it is (`record_view`)."""
        row = self._db.execute("SELECT id, kind FROM resources WHERE iri = ?", (iri,)).fetchone()
        if row is None:
            return int(self._db.execute(
                "INSERT INTO resources (iri, kind, lastmod, live) VALUES (?, ?, '', 0)"
                " RETURNING id",
                (iri, kind),
            ).fetchone()[0])  # fmt: skip
        best = _best_kind(kind, str(row[1]))
        if best != row[1]:
            self._db.execute("UPDATE resources SET kind = ? WHERE id = ?", (best, row[0]))
        return int(row[0])

    def _linked(self, resource: int) -> bool:
        """Whether some stored record describes the resource."""
        return bool(self._db.execute(
            "SELECT 1 FROM graph_resources WHERE resource = ? LIMIT 1", (resource,)
        ).fetchone())  # fmt: skip

    def _unlinked(self, resource: int) -> None:
        """A resource lost a record's statements: out of search if none are left."""
        if not self._linked(resource):
            self._db.execute("DELETE FROM search WHERE rowid = ?", (resource,))

    def _listed(self, resource: int) -> bool:
        # By the primary key (class, resource): `resource` alone would scan the table.
        return bool(self._db.execute(
            f"SELECT 1 FROM listed WHERE class IN ({_LISTED_MARKS}) AND resource = ? LIMIT 1",
            (*LISTED_CLASSES, resource),
        ).fetchone())  # fmt: skip

    def _kind(self, resource: int) -> str:
        row = self._db.execute("SELECT kind FROM resources WHERE id = ?", (resource,)).fetchone()
        return str(row[0]) if row else OTHER

    def _list(
        self, resource: int, iri: str, classes: set[str], label: str, counts: Counter[str]
    ) -> None:
        """Listed under exactly these classes, with this label (`counts`: how many more
        are listed per class, for the statistics)."""
        db = self._db
        held = {r[0]: r[1] for r in db.execute(
            f"SELECT class, label FROM listed WHERE resource = ? AND class IN ({_LISTED_MARKS})",
            (resource, *LISTED_CLASSES),
        )}  # fmt: skip
        if held and set(held) == classes and all(v == label for v in held.values()):
            return  # listed so already (the same rows would be written again)
        if held:
            db.execute(
                f"DELETE FROM listed WHERE resource = ? AND class IN ({_LISTED_MARKS})",
                (resource, *LISTED_CLASSES),
            )
        if classes:
            db.executemany(
                "INSERT INTO listed VALUES (?, ?, ?, ?, ?)",
                [(c, resource, label.lower(), iri, label) for c in sorted(classes)],
            )
        counts.update(classes - set(held))
        counts.subtract(set(held) - classes)

    def _count(self, stats: dict[str, dict[str, int]], sign: int) -> None:
        rows = [
            (kind, term, sign * n) for kind, terms in stats.items() for term, n in terms.items()
        ]
        if not rows:  # most resources' listing entries do not change: no table scan then
            return
        self._db.executemany(
            "INSERT INTO statistics VALUES (?, ?, ?)"
            " ON CONFLICT (kind, term) DO UPDATE SET n = n + excluded.n",
            rows,
        )
        self._db.execute("DELETE FROM statistics WHERE n <= 0")

    def _log(self, when: str, kind: str, resource: int) -> Change:
        """An activity about a resource (graph 0: the published view, not one record)."""
        seq = int(self._db.execute(
            "INSERT INTO changes (time, type, resource, graph) VALUES (?, ?, ?, 0)"
            " RETURNING seq",
            (when, kind, resource),
        ).fetchone()[0])  # fmt: skip
        iri, resource_kind = self._db.execute(
            "SELECT iri, kind FROM resources WHERE id = ?", (resource,)
        ).fetchone()
        return Change(seq, when, kind, iri, resource_kind)

    # --- reads -------------------------------------------------------------------------

    def live_graph_count(self) -> int:
        with self._reader() as db:
            if db is None:
                return 0
            return int(db.execute("SELECT count(*) FROM graphs WHERE live = 1").fetchone()[0])

    def live_resource_count(self) -> int:
        with self._reader() as db:
            if db is None:
                return 0
            row = db.execute("SELECT count(*) FROM resources WHERE live = 1").fetchone()
            return int(row[0])

    def examples(self, kind: str, limit: int) -> list[str]:
        """The first published resources of a kind (for void:exampleResource): the first
        of its listing (by name, then IRI), which does not depend on the order in which
        rows were made (a run that recovers a killed one makes them in another order);
        without a listing index, the first rows made."""
        listed = [c for c in LISTED_CLASSES if KIND_BY_CLASS[c] == kind]
        found = self.listing(listed[0], 0, limit) if listed else None
        if found is not None:
            return [iri for iri, _ in found[1]]
        with self._reader() as db:
            if db is None:
                return []
            return [r[0] for r in db.execute(
                "SELECT iri FROM resources WHERE kind = ? AND live = 1 ORDER BY id LIMIT ?",
                (kind, limit),
            )]  # fmt: skip

    def keeps_listings(self) -> bool:
        """Whether listing pages can be read from here (see `listing`)."""
        return self.listing(LISTED_CLASSES[0], 0, 0) is not None

    def listing(
        self, cls: str, offset: int, limit: int
    ) -> tuple[int, list[tuple[str, str]]] | None:
        """How many resources are listed under the class, and (IRI, label) of `limit` of
        them from `offset`, ordered by lower-cased label, then IRI. None when there is no
        listing index here (a database made by an older version lacks it, or it cannot be
        read): the listings then ask the store."""
        try:
            with self._reader() as db:
                if db is None:
                    return None
                kept = db.execute("SELECT value FROM meta WHERE key = 'listings'").fetchone()
                if kept is None or kept[0] != "1":
                    return None
                counted = db.execute(
                    "SELECT n FROM statistics WHERE kind = 'listed' AND term = ?", (cls,)
                ).fetchone()
                rows = db.execute(
                    "SELECT iri, label FROM listed WHERE class = ? ORDER BY sort_key, iri"
                    " LIMIT ? OFFSET ?",
                    (cls, limit, offset),
                ).fetchall()
        except sqlite3.DatabaseError as error:
            log.warning("side database %s unreadable, listings read from the store: %s",
                        self.path, error)  # fmt: skip
            return None
        return (int(counted[0]) if counted else 0), [(r[0], r[1]) for r in rows]

    def listed_by_prefix(self, cls: str, prefix: str, limit: int) -> list[tuple[str, str]]:
        """(IRI, label) of resources listed under the class whose label starts with
        `prefix` (case ignored), in listing order: a range of the listing index, for
        autocompletion (the reconciliation service's suggest). Empty without the index."""
        key = prefix.lower()
        try:
            with self._reader() as db:
                if db is None or not key:
                    return []
                rows = db.execute(
                    "SELECT iri, label FROM listed WHERE class = ? AND sort_key >= ?"
                    " AND sort_key < ? ORDER BY sort_key, iri LIMIT ?",
                    (cls, key, key + "\U0010ffff", limit),
                ).fetchall()
        except sqlite3.DatabaseError as error:
            log.warning("side database %s unreadable: %s", self.path, error)
            return []
        return [(str(r[0]), str(r[1])) for r in rows]

    def resource_state(self, iri: str) -> bool | None:
        """True: published; False: published once and since removed (a tombstone);
        None: never published."""
        with self._reader() as db:
            if db is None:
                return None
            row = db.execute("SELECT live, lastmod FROM resources WHERE iri = ?", (iri,)).fetchone()
            return None if row is None or not (row[0] or row[1]) else bool(row[0])

    def graphs_of(self, resource: str) -> list[str]:
        """The live source-record graphs whose main resource this is."""
        with self._reader() as db:
            if db is None:
                return []
            return [r[0] for r in db.execute(
                "SELECT g.iri FROM graphs g JOIN resources r ON r.id = g.main"
                " WHERE r.iri = ? AND g.live = 1 ORDER BY g.id",
                (resource,),
            )]  # fmt: skip

    def change_count(self) -> int:
        with self._reader() as db:
            if db is None:
                return 0
            row = db.execute("SELECT max(seq) FROM changes").fetchone()
            return int(row[0] or 0)

    def changes(self, first: int, last: int) -> list[Change]:
        """Changes with sequence numbers first..last (inclusive), oldest first."""
        with self._reader() as db:
            if db is None:
                return []
            rows = db.execute(
                "SELECT c.seq, c.time, c.type, r.iri, r.kind, g.iri FROM changes c"
                " JOIN resources r ON r.id = c.resource LEFT JOIN graphs g ON g.id = c.graph"
                " WHERE c.seq BETWEEN ? AND ? ORDER BY c.seq",
                (first, last),
            ).fetchall()
        return [Change(*row) for row in rows]

    def last_change_time(self) -> str | None:
        with self._reader() as db:
            if db is None:
                return None
            row = db.execute("SELECT time FROM changes ORDER BY seq DESC LIMIT 1").fetchone()
            return None if row is None else str(row[0])

    def sitemap_chunks(self, size: int) -> list[SitemapChunk]:
        """Sitemaps of `size` resource ids each (so a resource stays in its sitemap);
        those whose resources are all gone are left out."""
        with self._reader() as db:
            if db is None:
                return []
            rows = db.execute(
                "SELECT (id - 1) / ? AS chunk, max(lastmod), count(*) FROM resources"
                " WHERE live = 1 GROUP BY chunk ORDER BY chunk",
                (size,),
            ).fetchall()
        return [SitemapChunk(int(chunk) + 1, lastmod, count) for chunk, lastmod, count in rows]

    def sitemap_urls(self, number: int, size: int) -> list[tuple[str, str]] | None:
        """(IRI, lastmod) of the live resources of sitemap `number`; None past the end."""
        with self._reader() as db:
            if db is None:
                return None
            top = db.execute("SELECT max(id) FROM resources").fetchone()[0] or 0
            if number < 1 or (number - 1) * size >= top:
                return None
            rows = db.execute(
                "SELECT iri, lastmod FROM resources WHERE id BETWEEN ? AND ? AND live = 1"
                " ORDER BY id",
                ((number - 1) * size + 1, number * size),
            ).fetchall()
        return [(str(iri), str(lastmod)) for iri, lastmod in rows]

    def resources(self, *, live: bool = True) -> Iterator[tuple[str, str]]:
        """(IRI, kind) of every live resource (or every tombstone), in id order."""
        with self._reader() as db:
            if db is None:
                return
            yield from db.execute(
                "SELECT iri, kind FROM resources WHERE live = ? AND lastmod != '' ORDER BY id",
                (int(live),),
            )

    def statistics(self) -> dict[str, dict[str, int]]:
        """Statement counts over the live source-record graphs: `triples` (total),
        `property` (per predicate), `class` (per class of the subject)."""
        out: dict[str, dict[str, int]] = {"triples": {}, "property": {}, "class": {}}
        with self._reader() as db:
            if db is None:
                return out
            for kind, term, n in db.execute("SELECT kind, term, n FROM statistics"):
                out.setdefault(kind, {})[term] = int(n)
        return out

    def search(self, match: str, limit: int, offset: int) -> tuple[int, list[SearchRow]]:
        """Ranked matches of an FTS5 query (see publisher.harvest.search.fts_query)."""
        with self._reader() as db:
            if db is None:
                return 0, []
            deadline = time.monotonic() + SEARCH_SECONDS
            db.set_progress_handler(lambda: int(time.monotonic() > deadline), 20_000)
            try:
                return self._search(db, match, limit, offset)
            except sqlite3.OperationalError as error:
                if "interrupted" in str(error):
                    raise SearchTooBroad(match) from error
                raise
            finally:
                db.set_progress_handler(None, 0)

    def _search(
        self, db: sqlite3.Connection, match: str, limit: int, offset: int
    ) -> tuple[int, list[SearchRow]]:
        total = int(db.execute(
            "SELECT count(*) FROM search WHERE search MATCH ?", (match,)
        ).fetchone()[0])  # fmt: skip
        marks = (MARK_START, MARK_END)
        rows = db.execute(
            """SELECT r.iri, r.kind, m.title, m.abstract, m.authors, m.journal, m.subjects
            FROM (SELECT rowid AS id, rank,
                    highlight(search, 0, ?, ?) AS title,
                    snippet(search, 1, ?, ?, '…', 40) AS abstract,
                    snippet(search, 2, ?, ?, '…', 24) AS authors,
                    highlight(search, 3, ?, ?) AS journal,
                    snippet(search, 4, ?, ?, '…', 24) AS subjects
                  FROM search WHERE search MATCH ? ORDER BY rank LIMIT ? OFFSET ?) m
            JOIN resources r ON r.id = m.id ORDER BY m.rank""",
            (*marks * len(SEARCH_COLUMNS), match, limit, offset),
        ).fetchall()
        return total, [SearchRow(*map(str, row)) for row in rows]


def _roll_back_hot_journal(path: Path) -> None:
    """Open the database read-write for one read: SQLite rolls back what a killed writer
    left half done. Nothing else is written; if that fails too, the read fails as before."""
    with contextlib.suppress(sqlite3.Error), closing(sqlite3.connect(path, timeout=5)) as db:
        db.execute("PRAGMA schema_version").fetchone()


def _undo_record(db: sqlite3.Connection) -> None:
    """Roll back one record's savepoint. SQLite may have rolled back already (disk full),
    or fail to: either way the error that got us here is the one to report, not this."""
    if not db.in_transaction:
        return
    with contextlib.suppress(sqlite3.Error):
        db.execute("ROLLBACK TO record")
        db.execute("RELEASE record")


@contextmanager
def _disk_refusals(path: Path | None) -> Iterator[None]:
    """A full or read-only disk stops the command (StoreWriteFailed), as it does for the
    store: it is not one record's problem."""
    try:
        yield
    except sqlite3.OperationalError as error:
        refused = refused_write(error, path)
        if refused is None:
            raise
        raise refused from error


@dataclass(frozen=True)
class GraphFacts:
    """What the side database keeps of a stored graph, worked out from its triples alone:
    so it can be done where the triples are made (an ingest worker process), leaving the
    process that writes the side database only the writing."""

    generated_at: str | None
    digest: str
    subjects: dict[str, str]  # the record's resources and their kinds
    statistics: dict[str, dict[str, int]]

    @classmethod
    def of(cls, triples: Sequence[Triple], graph: str, base: str) -> GraphFacts:
        subjects = _subjects(triples, graph, base)
        return cls(
            generated_at(triples, graph),
            _digest(triples),
            subjects,
            _statistics(triples),
        )


def kind_of(classes: Iterable[str]) -> str:
    """The kind of a resource of these classes (the first of KINDS found)."""
    found = [KIND_BY_CLASS[c] for c in classes if c in KIND_BY_CLASS]
    return min(found, key=KIND_RANK.__getitem__) if found else OTHER


def _best_kind(one: str, other: str) -> str:
    return min(one, other, key=lambda k: KIND_RANK.get(k, len(KIND_RANK)))


def generated_at(triples: Sequence[Triple], graph: str) -> str | None:
    """The graph's prov:generatedAtTime, as written by the mapper."""
    for triple in triples:
        if (
            triple.predicate == _GENERATED
            and isinstance(triple.subject, NamedNode)
            and triple.subject.value == graph
            and isinstance(triple.object, Literal)
        ):
            return triple.object.value
    return None


def _digest(triples: Sequence[Triple]) -> str:
    """What the record says, apart from when it was ingested: blank-node labels and the
    provenance timestamps are left out, lines sorted."""
    lines = sorted(
        " ".join("_:" if isinstance(t, BlankNode) else str(t) for t in triple)
        for triple in triples
        if triple.predicate not in _STAMPS
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _subjects(triples: Sequence[Triple], graph: str, base: str) -> dict[str, str]:
    """The record's resources (IRIs under the base, not the graph's own) and their kinds."""
    kinds: dict[str, str] = {}
    own = f"{base}graph/"
    for triple in triples:
        subject = triple.subject
        if not isinstance(subject, NamedNode):
            continue
        iri = subject.value
        if not iri.startswith(base) or iri == graph or iri.startswith(own):
            continue
        kind = kinds.setdefault(iri, OTHER)
        if triple.predicate == RDF_TYPE and isinstance(triple.object, NamedNode):
            found = KIND_BY_CLASS.get(triple.object.value)
            if found and KIND_RANK[found] < KIND_RANK.get(kind, len(KIND_RANK)):
                kinds[iri] = found
    return kinds


def _statistics(triples: Sequence[Triple]) -> dict[str, dict[str, int]]:
    types: dict[str, list[str]] = {}
    for triple in triples:
        if triple.predicate == RDF_TYPE and isinstance(triple.object, NamedNode):
            types.setdefault(str(triple.subject), []).append(triple.object.value)
    properties: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    for triple in triples:
        properties[triple.predicate.value] += 1
        for cls in types.get(str(triple.subject), ()):
            classes[cls] += 1
    return {
        "triples": {"": len(triples)},
        "property": dict(properties),
        "class": dict(classes),
    }
