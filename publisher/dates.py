"""Dates as precise as the source gave them, never padded to a fake day."""

from __future__ import annotations

import re

from publisher.model import PartialDate

_ISO_LIKE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_partial_date(text: str) -> PartialDate | None:
    """Parse `2021`, `2021-08` or `2021-08-01`; None when it is not a real date."""
    match = _ISO_LIKE.match(text.strip())
    if not match:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    return make_partial_date(year, month, day)


def make_partial_date(
    year: int, month: int | None = None, day: int | None = None
) -> PartialDate | None:
    """Build a PartialDate, refusing impossible months and days (2021-02-30)."""
    import calendar

    if month is None:
        return PartialDate(year)
    if not 1 <= month <= 12:
        return None
    if day is None:
        return PartialDate(year, month)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return PartialDate(year, month, day)


_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}


def month_number(text: str | None) -> int | None:
    """`Jan`, `January`, `01` or `1` -> 1; None for seasons, ranges and anything else."""
    key = (text or "").strip().rstrip(".").lower()
    if key.isdigit():
        number = int(key)
        return number if 1 <= number <= 12 else None
    return _MONTH_NAMES.get(key)
