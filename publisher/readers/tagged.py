"""Tagged-line formats read with rispy, one record at a time: RIS and Web of Science.

Both write one field per line behind a two-character tag, a record running from a start
tag (`TY`, `PT`) to `ER`. rispy parses whole texts only, so the stream is cut into
records here, line by line, with rispy's own idea of a tag line (its parser's
`parse_line`), and each record's lines are handed to rispy alone: memory stays bounded
however many records a file holds. Lines outside records are skipped, as rispy skips
them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from publisher.model import ReadError, SourceRef
from publisher.readers.base import ReadItem

Entry = dict[str, Any]  # tag -> list of values, as rispy gives them with an identity mapping
EntryParser = Callable[[Entry, SourceRef, set[str]], ReadItem]
UNKNOWN = "UK"  # where rispy puts tags missing from its mapping


def parser_options(tags: list[str], record_tags: tuple[str, str]) -> dict[str, Any]:
    """rispy options that keep every tag, under its own name, as a list of values
    (rispy's default mapping keeps only the first of a repeated single-value tag);
    `record_tags` (start, end) stay single values."""
    return {
        "mapping": {tag: tag for tag in [*tags, UNKNOWN]},
        "list_tags": [tag for tag in tags if tag not in (UNKNOWN, *record_tags)],
        "delimiter_tags_mapping": {},
    }


def values(entry: Entry, *tags: str) -> list[str]:
    """Every non-empty value of the tags, in tag order then file order."""
    found: list[str] = []
    for tag in tags:
        value = entry.get(tag)
        if value is None and isinstance(entry.get(UNKNOWN), dict):
            value = entry[UNKNOWN].get(tag)
        items = value if isinstance(value, list) else [value]
        found.extend(v.strip() for v in items if isinstance(v, str) and v.strip())
    return found


def first(entry: Entry, *tags: str) -> str | None:
    return next(iter(values(entry, *tags)), None)


def read_tagged(
    stream: Iterable[bytes], path: str, parser: Any, format_name: str, parse_entry: EntryParser
) -> Iterator[ReadItem]:
    """Every record of the stream, parsed by `parse_entry`; broken ones as ReadErrors."""
    start_tag, end_tag = parser.START_TAG, parser.END_TAG
    seen_ids: set[str] = set()
    position = line_number = 0
    chunk: _Chunk | None = None
    for line_number, raw in enumerate(stream, 1):
        line, bad = _decode(raw, first=line_number == 1)
        tag = parser.parse_line(line)[0] if line.strip() else None
        if tag == start_tag:
            if chunk is not None:
                position += 1
                why = f"a new record starts on line {line_number}"
                yield chunk.unclosed(path, position, format_name, end_tag, why)
            chunk = _Chunk(line_number)
        if chunk is None:
            continue  # between records: numbering, blank lines, file header
        chunk.lines.append(line)
        if bad is not None and chunk.bad is None:
            chunk.bad = (line_number, tag, bad)
        if tag == end_tag:
            position += 1
            yield chunk.parse(
                parser, SourceRef(path, position, chunk.start, format_name), seen_ids, parse_entry
            )
            chunk = None
    if chunk is not None:
        position += 1
        yield chunk.unclosed(
            path, position, format_name, end_tag, "the file ends first (is it truncated?)"
        )
    if position == 0:
        what = "is empty" if line_number == 0 else f"has no `{start_tag}` line"
        yield ReadError(SourceRef(path, 1, format=format_name), f"no record: the file {what}")


def _decode(raw: bytes, first: bool) -> tuple[str, int | None]:
    """The line without its end, and the offset of a byte that is not UTF-8 (or None)."""
    try:
        text = raw.decode("utf-8-sig" if first else "utf-8")
        bad = None
    except UnicodeDecodeError as error:
        text, bad = raw.decode("utf-8", errors="replace"), error.start
    return text.rstrip("\r\n"), bad


@dataclass
class _Chunk:
    """The lines of one record, from its start line on."""

    start: int
    lines: list[str] = field(default_factory=list)
    bad: tuple[int, str | None, int] | None = None  # line, its tag, byte offset

    def unclosed(
        self, path: str, position: int, format_name: str, end_tag: str, why: str
    ) -> ReadError:
        where = SourceRef(path, position, self.start, format_name)
        return ReadError(where, f"the record has no `{end_tag}` end line: {why}", end_tag)

    def parse(
        self, parser: Any, where: SourceRef, seen_ids: set[str], parse_entry: EntryParser
    ) -> ReadItem:
        if self.bad is not None:
            line, tag, offset = self.bad
            return ReadError(
                where,
                f"line {line} is not UTF-8 text (bad byte at column {offset + 1}; Latin-1?)",
                tag,
            )
        try:
            (entry,) = parser.parse_lines(iter(self.lines))
            return parse_entry(entry, where, seen_ids)
        except Exception as error:  # rispy or the mapping met something it cannot read
            return ReadError(where, f"could not read the record: {error!r}")
