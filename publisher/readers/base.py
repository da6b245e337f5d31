"""What every reader is: a name, a content sniffer and a record iterator."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import IO, Protocol

from publisher.model import AnyRecord, ReadError, ReadNotice, Record, Skipped, SourceRef
from publisher.text import Pages

ReadItem = AnyRecord | ReadError | ReadNotice | Skipped


class Reader(Protocol):
    """One input format. Readers see bytes and a file name, never HTTP or RDF.

    `read` gets a binary stream positioned at the start (already decompressed) so that
    large files can be streamed record by record in bounded memory.
    """

    name: str
    description: str

    def sniff(self, head: bytes) -> bool:
        """True when the first bytes of a file (up to 64 KiB) look like this format."""
        ...

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        """Every record of the file, in order; a bad record is a ReadError, not an exception."""
        ...


def decode_text(
    data: bytes, path: str, format_name: str, errors: str = "strict"
) -> str | ReadError:
    """Decode a text format, or explain why the bytes are not text.

    `errors="surrogateescape"` keeps bytes that are not UTF-8 as lone surrogates
    (U+DC80..U+DCFF), so that a reader can reject only the record holding them
    (see `first_undecodable`) instead of the whole file.
    """
    where = SourceRef(path, 1, format=format_name)
    if b"\x00" in data:
        return ReadError(where, "the file is binary (it contains NUL bytes), not a text record")
    try:
        return data.decode("utf-8-sig", errors=errors)
    except UnicodeDecodeError as error:
        return ReadError(where, f"the file is not UTF-8 text (bad byte at offset {error.start})")


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def first_undecodable(lines: list[str]) -> tuple[int, int] | None:
    """Index and column (1-based) of the first byte that was not UTF-8, in lines decoded
    with `errors="surrogateescape"`; None when every line is clean text."""
    for index, line in enumerate(lines):
        if match := _ESCAPED_BYTE.search(line):
            return index, match.start() + 1
    return None


class Utf8Repair:
    """A binary stream that passes UTF-8 through and replaces bytes that are not UTF-8
    with U+FFFD, counting them in `replaced`.

    For streaming parsers (lxml, ijson) that stop at the first bad byte: with this in
    front, one record with Latin-1 bytes in it does not cost the rest of the file.
    Readers reject a record holding U+FFFD once `replaced` is non-zero, naming the
    field. `head` is what the reader already read from `stream` to look at it.
    """

    CHUNK = 64 * 1024
    _GENUINE = "\ufffd".encode()

    def __init__(self, stream: IO[bytes], head: bytes = b"") -> None:
        self._stream = stream
        self._head = head
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = b""
        self._tail = b""  # last two raw bytes: a genuine U+FFFD may span two chunks
        self._done = False
        self.replaced = 0

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            while not self._done:
                self._fill()
            data, self._pending = self._pending, b""
            return data
        while len(self._pending) < max(size, 1) and not self._done:
            self._fill()
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def _fill(self) -> None:
        raw = self._head or self._stream.read(self.CHUNK)
        self._head = b""
        text = self._decoder.decode(raw, final=not raw)
        genuine = (self._tail + raw).count(self._GENUINE)
        self._tail = (self._tail + raw)[-2:]
        self.replaced += max(text.count("\ufffd") - genuine, 0)
        self._pending += text.encode("utf-8")
        self._done = not raw


def claim_source_id(
    record: AnyRecord, value: str | None, seen: set[str], field: str, local: bool = False
) -> None:
    """Set `source_id` (it names the record's graph) unless another record of the same
    file already has that id: two records must never share a graph, so a repeated id is
    a warning and the record is keyed by its article instead.

    `local`: the id is unique only within its file (a BibTeX key such as `Smith_2020`, a
    CSL item id, an RIS `ID`), so the graph's name adds the file's name: two files that
    both use the key `a` for different articles must not replace each other's graph."""
    value = (value or "").strip()
    if not value or not isinstance(record, Record):
        return
    if value in seen:
        record.warnings.append(
            f"{field}: id {value!r} repeats an earlier record's: not used to name this record"
        )
        return
    seen.add(value)
    record.source_id = value
    record.source_id_local = local


DELETED_DOI_LISTING = "crossref listing of deleted dois"
PLACEHOLDER_ISSN = "0000-0000"
_ID_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|pmid:?\s*)", re.IGNORECASE)


def placeholder_reason(record: Record) -> str | None:
    """Why a record is a placeholder, not an article, or None.

    Crossref lists DOIs deleted by their publishers as works of a pseudo-journal
    "CrossRef Listing of Deleted DOIs" (ISSN 0000-0000, the DOI as title, DOIs holding
    URLs); other sources have records whose title is only their own identifier."""
    journal = record.periodical
    if journal and journal.name.strip().casefold() == DELETED_DOI_LISTING:
        return "a placeholder in Crossref's listing of deleted DOIs, not an article"
    if journal and PLACEHOLDER_ISSN in journal.issns:
        return f"a placeholder (ISSN {PLACEHOLDER_ISSN}), not an article"
    title = _ID_PREFIX.sub("", (record.title or "").strip()).casefold()
    # A file-local id (a BibTeX key such as `editorial`) may well equal a real title.
    local = record.source_id if record.source_id_local else None
    own_ids = [i for i in (record.doi, record.pmid, record.pmcid, record.source_id) if i != local]
    if title and any(title == _ID_PREFIX.sub("", i.strip()).casefold() for i in own_ids if i):
        return "a placeholder: its title is its own identifier, not an article's title"
    return None


def skip_placeholder(item: ReadItem) -> ReadItem:
    """The item, or a Skipped naming why a record is a placeholder."""
    if isinstance(item, Record) and (reason := placeholder_reason(item)):
        return Skipped(item.source, reason, "title")
    return item


def set_pages(record: Record, pages: Pages) -> None:
    """The record's pages as `publisher.text.parse_pages` read them; a reader that has
    found pages already keeps them unless these say more."""
    if pages.start or pages.end or pages.pagination:
        record.page_start, record.page_end = pages.start, pages.end
        record.pagination = pages.pagination
