"""MARC-in-JSON (the `{"leader": ..., "fields": [{"245": {"ind1": ..., "subfields":
[{"a": ...}]}}]}` serialisation pymarc, MarcEdit and Catmandu write).

A file holds one record, a JSON array of records, or records one after another (JSON
Lines). It is streamed with ijson, one record at a time, never loaded whole (pymarc's
own JSONReader loads the whole file, so it is not used); each record becomes a
`pymarc.Record` and is mapped by `marc_fields`.

A raw control character inside a string (pymarc's own test.json has a line break in a
100 $a) is escaped before ijson sees it, as Python's `json.loads(strict=False)` would
accept it: ijson has no such switch, and one stray byte must not cost the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import ijson
import pymarc

from publisher.model import ReadError, SourceRef
from publisher.readers.base import ReadItem, Utf8Repair
from publisher.readers.marc_fields import HostIndex, MarcDataError, leader, read_article

FORMAT_NAME = "marc-json"
_LEADER_KEY = re.compile(rb'"leader"\s*:\s*"')
_FIELDS_KEY = re.compile(rb'"fields"\s*:\s*\[')
# A run of string content: plain bytes or a backslash escape (not a control byte).
_STRING_RUN = re.compile(rb'(?:[^"\\\x00-\x1f]+|\\[^\x00-\x1f])*')


class ControlCharEscape:
    """A binary stream that writes raw control bytes inside JSON strings as `\\u00XX`
    escapes (the lenient reading `json.loads(strict=False)` gives), tracking whether it
    is inside a string across reads; everything else passes through unchanged."""

    def __init__(self, stream: Utf8Repair) -> None:
        self._stream = stream
        self._in_string = False
        self._after_backslash = False  # the last read ended inside an escape
        self.escaped = 0

    def read(self, size: int = -1) -> bytes:
        return self._escape(self._stream.read(size))

    def _escape(self, data: bytes) -> bytes:
        out: list[bytes] = []
        position = 0
        while position < len(data):
            if self._after_backslash:
                out.append(data[position : position + 1])
                self._after_backslash, position = False, position + 1
            elif not self._in_string:
                quote = data.find(b'"', position)
                end = len(data) if quote < 0 else quote + 1
                out.append(data[position:end])
                self._in_string, position = quote >= 0, end
            else:
                position = self._string_run(data, position, out)
        return b"".join(out)

    def _string_run(self, data: bytes, position: int, out: list[bytes]) -> int:
        """Copy string content from `position` up to and including the next quote,
        backslash or control byte (escaped); returns where to go on."""
        end = _STRING_RUN.match(data, position).end()  # type: ignore[union-attr]
        out.append(data[position:end])
        if end == len(data):
            return end
        byte = data[end]
        if byte == 0x22:  # the closing quote
            out.append(b'"')
            self._in_string = False
        elif byte == 0x5C:  # a backslash whose escaped byte is in the next read
            out.append(b"\\")
            self._after_backslash = True
        else:
            out.append(b"\\u%04x" % byte)
            self.escaped += 1
        return end + 1


class MarcJsonReader:
    name = FORMAT_NAME
    description = "MARC-in-JSON (one record, an array of records, or JSON Lines)"

    def sniff(self, head: bytes) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        return (
            start in (b"[", b"{")
            and bool(_LEADER_KEY.search(head))
            and bool(_FIELDS_KEY.search(head))
        )

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        head = stream.read(4096)
        if not head.strip():
            yield ReadError(SourceRef(path, 1, format=FORMAT_NAME), "the file is empty")
            return
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        source = ControlCharEscape(Utf8Repair(stream, head.removeprefix(b"\xef\xbb\xbf")))
        if first == b"[":
            items = ijson.items(source, "item", use_float=True)
        else:
            items = ijson.items(source, "", multiple_values=True, use_float=True)
        hosts = HostIndex()
        seen: set[str] = set()
        position = 0
        try:
            for item in items:
                position += 1
                where = SourceRef(path, position, format=FORMAT_NAME)
                try:
                    marc = marc_from_json(item)
                except MarcDataError as error:
                    message = f"the MARC-in-JSON record cannot be read: {error}"
                    yield ReadError(where, message, field=error.field)
                    continue
                yield read_article(marc, where, hosts, seen)
        except ijson.JSONError as error:
            where = SourceRef(path, position + 1, format=FORMAT_NAME)
            after = f" after record {position}" if position else ""
            cut = "incomplete" in str(error).lower() or "premature" in str(error).lower()
            what = "truncated" if cut else "not well-formed"
            reason = str(error).strip().splitlines()[0] if str(error).strip() else "no detail"
            yield ReadError(where, f"the file is {what} JSON{after} ({reason})")
            return
        if position == 0:
            yield ReadError(SourceRef(path, 1, format=FORMAT_NAME), "the file holds no record")


def marc_from_json(item: Any) -> pymarc.Record:
    """One MARC-in-JSON object -> pymarc, naming what is wrong when it is not one."""
    if not isinstance(item, dict):
        raise MarcDataError(f"a record must be a JSON object, not {_kind(item)}")
    record = pymarc.Record()
    if "leader" in item:
        if not isinstance(item["leader"], str):
            raise MarcDataError("the leader must be a string", "leader")
        record.leader = leader(item["leader"])
    fields = item.get("fields")
    if not isinstance(fields, list):
        raise MarcDataError('the record has no "fields" list', "fields")
    for index, entry in enumerate(fields, 1):
        if not isinstance(entry, dict) or len(entry) != 1:
            raise MarcDataError(f"field {index} must be an object with one tag", "fields")
        ((tag, value),) = entry.items()
        record.fields.append(_field(str(tag), value))
    return record


def _field(tag: str, value: Any) -> pymarc.Field:
    if isinstance(value, str):
        return pymarc.Field(tag=tag, data=value)
    if not isinstance(value, dict) or not isinstance(value.get("subfields"), list):
        raise MarcDataError(f"field {tag} has neither a value nor subfields", tag)
    subfields = []
    for sub in value["subfields"]:
        if not isinstance(sub, dict) or len(sub) != 1:
            raise MarcDataError(f"a subfield of {tag} must be an object with one code", tag)
        ((code, text),) = sub.items()
        if not isinstance(text, str):
            raise MarcDataError(f"{tag} ${code} must be a string, not {_kind(text)}", tag)
        subfields.append(pymarc.Subfield(code=str(code), value=text))
    indicators = pymarc.Indicators(
        str(value.get("ind1") or " ")[:1], str(value.get("ind2") or " ")[:1]
    )
    return pymarc.Field(tag=tag, indicators=indicators, subfields=subfields)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    return "null" if value is None else names.get(type(value), "a number")
