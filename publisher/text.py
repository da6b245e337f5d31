"""Text shapes shared by readers: markup inside values, page ranges, case reports.

Crossref and CSL-JSON carry abstracts as JATS fragments (`<jats:p>...</jats:p>`) and
titles with inline HTML (`<i>Arabidopsis</i>`); BibTeX, RIS and JSON all write page
ranges in their own way (`439--448`, `439-448`, `107-14`, `e0134826`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# A real tag: a name, then only `name="value"` attributes (`a<b and c>d` is not markup).
_TAG = re.compile(r"</?[A-Za-z][\w.:-]*(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
# Elements that end a paragraph; a section title starts the paragraph after it.
_PARAGRAPHS = {"p", "sec", "div", "br", "li", "list-item", "abstract", "trans-abstract"}
_TITLES = {"title", "h1", "h2", "h3", "h4", "h5", "h6"}
_DROPPED = {"label", "xref", "fn", "sup-xref"}  # reference numbers, footnote markers
_VOID = {"br", "hr", "img", "wbr", "col", "area", "input", "meta", "link", "source"}
_SCRIPTS = {"sup": "sup", "sub": "sub"}
_MATH_SCRIPTS = {"msup": "sup", "msub": "sub"}  # MathML: base, then the script

_SUPERSCRIPT = dict(zip("0123456789+-\u2212=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ", strict=True))
_SUBSCRIPT = dict(zip("0123456789+-\u2212=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎", strict=True))


def raised(text: str, kind: str) -> str:
    """The text of a `<sup>` or `<sub>` that reads the same without markup.

    `10<sup>-19</sup>` is `10⁻¹⁹`, not `10-19` (which reads as a range); `H<sub>2</sub>O`
    is `H₂O`. What Unicode has no super- or subscript for is written `^x` / `_x`,
    parenthesised when longer than one character (`^(a,b)`)."""
    text = " ".join(text.split())
    table = _SUPERSCRIPT if kind == "sup" else _SUBSCRIPT
    if not text:
        return ""
    if all(char in table for char in text):
        return "".join(table[char] for char in text)
    mark = "^" if kind == "sup" else "_"
    return f"{mark}{text}" if len(text) == 1 else f"{mark}({text})"


class _TextCollector(HTMLParser):
    """Paragraphs of a markup fragment; `<title>X</title><p>Y</p>` becomes `X: Y`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._title: list[str] | None = None
        self._pending_title = ""
        self._dropped = 0
        self._scripts: list[tuple[str, list[str], int]] = []  # kind, text, depth it ends at
        self._math: list[list[int | str]] = []  # [kind, depth, children seen] of msup/msub
        self._depth = 0

    @staticmethod
    def _local(tag: str) -> str:
        return tag.rsplit(":", 1)[-1].lower()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = self._local(tag)
        if name in _VOID:
            self.handle_startendtag(tag, attrs)
            return
        self._depth += 1
        if self._math and self._depth == int(self._math[-1][1]) + 1:
            self._math[-1][2] = int(self._math[-1][2]) + 1
            if self._math[-1][2] == 2:  # the script of a MathML msup / msub
                self._scripts.append((str(self._math[-1][0]), [], self._depth))
        if name in _MATH_SCRIPTS:
            self._math.append([_MATH_SCRIPTS[name], self._depth, 0])
        elif name in _SCRIPTS:
            self._scripts.append((_SCRIPTS[name], [], self._depth))
        elif name in _DROPPED:
            self._dropped += 1
        elif name in _TITLES:
            self._flush()
            self._title = []
        elif name in _PARAGRAPHS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._local(tag) in _PARAGRAPHS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        name = self._local(tag)
        if name in _VOID:
            return
        if self._scripts and self._scripts[-1][2] == self._depth:
            kind, pieces, _ = self._scripts.pop()
            self._add(raised("".join(pieces), kind))
        if self._math and int(self._math[-1][1]) == self._depth:
            self._math.pop()
        self._depth = max(self._depth - 1, 0)
        if name in _DROPPED:
            self._dropped = max(self._dropped - 1, 0)
        elif name in _TITLES and self._title is not None:
            title = " ".join("".join(self._title).split())
            self._title = None
            # "Abstract" as the fragment's own heading is not part of the abstract.
            if title and not (title.lower() == "abstract" and not self.paragraphs):
                self._pending_title = title
        elif name in _PARAGRAPHS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._dropped:
            return
        if self._scripts:
            self._scripts[-1][1].append(data)
        else:
            self._add(data)

    def _add(self, text: str) -> None:
        if self._scripts:
            self._scripts[-1][1].append(text)
        else:
            (self._title if self._title is not None else self._current).append(text)

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        self._current = []
        if text:
            if self._pending_title:
                text = f"{self._pending_title.rstrip(':')}: {text}"
                self._pending_title = ""
            self.paragraphs.append(text)

    def close(self) -> None:
        super().close()
        self._flush()
        if self._pending_title:
            self.paragraphs.append(self._pending_title)


