"""The one place input formats are registered, and format detection by content."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from publisher.model import ReadError, SourceRef
from publisher.readers.base import Reader, ReadItem
from publisher.readers.bibtex import BibtexReader
from publisher.readers.clinicaltrials import ClinicalTrialsReader
from publisher.readers.crossref import CrossrefReader
from publisher.readers.csl_json import CslJsonReader
from publisher.readers.limits import within_limits
from publisher.readers.marc_binary import MarcBinaryReader
from publisher.readers.marc_json import MarcJsonReader
from publisher.readers.marcxml import MarcXmlReader
from publisher.readers.oai_pmh import OaiPmhReader
from publisher.readers.pubmed import PubmedXmlReader
from publisher.readers.ris import RisReader
from publisher.readers.vufind_text import VufindTextReader
from publisher.readers.wos import WosReader

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
AUTO = "auto"
SNIFF_BYTES = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


def format_names() -> list[str]:
    return [AUTO, *READERS]


def detect(head: bytes) -> Reader | None:
    """The first registered reader that recognises the bytes, or None."""
    return next((reader for reader in READERS.values() if reader.sniff(head)), None)


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
                tried = ", ".join(READERS)
                yield ReadError(where, f"unrecognised format (tried: {tried})")
                return
            stream.seek(0)
            yield from within_limits(reader.read(stream, str(path)))
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        yield ReadError(where, f"cannot read the file: {error}")


def _open(path: Path) -> IO[bytes]:
    """The file, decompressed on the fly when it is gzip (detected by its magic bytes)."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")
