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


def from_date_parts(date_parts: object) -> PartialDate | None:
    """CSL-JSON / Crossref `date-parts`: `[[2014, 2, 11]]`, `[[2014, 2]]`, `[[2014]]`.

    The first date of the list is read (a second one is the end of a range); parts may
    be numbers or numeric strings. None for `[[null]]`, an empty list or an impossible date.
    """
    if not isinstance(date_parts, list) or not date_parts or not isinstance(date_parts[0], list):
        return None
    numbers: list[int] = []
    for part in date_parts[0][:3]:
        if isinstance(part, bool) or not isinstance(part, int | str | float):
            break
        text = str(part).strip()
        if isinstance(part, float) and part.is_integer():
            text = str(int(part))
        if not text.isdigit():
            break
        numbers.append(int(text))
    if not numbers:
        return None
    return make_partial_date(numbers[0], *numbers[1:3])


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