def has_markup(text: str) -> bool:
    return bool(_TAG.search(text))


def strip_markup(text: str) -> str:
    """The text of a JATS/HTML fragment, one paragraph per line, entities decoded.

    Text without tags is returned as it is (stripped): `p < 0.05` is not markup.
    """
    if not has_markup(text):
        return text.strip()
    collector = _TextCollector()
    collector.feed(text)
    collector.close()
    return "\n".join(collector.paragraphs)


_DASH = r"(?:-{1,2}|[\u2010-\u2015\u2212])"
_PAGE = r"[^\s,;\-\u2010-\u2015\u2212]+"
_ONE_RANGE = re.compile(rf"^({_PAGE})(?:\s*{_DASH}\s*({_PAGE}))?$")
_LABEL = re.compile(r"^(?:pp?\.|pages?\s*:?|seiten?\s*:?)\s*", re.IGNORECASE)
_NUMBERED = re.compile(r"^([A-Za-z]*)(\d+)(.*)$")


@dataclass(frozen=True)
class Pages:
    """Where an article is in its issue, as text: page numbers are names, not numbers
    (`026002` keeps its zero, `e123` and `1021.e6` are pages too).

    `pagination` is the source's whole text when it says more than one range
    (`1787-8; discussion 1791`) or does not split at all: published as schema:pagination
    so that nothing the source said is lost."""

    start: str | None = None
    end: str | None = None
    pagination: str | None = None


def parse_pages(text: str | None) -> Pages:
    """Every reader's page text -> Pages.

    `439--448`, `439-448`, en dash -> 439..448; abbreviated ends as MEDLINE writes them
    (`107-14` -> 114, `S1-5` -> S5); `e0134826`, `026002` -> a start page alone;
    `1016-1021.e6` -> 1016..1021.e6; `1787-8; discussion 1791` -> 1787..1788 with the
    whole text as pagination.
    """
    whole = " ".join((text or "").split())
    if not whole:
        return Pages()
    parts = re.split(r"[;,]", _LABEL.sub("", whole), maxsplit=1)
    match = _ONE_RANGE.match(parts[0].strip())
    if not match:
        return Pages(pagination=whole)
    start, end = match.group(1), match.group(2)
    pages = page_bounds(start, end)
    if len(parts) > 1 or pages.pagination:
        return Pages(pages.start, pages.end, whole)
    return pages


def page_bounds(start: str | None, end: str | None) -> Pages:
    """A first and a last page given apart (RIS SP/EP, WoS BP/EP, PubMed StartPage and
    EndPage): an abbreviated last page (`SP 377`, `EP 86`) is expanded to 386. A last
    page that still comes before the first is not published as pageEnd: the two are
    kept as pagination text instead."""
    start = " ".join((start or "").split()) or None
    end = " ".join((end or "").split()) or None
    if start is None or end is None or start == end:
        return Pages(start, end if start is None else None)
    first, last = _NUMBERED.match(start), _NUMBERED.match(end)
    if not first or not last:
        return Pages(start, end)
    prefix = last.group(1) or first.group(1)
    number = last.group(2)
    if not last.group(1) and len(number) < len(first.group(2)):
        number = first.group(2)[: len(first.group(2)) - len(number)] + number
    if prefix == first.group(1) and int(number) < int(first.group(2)):
        return Pages(start, None, f"{start}-{end}")
    return Pages(start, prefix + number + last.group(3))


def split_page_range(text: str | None) -> tuple[str | None, str | None]:
    """First and last page of `parse_pages`, for callers that keep no pagination."""
    pages = parse_pages(text)
    return pages.start, pages.end


_CASE_REPORT = re.compile(r"\bcase\s+reports?\b|\bfallberichte?\b", re.IGNORECASE)


def mentions_case_report(text: str | None) -> bool:
    """A title or type word that says the article is a case report."""
    return bool(text and _CASE_REPORT.search(text))
