"""Text shapes shared by readers: markup inside values, page ranges, case reports.

Crossref and CSL-JSON carry abstracts as JATS fragments (`<jats:p>...</jats:p>`) and
titles with inline HTML (`<i>Arabidopsis</i>`); BibTeX, RIS and JSON all write page
ranges in their own way (`439--448`, `439-448`, `107-14`, `e0134826`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# A real tag: a name, then only `name="value"` attributes (`a<b and c>d` is not markup).
_TAG = re.compile(r"</?[A-Za-z][\w.:-]*(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
# Elements that end a paragraph; a section title starts the paragraph after it.
_PARAGRAPHS = {"p", "sec", "div", "br", "li", "list-item", "abstract", "trans-abstract"}
_TITLES = {"title", "h1", "h2", "h3", "h4", "h5", "h6"}
_DROPPED = {"label", "xref", "fn", "sup-xref"}  # reference numbers, footnote markers


class _TextCollector(HTMLParser):
    """Paragraphs of a markup fragment; `<title>X</title><p>Y</p>` becomes `X: Y`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._title: list[str] | None = None
        self._pending_title = ""
        self._dropped = 0

    @staticmethod
    def _local(tag: str) -> str:
        return tag.rsplit(":", 1)[-1].lower()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = self._local(tag)
        if name in _DROPPED:
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
        (self._title if self._title is not None else self._current).append(data)

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


_PAGE_RANGE = re.compile(
    r"^\s*([^\s,;\-\u2010-\u2015]+)\s*(?:(?:-{1,2}|[\u2010-\u2015])\s*([^\s,;]+))?"
)


def split_page_range(text: str | None) -> tuple[str | None, str | None]:
    """`439--448` / `439-448` / en dash -> ("439", "448"); `e0134826` -> ("e0134826", None).

    An abbreviated end page (`107-14`, as MEDLINE writes it) is expanded to `114`. Only
    the first range of a list (`1-5, 9`) is read.
    """
    match = _PAGE_RANGE.match(text or "")
    if not match:
        return None, None
    start, end = match.group(1), match.group(2)
    if start and end and start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return start, end or None


_CASE_REPORT = re.compile(r"\bcase\s+reports?\b|\bfallberichte?\b", re.IGNORECASE)


def mentions_case_report(text: str | None) -> bool:
    """A title or type word that says the article is a case report."""
    return bool(text and _CASE_REPORT.search(text))
