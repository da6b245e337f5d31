"""Streaming XML for readers: root sniffing, safe `iterparse`, freeing what was read.

Every XML reader parses with a pull parser that we feed (`iterparse` below), one record
element at a time, and frees each record once read (`release`), so memory stays bounded however many
records a file holds. External entities and DTDs are never loaded, nor is the network
touched. A UTF-8 file with a few bad bytes (Latin-1 text pasted in) goes through
`base.Utf8Repair`, so one bad record does not cost the rest of the file: the reader
rejects the record holding U+FFFD, naming the field.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import IO, Any

from lxml import etree

from publisher.model import ReadError, SourceRef
from publisher.readers.base import Utf8Repair

Element = Any  # lxml ships no type information

HEAD_BYTES = 4096
REPLACEMENT = "\ufffd"


def root_tag(head: bytes) -> str | None:
    """The root element of an XML document in Clark notation (`{namespace}name`, or
    `name` without one), from the document's first bytes; None when it is not XML."""
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False
    )
    with contextlib.suppress(etree.XMLSyntaxError):
        parser.feed(head)  # a cut or broken head: the events before the error count
    for _event, element in parser.read_events():
        return str(element.tag)
    return None


def local_name(tag: object) -> str:
    """`{http://...}record` -> `record`; comments and PIs (non-string tags) -> ``."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag: object) -> str | None:
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].split("}", 1)[0]
    return None


def declares_utf8(head: bytes) -> bool:
    """True for UTF-8 documents: no encoding declared, or UTF-8 declared."""
    match = re.match(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding=[\"']([\w.-]+)", head)
    return match is None or match.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8")


class XmlSource:
    """A stream ready for `iterparse`: the bytes already taken for a look go first,
    and a UTF-8 document passes through `Utf8Repair` (see `replaced`)."""

    def __init__(self, stream: IO[bytes]) -> None:
        head = self.head = stream.read(HEAD_BYTES)  # kept: readers may name the root
        self.repair = Utf8Repair(stream, head) if declares_utf8(head) else None
        self._head = b"" if self.repair else head
        self._stream = stream

    @property
    def replaced(self) -> int:
        """How many bytes that were not UTF-8 have been replaced by U+FFFD so far."""
        return self.repair.replaced if self.repair else 0

    def read(self, size: int = -1) -> bytes:
        if self.repair is not None:
            return self.repair.read(size)
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._stream.read(size)


CHUNK_BYTES = 65536


class BrokenXml(Exception):
    """The XML stops being readable here. Raised by `iterparse` only after every record
    that ended before the error has been handed out, so what the reader yielded stands.

    How it is classified never depends on libxml2's wording, which changes between
    releases (lxml 6.2 / libxml2 2.14 reworded and renumbered several errors):
    `truncated` means the input ended inside the document (the parser's error came when
    it was told the input was over); `over_limit` means one of libxml2's guards against
    hostile XML, known by its error code."""

    def __init__(self, error: etree.XMLSyntaxError, *, truncated: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.truncated = truncated
        self.over_limit = not truncated and error.code in _LIMIT_CODES
        self.lineno: int | None = error.lineno or None


def iterparse(source: XmlSource, tags: Sequence[str]) -> Iterator[tuple[str, Element]]:
    """End events of the given tags (Clark notation, `{*}name` for any namespace).

    We feed a pull parser ourselves instead of using `etree.iterparse`: iterparse reads
    32 KiB blocks and raises a block's syntax error before handing out the records that
    ended earlier in the same block (with libxml2 2.14 a valid record before a broken one
    was lost). Here the events parsed before an error are always yielded first, whatever
    the library's buffering, then `BrokenXml` is raised."""
    parser = etree.XMLPullParser(
        events=("end",),
        tag=tuple(tags),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    while True:
        data = source.read(CHUNK_BYTES)
        try:
            if data:
                parser.feed(data)
            else:
                parser.close()
        except etree.XMLSyntaxError as error:
            if data:  # what was parsed before the error stands
                yield from parser.read_events()
            # At the end of a cut file libxml2 2.14 closes the open elements itself (even
            # a `</rec` cut in its end tag): records it "ends" there are not whole. Every
            # record whose end tag was read came out of an earlier `feed`.
            raise BrokenXml(error, truncated=not data) from error
        yield from parser.read_events()
        if not data:
            return


def release(element: Element) -> None:
    """Free a record that has been read, and everything before it in the tree."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


# libxml2's codes for its limits (a text over 10,000,000 bytes, nesting over 256): 114
# XML_ERR_RESOURCE_LIMIT since libxml2 2.14; before it, 2 XML_ERR_NO_MEMORY ("huge text
# node") and 1 XML_ERR_INTERNAL_ERROR ("excessive depth") while the input is still coming.
_LIMIT_CODES = frozenset({114, 2, 1})
_HUGE_ADVICE = re.compile(r",?\s*(?:try|use) XML_PARSE_HUGE(?: option)?")


def describe_syntax_error(broken: BrokenXml) -> str:
    """`truncated`, `not well-formed` or over a limit, with libxml2's own words."""
    message = str(getattr(broken.error, "msg", "") or broken.error)
    if broken.over_limit:
        return _over_limit(message)
    return f"{'truncated' if broken.truncated else 'not well-formed'} XML ({message})"


def syntax_error_item(
    broken: BrokenXml, path: str, records_read: int, format_name: str
) -> ReadError:
    """The ReadError for XML that breaks off after `records_read` whole records: placed
    at the next record and the line libxml2 names, since the records before it stand."""
    where = SourceRef(path, records_read + 1, broken.lineno, format_name)
    after = f" after record {records_read}" if records_read else ""
    return ReadError(where, f"the file is {describe_syntax_error(broken)}{after}")


def _over_limit(message: str) -> str:
    """libxml2's guards against hostile XML (we never set huge_tree): a text over
    10,000,000 bytes, or elements nested over 256 deep. Said as a limit, not as broken
    XML, and without libxml2's advice to the programmer (XML_PARSE_HUGE)."""
    words = _HUGE_ADVICE.sub("", message).strip(" ,")
    return (
        f"XML over a size limit ({words}): one text may be at most "
        "10,000,000 bytes and elements may nest at most 256 deep; nothing after this "
        "point of the file is read"
    )


def text_of(element: Element) -> str:
    """All text inside an element (markup flattened), whitespace collapsed."""
    return " ".join("".join(element.itertext()).split())
