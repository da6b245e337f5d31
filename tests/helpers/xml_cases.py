"""Broken variants of real XML files, one set per XML reader, for the recovery tests.

Each case is built from a real file of the repository's test data (see the SOURCES notes
in those files): its head, its record elements and its tail, taken apart at the record
tags, then put together again with one thing wrong in record 2. What the readers must do
with each is the same whatever lxml / libxml2 pip installs: the records that ended
before the damage are read, the damage is one error at record 2, and the error is
classified (truncated, not well-formed, over a size limit) without reading libxml2's
words. Used by `test_xml_recovery.py` and by `xml_digest.py` (run under the oldest and
the newest allowed lxml by `test_lxml_versions.py`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path

from publisher.readers.base import Reader, ReadItem
from publisher.readers.marcxml import MarcXmlReader
from publisher.readers.oai_pmh import OaiPmhReader
from publisher.readers.pubmed import PubmedXmlReader
from publisher.readers.xmlstream import CHUNK_BYTES

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class XmlFormat:
    name: str
    reader: Reader
    file: Path
    record_start: bytes  # the record element's start tag, as it appears in the file
    record_end: bytes


FORMATS = {
    "pubmed": XmlFormat(
        "pubmed", PubmedXmlReader(), DATA / "pubmed" / "variants_set.xml",
        b"<PubmedArticle>", b"</PubmedArticle>",
    ),
    "marcxml": XmlFormat(
        "marcxml", MarcXmlReader(), DATA / "marc" / "articles.xml", b"<record>", b"</record>"
    ),
    "oai": XmlFormat(
        "oai", OaiPmhReader(), DATA / "oai" / "listrecords_oai_dc.xml",
        b"<record>", b"</record>",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Parts:
    head: bytes
    records: list[bytes]
    tail: bytes

    def join(self, *records: bytes) -> bytes:
        return self.head + b"\n".join(records) + self.tail


def split(fmt: XmlFormat) -> Parts:
    """The file taken apart at its top-level record elements."""
    data = fmt.file.read_bytes()
    starts = [m.start() for m in re.finditer(re.escape(fmt.record_start), data)]
    records, cursor = [], starts[0]
    for start in starts:
        end = data.index(fmt.record_end, start) + len(fmt.record_end)
        records.append(data[start:end])
        cursor = end
    return Parts(data[: starts[0]], records, data[cursor:])


def _mismatch(record: bytes) -> bytes:
    """The first end tag inside the record renamed: an opening and ending tag mismatch."""
    at = record.index(b"</", 1)
    name_end = record.index(b">", at)
    return record[:at] + b"</NotTheOpenTag" + record[name_end:]


def _inside(record: bytes, fmt: XmlFormat, insert: bytes) -> bytes:
    """`insert` placed right after the record's start tag."""
    at = len(fmt.record_start)
    return record[:at] + insert + record[at:]


def _ending_at_chunk_edge(parts: Parts, first: bytes, offset: int) -> bytes:
    """A comment pads the head so that record 1's end tag ends `offset` bytes from the
    parser's first chunk boundary (negative: before it; the tag then straddles it)."""
    bare = parts.head + first
    pad = CHUNK_BYTES + offset - len(bare) - len(b"<!---->")
    return parts.head + b"<!--" + b"x" * pad + b"-->" + first


Case = Callable[[XmlFormat, Parts], bytes]
CASES: dict[str, Case] = {
    "whole": lambda f, p: p.join(*p.records),
    "mismatch in record 2": lambda f, p: p.join(p.records[0], _mismatch(p.records[1])),
    "mismatch in record 2, record 3 after it": lambda f, p: p.join(
        p.records[0], _mismatch(p.records[1]), p.records[0]
    ),
    "cut in the middle of record 2": lambda f, p: p.head + p.records[0] + b"\n"
    + p.records[1][: len(p.records[1]) // 2],
    "cut inside record 2's end tag": lambda f, p: p.head + p.records[0] + b"\n"
    + p.records[1][:-1],
    "cut right after record 2's start tag": lambda f, p: p.head + p.records[0] + b"\n"
    + f.record_start,
    "nesting over 256 deep in record 2": lambda f, p: p.join(
        p.records[0], _inside(p.records[1], f, b"<x>" * 300 + b"</x>" * 300)
    ),
    "text over 10,000,000 bytes in record 2": lambda f, p: p.join(
        p.records[0], _inside(p.records[1], f, b"<x>" + b"y" * 10_000_001 + b"</x>")
    ),
    "record 1 ends at the chunk edge, then broken markup": lambda f, p: _ending_at_chunk_edge(
        p, p.records[0], 0
    ) + b"\n" + _mismatch(p.records[1]) + p.tail,
    "record 1's end tag straddles the chunk edge, then broken markup": lambda f, p: (
        _ending_at_chunk_edge(p, p.records[0], 3) + b"\n" + _mismatch(p.records[1]) + p.tail
    ),
    "garbage after the root element": lambda f, p: p.join(*p.records) + b"garbage",
}  # fmt: skip

# What each case must give: how many items come before the error (None: no error), the
# error's kind, and the record position it names.
EXPECTED: dict[str, tuple[int | None, str]] = {
    "whole": (None, ""),
    "mismatch in record 2": (1, "not well-formed"),
    "mismatch in record 2, record 3 after it": (1, "not well-formed"),
    "cut in the middle of record 2": (1, "truncated"),
    "cut inside record 2's end tag": (1, "truncated"),
    "cut right after record 2's start tag": (1, "truncated"),
    "nesting over 256 deep in record 2": (1, "over a size limit"),
    "text over 10,000,000 bytes in record 2": (1, "over a size limit"),
    "record 1 ends at the chunk edge, then broken markup": (1, "not well-formed"),
    "record 1's end tag straddles the chunk edge, then broken markup": (1, "not well-formed"),
    "garbage after the root element": (-1, "not well-formed"),  # -1: after every record
}


def read(fmt: XmlFormat, data: bytes) -> list[ReadItem]:
    return list(fmt.reader.read(io.BytesIO(data), f"{fmt.name}.xml"))


_LIBXML_WORDS = (
    re.compile(r"(?<=limit \().*?(?=\): one text)"),
    re.compile(r"(?<=XML \().*(?=\)(?: after record \d+)?$)"),
)


def digest(item: ReadItem) -> object:
    """An item as plain data, with libxml2's own words (the parenthesised part of an XML
    error) left out: they are shown to people, and differ between libxml2 releases."""
    data = asdict(item) if is_dataclass(item) else repr(item)  # type: ignore[arg-type]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        for words in _LIBXML_WORDS:
            data["message"] = words.sub("...", data["message"])
    return {"type": type(item).__name__, **data} if isinstance(data, dict) else data
