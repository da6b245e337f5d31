"""What one record may hold, checked once for every reader.

A field of megabytes is no abstract or title but a broken export (a whole file pasted
into one field, a missing record separator): published, it would make pages and dumps
of that size and fill the search index. So a record with a value over the limit is
refused with an error naming the field, and the file's other records go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields, is_dataclass

from publisher.model import ReadError, Record, TrialRecord
from publisher.readers.base import ReadItem

MAX_FIELD_CHARS = 1_000_000  # the longest real abstracts are tens of thousands


def within_limits(items: Iterable[ReadItem]) -> Iterator[ReadItem]:
    """The reader's items, with any record holding an oversized value turned into a
    ReadError that names the field."""
    for item in items:
        if not isinstance(item, Record | TrialRecord) or not _too_long(item):
            yield item
            continue
        field, size = oversized_field(item) or ("a field", 0)
        yield ReadError(
            item.source,
            f"{field} is {size:,} characters long, over the limit of {MAX_FIELD_CHARS:,} "
            "for one field; the record is not published",
            field=field,
        )


def _too_long(record: object) -> bool:
    """Whether anything in a record is over the limit: the quick pass every record
    takes (a loop, no names built), so that the check costs little next to reading."""
    pending = [record]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if len(value) > MAX_FIELD_CHARS:
                return True
        elif isinstance(value, list | tuple):
            pending.extend(value)
        elif hasattr(type(value), "__dataclass_fields__"):
            pending.extend(vars(value).values())
    return False


def oversized_field(value: object, path: str = "") -> tuple[str, int] | None:
    """The first value longer than the limit, as (`authors[2].name`, length), or None."""
    if isinstance(value, str):
        return (path, len(value)) if len(value) > MAX_FIELD_CHARS else None
    if isinstance(value, list | tuple):
        children = ((f"{path}[{i}]", item) for i, item in enumerate(value))
    elif is_dataclass(value) and not isinstance(value, type):
        children = ((f"{path}.{f.name}".lstrip("."), getattr(value, f.name)) for f in fields(value))
    else:
        return None
    for child_path, child in children:
        found = oversized_field(child, child_path)
        if found is not None:
            return found
    return None
