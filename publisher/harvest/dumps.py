"""Data dumps: the whole dataset as gzip-compressed N-Triples, N-Quads and Turtle, with a
checksum manifest (`SHA256SUMS`, and `manifest.json` for the server and VoID).

Streamed from the store to the compressed file by pyoxigraph: no dataset-sized graph is
ever held in Python. The store is opened read-only, so an export can run beside `serve`.

* `dataset.nt.gz`: the union of all graphs, what the SPARQL endpoint's default graph is.
  The same triple stated by two source records is written once (Oxigraph's CONSTRUCT
  drops duplicates, within bounded memory: a rare repeat line is possible on very large
  stores and harmless, an RDF graph being a set).
* `dataset.nq.gz`: every named graph as stored, so each source record keeps its
  provenance (`<g> prov:generatedAtTime ...` inside `<g>`), and the validation reports.
* `dataset.ttl.gz`: the union again, as Turtle with the usual prefixes.

The gzip headers carry no file name or time, so exporting the same data twice gives the
same bytes and the same checksums.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyoxigraph import DefaultGraph, RdfFormat, Triple, serialize
from pyoxigraph import Store as OxStore

from publisher.mapping.vocab import prefixes
from publisher.store.remote import RemoteStore

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class DumpFile:
    name: str
    title: str
    media_type: str  # of the uncompressed content
    compression: str | None  # media subtype of the compression (gzip)
    size: int  # bytes, as served
    sha256: str  # hex, of the file as served
    modified: str  # xsd:dateTime
    statements: int | None  # triples or quads, where the format has one per line

    @property
    def served_type(self) -> str:
        return f"application/{self.compression}" if self.compression else self.media_type


@dataclass(frozen=True)
class _Spec:
    name: str
    title: str
    media_type: str
    counted: bool
    write: Callable[[Source, Any, str], None]


# A remote store streams the same: its union as one CONSTRUCT, its quads graph by graph.
Source = OxStore | RemoteStore


def _published(store: Source, base_uri: str) -> Iterable[Triple]:
    """The published view (what SPARQL's default graph is), in the store's index order:
    the same content gives the same bytes (it holds no blank nodes)."""
    if isinstance(store, RemoteStore):
        return store.union_triples(store.view_graph)
    return (quad.triple for quad in store.quads_for_pattern(None, None, None, DefaultGraph()))


def _write_ntriples(store: Source, output: Any, base_uri: str) -> None:
    serialize(_published(store, base_uri), output, RdfFormat.N_TRIPLES)


def _write_nquads(store: Source, output: Any, base_uri: str) -> None:
    if isinstance(store, RemoteStore):
        serialize(store.quads(), output, RdfFormat.N_QUADS)
    else:
        store.dump(output, RdfFormat.N_QUADS)


def _write_turtle(store: Source, output: Any, base_uri: str) -> None:
    serialize(_published(store, base_uri), output, RdfFormat.TURTLE, prefixes=prefixes())


SPECS = [
    _Spec("dataset.nt.gz", "N-Triples dump (gzip): the published view, one consolidated"
          " description per resource",
          "application/n-triples", True, _write_ntriples),
    _Spec("dataset.nq.gz", "N-Quads dump (gzip): one named graph per source record,"
          " with its provenance", "application/n-quads", True, _write_nquads),
    _Spec("dataset.ttl.gz", "Turtle dump (gzip): the published view, one consolidated"
          " description per resource",
          "text/turtle", False, _write_turtle),
]  # fmt: skip


class _Tee:
    """Counts and hashes what goes through to the file (gzip writes into this)."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return int(self.target.write(data))

    def flush(self) -> None:
        self.target.flush()


class _Lines:
    """Counts lines written (N-Triples and N-Quads write one statement per line)."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.lines = 0

    def write(self, data: bytes) -> int:
        self.lines += bytes(data).count(b"\n")
        return int(self.target.write(data))

    def flush(self) -> None:
        self.target.flush()


def export(store_path: Path | RemoteStore, base_uri: str, out_dir: Path) -> list[DumpFile]:
    """Write every dump, SHA256SUMS and manifest.json into `out_dir` (files are replaced
    only once complete: a download never sees half a dump). `store_path` is the embedded
    store's folder, or a remote store."""
    store: Source
    if isinstance(store_path, RemoteStore):
        store = store_path
    else:
        store = OxStore.read_only(str(store_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [_export_one(store, base_uri, out_dir, spec) for spec in SPECS]
    del store
    write_manifest(out_dir, base_uri, files)
    return files


def _export_one(store: Source, base_uri: str, out_dir: Path, spec: _Spec) -> DumpFile:
    final = out_dir / spec.name
    part = out_dir / (spec.name + ".part")
    with part.open("wb") as raw:
        tee = _Tee(raw)
        with gzip.GzipFile(filename="", mode="wb", fileobj=tee, mtime=0) as compressed:
            lines = _Lines(compressed)
            spec.write(store, lines, base_uri)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(part, final)
    modified = datetime.fromtimestamp(final.stat().st_mtime, UTC).replace(microsecond=0)
    return DumpFile(
        name=spec.name,
        title=spec.title,
        media_type=spec.media_type,
        compression="gzip",
        size=tee.size,
        sha256=tee.hash.hexdigest(),
        modified=modified.isoformat(),
        statements=lines.lines if spec.counted else None,
    )


def write_manifest(out_dir: Path, base_uri: str, files: list[DumpFile]) -> None:
    generated = datetime.now(UTC).replace(microsecond=0).isoformat()
    manifest = {
        "baseUri": base_uri,
        "generated": generated,
        "files": [asdict(f) for f in files],
    }
    _replace_text(out_dir / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    _replace_text(out_dir / SUMS, "".join(f"{f.sha256}  {f.name}\n" for f in files))


def _replace_text(path: Path, text: str) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def read_manifest(folder: Path | None) -> list[DumpFile]:
    """The dumps the folder holds, as its manifest lists them (files that went missing
    since are left out); empty when there is no manifest."""
    if folder is None:
        return []
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = [DumpFile(**entry) for entry in data["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [f for f in files if _safe_name(f.name) and (folder / f.name).is_file()]


def _safe_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")
