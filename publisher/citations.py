"""Where in a journal an article is, as catalogues and repositories write it in text.

MARC 773 $g (`Vol. 11 (2021), 5, p. 439-448`, `5. Jahrgang, Nr. 3 (2022), Seite 6-13`,
`Vol. 1, no. 1 (Apr. 2023)`), Dublin Core `dc:source` parts (`Vol. 5 No. 2 (2020)`,
`45-60`) and Vancouver-style `11(5):439-48` all say volume, issue, pages (or an article
number, `article 699946`) and year in words or punctuation; `parse_enumeration` reads
what it can and leaves the rest None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from publisher.dates import month_number
from publisher.text import page_bounds

_NUMBER = r"(\d[\w./-]*|[IVXLC]+\b)"  # 11, 12/1, 5a, suppl1 after a label, XII
_VOLUME = re.compile(
    r"\b(?:vol(?:ume)?|v|bd|band|jg|jahrg(?:ang)?|tome?|année|annee)\.?\s*" + _NUMBER,
    re.IGNORECASE,
)
_VOLUME_AFTER = re.compile(r"\b(\d+)\.\s*(?:jahrgang|jg\b|band|bd\b)", re.IGNORECASE)
_ISSUE = re.compile(
    r"\b(?:no|nr|n|n[uú]m(?:ber|ero|éro)?|heft|h|ausgabe|issue|iss|fasc|cuaderno)\.?\s*"
    r"(\d[\w/-]*|suppl\w*)",
    re.IGNORECASE,
)
# A page number the cataloguer inferred (an unnumbered first page) is bracketed:
# `S. [3] - 25`, `Seite [123]-157`.
_PAGES = re.compile(
    r"(?:\b(?:pp?|s|seiten?|pages?|pág|págs|art(?:icle|ikel)?(?:\s*no)?)\.?\s*:?\s*)"
    r"\[?([A-Za-z]?\d+[\w]*)\]?(?:\s*[-\u2013]\s*\[?([A-Za-z]?\d+\w*)\]?)?",
    re.IGNORECASE,
)
_BARE_PAGES = re.compile(r"^\s*([A-Za-z]?\d+\w*)\s*[-\u2013]\s*([A-Za-z]?\d+\w*)\s*$")
_VANCOUVER = re.compile(
    r"\b(\d+)\s*\(([^()]+)\)\s*:\s*([A-Za-z]?\d+\w*)(?:\s*[-\u2013]\s*([A-Za-z]?\d+\w*))?"
)
_YEAR = re.compile(r"(?<![\d-])(1[5-9]\d\d|20\d\d)(?![\d-])")
_YEAR_IN_PARENS = re.compile(r"\(([^()]*?)\b(1[5-9]\d\d|20\d\d)\)")
# "Vol. 11 (2021), 5, p. ...": a bare number right after the year is the issue.
_ISSUE_AFTER_YEAR = re.compile(
    r"\((?:[^()]*?)\b(?:1[5-9]\d\d|20\d\d)\)\s*,\s*(\d[\w/-]*)\s*(?:,|$)"
)


@dataclass(frozen=True)
class Enumeration:
    volume: str | None = None
    issue: str | None = None
    page_start: str | None = None
    page_end: str | None = None
    year: int | None = None
    month: int | None = None

    def is_empty(self) -> bool:
        return not (self.volume or self.issue or self.page_start or self.year)


def parse_enumeration(text: str) -> Enumeration:
    """Volume, issue, pages, year (and month where a name stands by the year) from text.

    `;` separates parts read one by one (`Vol. 5 No. 2 (2020); 45-60`): the first part
    that names a value gives it."""
    if ";" in text:
        found = [_parse_part(part) for part in text.split(";") if part.strip()]
        return Enumeration(
            *(
                next((getattr(f, name) for f in found if getattr(f, name)), None)
                for name in ("volume", "issue", "page_start", "page_end", "year", "month")
            )
        )
    return _parse_part(text)


def _parse_part(text: str) -> Enumeration:
    volume = issue = page_start = page_end = None
    if vancouver := _VANCOUVER.search(text):
        volume, issue = vancouver.group(1), vancouver.group(2).strip()
        page_start, page_end = vancouver.group(3), vancouver.group(4)
    if volume is None and (match := _VOLUME.search(text) or _VOLUME_AFTER.search(text)):
        volume = match.group(1).rstrip(".")
    if issue is None and (match := _ISSUE.search(text) or _ISSUE_AFTER_YEAR.search(text)):
        issue = match.group(1).rstrip(".")
    if page_start is None and (match := _PAGES.search(text) or _BARE_PAGES.match(text)):
        page_start, page_end = match.group(1), match.group(2)
    if page_start and page_end:  # `439-48` as MEDLINE abbreviates it -> 448
        pages = page_bounds(page_start, page_end)
        page_start, page_end = pages.start, pages.end
    year, month = _year_month(text)
    return Enumeration(volume, issue, page_start, page_end, year, month)


def _year_month(text: str) -> tuple[int | None, int | None]:
    in_parens = _YEAR_IN_PARENS.search(text)
    if in_parens:
        before = in_parens.group(1).strip().split()
        month = month_number(before[-1]) if before else None
        return int(in_parens.group(2)), month
    year = _YEAR.search(text)
    return (int(year.group(1)), None) if year else (None, None)
