"""JSON read incrementally with ijson: what JSON readers share.

`json_shape` looks at the first bytes of a file (what sniffers get) and tells the keys
and first string values found at each ijson prefix, so that formats are told apart by
content: CSL-JSON, Crossref and ClinicalTrials.gov are all JSON objects or arrays of them.

`stream_items` reads a whole file in bounded memory: elements of the record arrays
(`item` for a top-level array, `message.items.item` for a Crossref work list...) are
built and handed over one at a time; everything else is built into one `rest` value.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import ijson


class BinarySource(Protocol):
    """A binary file, or anything with its `read` (such as `Utf8Repair`)."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class JsonShape:
    """What the first bytes of a JSON text show (it may be cut anywhere)."""

    top: str  # "object" or "array"
    keys: dict[str, set[str]] = field(default_factory=dict)  # ijson prefix -> keys seen
    strings: dict[str, str] = field(default_factory=dict)  # ijson prefix -> first string

    def keys_at(self, prefix: str) -> set[str]:
        return self.keys.get(prefix, set())


@lru_cache(maxsize=8)
def json_shape(head: bytes) -> JsonShape | None:
    """The shape of a JSON text from its first bytes; None when they are not JSON."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith((b"{", b"[")):
        return None
    shape: JsonShape | None = None
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(stripped)):
            if shape is None:
                shape = JsonShape("object" if event == "start_map" else "array")
            if event == "map_key":
                shape.keys.setdefault(prefix, set()).add(value)
            elif event == "string":
                shape.strings.setdefault(prefix, value)
    except (ijson.JSONError, ValueError):
        pass  # the head ends mid-text, or the rest is not JSON: judge what was seen
    return shape


_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")


@dataclass(frozen=True)
class JsonItem:
    """One element of a record array, 1-based `position` across the file."""

    position: int
    value: Any


@dataclass(frozen=True)
class JsonRest:
    """The document without its record arrays (they are left empty); `items` counts them."""

    value: Any
    items: int
    top: str  # "object" or "array"


@dataclass(frozen=True)
class JsonBroken:
    """The text stopped being JSON; `items` elements were read before."""

    items: int
    message: str
    in_item: bool  # the error is inside an element, which is lost


def stream_items(
    stream: BinarySource, object_arrays: tuple[str, ...]
) -> Iterator[JsonItem | JsonRest | JsonBroken]:
    """Elements of the arrays at `object_arrays` (ijson prefixes of the arrays, e.g.
    `message.items`) one at a time, then the rest. A top-level array is always a record
    array. Numbers come as int or float, never Decimal."""
    rest = ijson.ObjectBuilder()
    top: str | None = None
    array_prefix: str | None = None  # the record array we are in
    item_prefix = "item"
    in_item = False
    count = 0
    events = ijson.parse(stream, use_float=True)
    try:
        for prefix, event, value in events:
            if top is None:
                top = "object" if event == "start_map" else "array"
                if event == "start_array":
                    array_prefix = ""
            elif array_prefix is None:
                if event == "start_array" and top == "object" and prefix in object_arrays:
                    array_prefix, item_prefix = prefix, f"{prefix}.item"
            elif prefix == item_prefix:  # an element begins: build it, nothing else
                in_item = True
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                if event in _STARTS:
                    depth = 1
                    for _inner, event, value in events:
                        builder.event(event, value)
                        if event in _STARTS:
                            depth += 1
                        elif event in _ENDS:
                            depth -= 1
                            if depth == 0:
                                break
                in_item = False
                count += 1
                yield JsonItem(count, builder.value)
                continue
            elif event == "end_array" and prefix == array_prefix and prefix:
                array_prefix = None
            rest.event(event, value)
    except (ijson.JSONError, ValueError) as error:
        message = _describe(error)
        if top is None and "truncated" in message:
            message = "the file holds no JSON value (it is empty)"
        yield JsonBroken(count, message, in_item)
        return
    if top is None:
        yield JsonBroken(0, "the file holds no JSON value", False)
        return
    yield JsonRest(rest.value, count, top)


def _describe(error: Exception) -> str:
    text = error.args[0] if error.args else str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    first = str(text).strip().splitlines()[0] if str(text).strip() else type(error).__name__
    lowered = first.lower()
    if "premature eof" in lowered or "incomplete" in lowered:
        return f"the JSON is truncated ({first})"
    if "utf8" in lowered or "utf-8" in lowered:
        return f"the JSON is not UTF-8 ({first})"
    return f"the JSON is not well-formed ({first})"


def first_replaced(value: Any, path: str = "") -> str | None:
    """The path of the first string holding U+FFFD (a byte `Utf8Repair` replaced)."""
    if isinstance(value, str):
        return (path or "(value)") if "\ufffd" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if (found := first_replaced(item, f"{path}.{key}" if path else str(key))) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := first_replaced(item, f"{path}[{index}]")) is not None:
                return found
    return None


def text_value(value: Any) -> str | None:
    """A JSON scalar as text (`3` -> "3"), a one-element list as its element; else None."""
    if isinstance(value, list):
        value = next((v for v in value if v not in (None, "")), None)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str | int | float):
        return str(value).strip() or None
    return None
