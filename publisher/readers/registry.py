"""The one place input formats are registered, and format detection by content."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from publisher.model import ReadError, SourceRef
from publisher.readers.base import Reader, ReadItem, skip_placeholder
from publisher.readers.bibtex import BibtexReader
from publisher.readers.clinicaltrials import ClinicalTrialsReader
from publisher.readers.crossref import CrossrefReader
from publisher.readers.csl_json import CslJsonReader
from publisher.readers.json_stream import json_shape
from publisher.readers.limits import within_limits
from publisher.readers.marc_binary import MarcBinaryReader
from publisher.readers.marc_json import MarcJsonReader
from publisher.readers.marcxml import MarcXmlReader
from publisher.readers.oai_pmh import OaiPmhReader
from publisher.readers.pubmed import PubmedXmlReader
from publisher.readers.ris import RisReader
from publisher.readers.vufind_text import VufindTextReader
from publisher.readers.wos import WosReader
from publisher.readers.xmlstream import local_name, namespace, root_tag

READERS: dict[str, Reader] = {
    reader.name: reader
    for reader in (
        VufindTextReader(),
        PubmedXmlReader(),
        ClinicalTrialsReader(),
        RisReader(),
        WosReader(),
        BibtexReader(),
        CslJsonReader(),
        CrossrefReader(),
        MarcBinaryReader(),
        MarcXmlReader(),
        MarcJsonReader(),
        OaiPmhReader(),
    )
}

# Auto-detection asks the readers in this order, and the first that recognises the
# bytes reads the file. Each sniffer is written to claim only its own format (the
# tests check every sample against every sniffer), so the order matters only where
# two could both claim a file; it is said here, with the reason, not left to the
# order of READERS above:
DETECTION_PRIORITY: tuple[tuple[str, str], ...] = (
    # JSON: three readers look at the same kind of document.
    ("ctgov-json", "a study's protocolSection is unmistakable"),
    ("csl-json", "CSL types (article-journal) win over Crossref's keys: doi.org's "
     "CSL-JSON carries both"),
    ("crossref-json", "Crossref's own types and keys"),
    ("marc-json", "MARC-in-JSON: leader and fields"),
    # XML: told apart by the root element.
    ("pubmed-xml", "PubmedArticleSet / MedlineCitationSet root"),
    ("oai-pmh", "OAI-PMH root: its envelope may hold MARCXML, which it reads itself"),
    ("marcxml", "collection / record root, or an SRU response holding MARCXML"),
    # Binary and tagged text.
    ("marc21", "ISO 2709: a 24-byte leader and record terminators"),
    ("wos-tagged", "FN/VR header or PT first: checked before RIS, whose tags look alike"),
    ("ris", "TY as the first tag"),
    ("bibtex", "@type{key, (the key may be empty: Citavi writes @Article{,)"),
    ("vufind-text", "the catch-all for pasted catalogue pages: asked last"),
)  # fmt: skip
AUTO = "auto"
SNIFF_BYTES = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


def format_names() -> list[str]:
    return [AUTO, *READERS]


def detect(head: bytes) -> Reader | None:
    """The first reader in DETECTION_PRIORITY that recognises the bytes, or None."""
    readers = (READERS[name] for name, _why in DETECTION_PRIORITY)
    return next((reader for reader in readers if reader.sniff(head)), None)


def describe_content(head: bytes) -> str:
    """What a file that no reader recognises looks like, said in the error, so that a
    person can tell a wrong export from a broken one."""
    if b"\x00" in head[:4096]:
        return "binary data"
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith(("{", "[")):
        shape = json_shape(head)
        if shape is None:
            return "text starting like JSON, but not JSON that can be read"
        where = "item" if shape.top == "array" else ""
        keys = sorted(shape.keys_at(where))[:12]
        what = "an array of objects with keys" if where else "top-level keys"
        return f"JSON but not a known shape: {what} {', '.join(keys) or '(none)'}"
    if text.startswith("<"):
        root = root_tag(head)
        if root is not None:
            return f"XML with root element {local_name(root)!r}" + (
                f" (namespace {namespace(root)})" if namespace(root) else ""
            )
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if "\ufffd" in text[:4096]:
        return "binary data or text that is not UTF-8"
    return f"text starting {first[:60]!r}"


def read_file(path: Path, format_name: str = AUTO) -> Iterator[ReadItem]:
    """Every record of one file, whatever its format; problems come back as ReadErrors."""
    where = SourceRef(str(path), 1, format=format_name)
    try:
        with _open(path) as stream:
            head = stream.read(SNIFF_BYTES)
            if not head.strip():
                yield ReadError(where, "the file is empty")
                return
            reader = READERS.get(format_name) if format_name != AUTO else detect(head)
            if reader is None:
                tried = ", ".join(name for name, _why in DETECTION_PRIORITY)
                looks = describe_content(head)
                yield ReadError(where, f"unrecognised format: {looks} (tried: {tried})")
                return
            stream.seek(0)
            items = within_limits(reader.read(stream, str(path)))
            yield from (skip_placeholder(item) for item in items)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        yield ReadError(where, f"cannot read the file: {error}")


def _open(path: Path) -> IO[bytes]:
    """The file, decompressed on the fly when it is gzip (detected by its magic bytes)."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")
