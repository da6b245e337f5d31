"""Streaming XML for readers: root sniffing, safe `iterparse`, freeing what was read.

Every XML reader parses with `lxml.etree.iterparse`, one record element at a time,
and frees each record once read (`release`), so memory stays bounded however many
records a file holds. External entities and DTDs are never loaded, nor is the network
touched. A UTF-8 file with a few bad bytes (Latin-1 text pasted in) goes through
`base.Utf8Repair`, so one bad record does not cost the rest of the file: the reader
rejects the record holding U+FFFD, naming the field.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import IO, Any, cast

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
        self.input = InputEnd(stream)
        stream = cast(IO[bytes], self.input)
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


def iterparse(source: XmlSource, tags: Sequence[str]) -> Iterator[tuple[str, Element]]:
    """End events of the given tags (Clark notation, `{*}name` for any namespace)."""
    return iter(
        etree.iterparse(
            source,
            events=("end",),
            tag=tuple(tags),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
        )
    )


def release(element: Element) -> None:
    """Free a record that has been read, and everything before it in the tree."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


XMLSyntaxError = etree.XMLSyntaxError
_CUT_OFF = ("premature end", "end of data", "not closed", "no element found")
_OVER_LIMIT = ("resource limit exceeded", "xml_parse_huge", "excessive depth")
_HUGE_ADVICE = re.compile(r",?\s*(?:try|use) XML_PARSE_HUGE(?: option)?")


def describe_syntax_error(error: Exception, source: XmlSource | None = None) -> str:
    """`truncated` or `not well-formed`, with libxml2's own words. With the `source`, an
    error right where the input stops is a truncation whatever libxml2 calls it (a file
    cut inside a tag gives "Couldn't find end of Start Tag")."""
    message = str(getattr(error, "msg", "") or error)
    if any(words in message.lower() for words in _OVER_LIMIT):
        return _over_limit(message)
    cut = any(words in message.lower() for words in _CUT_OFF)
    cut = cut or (source is not None and source.input.ends_at(error))
    return f"{'truncated' if cut else 'not well-formed'} XML ({message})"


def syntax_error_item(
    error: etree.XMLSyntaxError, source: XmlSource, path: str, records_read: int, format_name: str
) -> ReadError:
    """The ReadError for XML that breaks off after `records_read` whole records: placed
    at the next record and the line libxml2 names, since the records before it stand."""
    where = SourceRef(path, records_read + 1, error.lineno or None, format_name)
    after = f" after record {records_read}" if records_read else ""
    return ReadError(where, f"the file is {describe_syntax_error(error, source)}{after}")


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


_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 continuation bytes: not characters


class InputEnd:
    """A stream that knows where it ended (line, characters into the last line), so that
    an XML error there can be called a truncation."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.lines = 1
        self.last_line_chars = 0  # libxml2 counts columns in characters, not bytes
        self.eof = False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.eof = self.eof or not data
        newlines = data.count(b"\n")
        self.lines += newlines
        tail = data[data.rfind(b"\n") + 1 :] if newlines else data
        chars = len(tail.translate(None, _CONTINUATION))
        self.last_line_chars = chars + (0 if newlines else self.last_line_chars)
        return data

    def ends_at(self, error: Exception) -> bool:
        """The error is where the input stops (within its last 64 characters)."""
        line, column = getattr(error, "position", None) or (0, 0)
        return self.eof and line == self.lines and column + 64 >= self.last_line_chars
