"""MARC 21 in ISO 2709 transmission format (`.mrc`, `.dat`): binary records.

Records are framed by their terminator (0x1D), read one at a time from the stream, and
decoded by pymarc (`to_unicode`: MARC-8 when Leader/09 is blank, UTF-8 when it is
`a`). Framing by the terminator rather than by the length in Leader/00-04 means that a
record with a wrong length is one ReadError and the records after it are still read.
A record whose Leader/09 says MARC-8 but whose bytes are valid UTF-8 with non-ASCII
characters (a common export mistake) is read as UTF-8, with a warning. The fields are
mapped by `marc_fields`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import IO

import pymarc

from publisher.model import ReadError, Record, SourceRef
from publisher.readers.base import ReadItem
from publisher.readers.marc_fields import HostIndex, read_article, replacement_field

FORMAT_NAME = "marc21"
TERMINATOR = b"\x1d"
FIELD_END = b"\x1e"
MAX_RECORD = 99_999  # Leader/00-04 has five digits
CHUNK = 64 * 1024
_LEADER = re.compile(rb"^\d{5}[ -~]{5}\d{2}\d{5}[ -~]{3}\d{4}$")


class MarcBinaryReader:
    name = FORMAT_NAME
    description = "MARC 21 binary (ISO 2709), MARC-8 or UTF-8"

    def sniff(self, head: bytes) -> bool:
        leader = head.lstrip(b"\r\n")[:24]
        if not _LEADER.match(leader):
            return False
        body = head.lstrip(b"\r\n")
        return FIELD_END in body[24:] and (TERMINATOR in body or len(head) >= 65536)

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        hosts = HostIndex()
        seen: set[str] = set()
        position = 0
        for chunk, offset, complete in _frames(stream):
            position += 1
            source = SourceRef(path, position, format=FORMAT_NAME)
            if not complete:
                yield ReadError(
                    source,
                    f"the record at byte {offset} is truncated: the file ends "
                    "without its record terminator (0x1D)",
                    field="Leader/00-04",
                )
                continue
            marc = _decode(chunk, offset, source)
            if isinstance(marc, ReadError):
                yield marc
                continue
            record, warning = marc
            item = read_article(record, source, hosts, seen)
            if warning and isinstance(item, Record):
                item.warnings.append(warning)
            yield item
        if position == 0:
            yield ReadError(SourceRef(path, 1, format=FORMAT_NAME), "the file holds no record")


def _frames(stream: IO[bytes]) -> Iterator[tuple[bytes, int, bool]]:
    """(record bytes with terminator, byte offset, complete?) one record at a time."""
    buffer = b""
    offset = 0  # file offset of buffer[0]
    while True:
        data = stream.read(CHUNK)
        buffer += data
        while True:
            end = buffer.find(TERMINATOR)
            if end < 0:
                break
            frame = buffer[: end + 1]
            skipped = len(frame) - len(frame.lstrip(b"\r\n \x00"))
            if frame.strip(b"\r\n \x00" + TERMINATOR):
                yield frame[skipped:], offset + skipped, True
            buffer = buffer[end + 1 :]
            offset += end + 1
        if len(buffer) > MAX_RECORD:  # no terminator where one must be: resynchronise
            yield buffer[:MAX_RECORD], offset, False
            buffer = buffer[MAX_RECORD:]
            offset += MAX_RECORD
        if not data:
            break
    rest = buffer.strip(b"\r\n \x00\x1a")  # \x1a: a DOS end-of-file mark
    if rest:
        yield rest, offset, False


def _decode(chunk: bytes, offset: int, source: SourceRef) -> tuple[pymarc.Record, str] | ReadError:
    """pymarc's record, and a warning when the encoding had to be guessed."""
    leader = chunk[:24]
    if not leader[:5].isdigit():
        return ReadError(
            source,
            f"the record at byte {offset} does not start with a leader "
            f"(its length, Leader/00-04, is {leader[:5]!r})",
            field="Leader/00-04",
        )
    force_utf8 = False
    warning = ""
    if leader[9:10] != b"a" and _is_utf8_not_ascii(chunk):
        force_utf8 = True
        warning = "Leader/09 says MARC-8, but the record is UTF-8: read as UTF-8"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record = pymarc.Record(
                chunk, to_unicode=True, force_utf8=force_utf8, hide_utf8_warnings=True
            )
    except UnicodeDecodeError:
        where = _bad_field(chunk)
        return ReadError(
            source,
            f"the record at byte {offset} says it is UTF-8 (Leader/09 'a') but "
            f"{where or 'it'} holds bytes that are not UTF-8",
            field=where or "Leader/09",
        )
    except (pymarc.exceptions.PymarcException, ValueError, IndexError) as error:
        reason = (error.__doc__ or type(error).__name__).strip().splitlines()[0]
        return ReadError(
            source,
            f"the record at byte {offset} cannot be decoded: {reason} ({type(error).__name__})",
            field="Leader",
        )
    return record, warning


def _is_utf8_not_ascii(chunk: bytes) -> bool:
    if chunk.isascii():
        return False
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bad_field(chunk: bytes) -> str | None:
    """Where (`245 $a`) the bytes that are not UTF-8 are, from a lenient second read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record = pymarc.Record(chunk, to_unicode=True, utf8_handling="replace")
    except Exception:  # the lenient read only serves the message
        return None
    return replacement_field(record)
