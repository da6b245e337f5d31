"""BibTeX (and BibLaTeX) `.bib` files, one `@article` entry after another.

The file is read line by line and cut into top-level blocks (`@type{...}` or
`@type(...)`, braces counted); each block is parsed on its own by bibtexparser, with
the `@string` macros seen so far, so memory stays bounded however many entries a file
holds. A line starting with `@type{` where the previous entry is still open starts a
new block: the unclosed entry is rejected on its own instead of swallowing the rest.

Values are LaTeX-decoded with pylatexenc (the decoder bibtexparser's
`LatexDecodingMiddleware` uses, math as text): `M{\\"u}ller` -> `Müller`, braces
dropped; a bare `%` or `&` (Crossref and Citavi write them unescaped) is kept as text,
not read as a LaTeX comment or a table's column separator. Identifiers (DOI, URL, ISSN,
pages) are not decoded.

Only `@article` is published so far; other entry types are rejected naming the type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    MonthIntMiddleware,
    NormalizeFieldKeys,
    SeparateCoAuthors,
    default_parse_stack,
)
from bibtexparser.middlewares.names import parse_single_name_into_parts
from bibtexparser.model import Entry
from pylatexenc import latexwalker
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from publisher.dates import make_partial_date, parse_partial_date
from publisher.identifiers import clean_doi, find_issns
from publisher.languages import to_language_tag
from publisher.model import (
    Agent,
    Organization,
    Periodical,
    Person,
    ReadError,
    Record,
    Skipped,
    SourceRef,
    UnknownField,
)
from publisher.names import is_organization_name
from publisher.readers.base import ReadItem, claim_source_id, set_pages
from publisher.text import mentions_case_report, parse_pages

FORMAT_NAME = "bibtex"
ARTICLE_TYPES = {"article"}
NOT_RECORDS = {"comment", "preamble", "string"}
# Fields read below, or deliberately not published (file attachments, timestamps...).
HANDLED = {
    "title", "author", "editor", "journal", "journaltitle", "shortjournal", "journalabbrev",
    "volume", "number", "issue", "pages", "year", "month", "day", "date", "doi", "url",
    "issn", "abstract", "keywords", "language", "langid", "pmid", "eprint", "eprinttype",
    "publisher", "copyright", "urldate", "file", "timestamp", "owner", "bdsk-url-1",
}  # fmt: skip
_ENTRY_START = re.compile(r"@\s*([A-Za-z][\w-]*)\s*([{(])")
_LINE_STARTS_ENTRY = re.compile(r"^\s*@\s*[A-Za-z][\w-]*\s*[{(]")
# `@article{key,` or `@string{name =` at the start of a line.
_SNIFF = re.compile(r"^\s*@\s*[A-Za-z][\w-]*\s*[{(]\s*(?:[^\s,={}()\"]*\s*,|[A-Za-z][\w-]*\s*=)")
_DELIMITERS = re.compile(r"[{}()]")
# `%` and `&` written bare: text, not a comment or an alignment tab (pylatexenc drops both).
_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")


def _decoder() -> LatexNodes2Text:
    """pylatexenc configured as bibtexparser's LatexDecodingMiddleware does, math as text."""
    context = get_default_latex_context_db()
    context.add_context_category(
        "bibtexparse-default-context",
        prepend=True,
        macros=[MacroTextSpec("url", simplify_repl="%s")],
    )
    return LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="text")


_LATEX = _decoder()
# pylatexenc's `latex_to_text` builds its parser's macro table anew on every call; the
# walker gets it once here (the values are many and short: names, titles).
_WALKER_CONTEXT = latexwalker.get_default_latex_context_db()
_NEEDS_DECODING = re.compile(r"[\\$~^_&%]|--|``|''")


def latex_text(value: str) -> str:
    """LaTeX -> text, whitespace collapsed within paragraphs."""
    text = value.replace("{", "").replace("}", "")  # protective braces only: no LaTeX
    if _NEEDS_DECODING.search(value):
        try:
            walker = latexwalker.LatexWalker(
                _BARE_SPECIAL.sub(r"\\\1", value),
                latex_context=_WALKER_CONTEXT,
                tolerant_parsing=True,
            )
            nodes, _position, _length = walker.get_latex_nodes()
            text = _LATEX.nodelist_to_text(nodes)
        except Exception:  # pylatexenc gives up on broken markup: keep the source text
            text = value
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n".join(p for p in paragraphs if p)


def _parse_stack() -> list[Any]:
    return [
        *default_parse_stack(),
        NormalizeFieldKeys(),
        MonthIntMiddleware(),
        SeparateCoAuthors(),
    ]


@dataclass
class Block:
    """One top-level `@type{...}` block as text, with where it starts."""

    line: int
    kind: str  # entry type, lower-cased
    parts: list[str] = field(default_factory=list)
    closed: bool = False
    bad: tuple[int, int] | None = None  # line and column of a byte that is not UTF-8

    @property
    def text(self) -> str:
        return "".join(self.parts)


def split_blocks(stream: IO[bytes]) -> Iterator[Block]:
    """Top-level blocks, in file order; text between them is comment, as in BibTeX."""
    block: Block | None = None
    braces = 0
    closer = "}"
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            bad = None
        except UnicodeDecodeError as error:
            line, bad = raw.decode("utf-8", errors="replace"), (number, error.start + 1)
        if block is not None and braces <= 1 and _LINE_STARTS_ENTRY.match(line):
            yield block  # still open: a brace is missing; the new entry is read on its own
            block = None
        position = 0
        while position < len(line):
            start = position
            if block is None:
                at = line.find("@", position)
                match = _ENTRY_START.match(line, at) if at >= 0 else None
                if match is None:
                    break
                block = Block(number, match.group(1).lower())
                closer = "}" if match.group(2) == "{" else ")"
                braces = 1 if closer == "}" else 0
                start, position = at, match.end()
            if bad is not None and block.bad is None:
                block.bad = bad
            end = _closing(line, position, closer, braces)
            if isinstance(end, int):
                block.parts.append(line[start : end + 1])
                block.closed = True
                yield block
                block, position = None, end + 1
            else:
                block.parts.append(line[start:])
                braces, position = end[1], len(line)
    if block is not None:
        yield block


def _closing(line: str, position: int, closer: str, braces: int) -> int | tuple[None, int]:
    """Where the block closes on this line, or (None, brace depth at the line's end)."""
    for match in _DELIMITERS.finditer(line, position):
        char = match.group()
        if char == "{":
            braces += 1
        elif char == "}":
            braces -= 1
            if closer == "}" and braces == 0:
                return match.start()
        elif char == ")" and closer == ")" and braces == 0:
            return match.start()
    return None, braces


class BibtexReader:
    name = FORMAT_NAME
    description = "BibTeX / BibLaTeX .bib entries (@article)"

    def sniff(self, head: bytes) -> bool:
        text = head.decode("utf-8-sig", errors="ignore")
        return any(_SNIFF.match(line) for line in text.splitlines())

    def read(self, stream: IO[bytes], path: str) -> Iterator[ReadItem]:
        strings = Library()
        seen_ids: set[str] = set()
        position = 0
        for block in split_blocks(stream):
            if block.kind in NOT_RECORDS:
                if block.kind == "string" and block.closed and block.bad is None:
                    _parse(block.text, strings)  # a broken macro just stays undefined
                continue
            position += 1
            where = SourceRef(path, position, block.line, FORMAT_NAME)
            yield self._entry(block, where, strings, seen_ids)
        if position == 0:
            yield ReadError(SourceRef(path, 1, format=FORMAT_NAME), "no BibTeX entry in the file")

    def _entry(self, block: Block, where: SourceRef, strings: Library, seen: set[str]) -> ReadItem:
        if not block.closed:
            return ReadError(
                where,
                f"the @{block.kind} entry is not closed "
                "(a brace is missing, or the file is truncated)",
                "entry",
            )
        if block.bad is not None:
            line, column = block.bad
            return ReadError(
                where, f"line {line} is not UTF-8 text (bad byte at column {column}; Latin-1?)"
            )
        if block.kind not in ARTICLE_TYPES:
            return Skipped(
                where,
                f"@{block.kind} is not an article: only @article entries are published",
                "entry type",
            )
        library = Library(list(strings.strings))
        try:
            _parse(block.text, library)
        except Exception as error:  # bibtexparser met something it cannot read
            return ReadError(where, f"bibtexparser could not read the entry: {error!r}")
        if library.failed_blocks:
            failure = library.failed_blocks[0].error
            return ReadError(where, f"bibtexparser could not read the entry: {failure}")
        if not library.entries:
            return ReadError(where, "bibtexparser found no entry in the block", "entry")
        try:
            return parse_entry(library.entries[0], where, seen)
        except Exception as error:  # an entry we cannot read must not stop the file
            return ReadError(where, f"could not read the entry: {error!r}")


def _parse(text: str, library: Library) -> None:
    parse_string(text, parse_stack=_parse_stack(), library=library)


def _value(entry: Entry, *keys: str) -> str | None:
    for key in keys:
        found = entry.fields_dict.get(key)
        if found is not None and isinstance(found.value, str | int) and str(found.value).strip():
            return str(found.value).strip()
    return None


def _plain(value: str | None) -> str | None:
    """An identifier-like value: braces dropped, not LaTeX-decoded."""
    return value.replace("{", "").replace("}", "").strip() or None if value else None


def parse_entry(entry: Entry, where: SourceRef, seen_ids: set[str]) -> Record | ReadError:
    """One bibtexparser Entry -> Record."""
    raw_title = _value(entry, "title")
    title = latex_text(raw_title) if raw_title else ""
    if not title:
        return ReadError(where, f"@{entry.entry_type}{{{entry.key}}} has no title", "title")
    record = Record(source=where, title=title)
    record.authors = _agents(record, entry, "author")
    record.contributors = _agents(record, entry, "editor")
    _periodical(record, entry)
    record.volume = _plain(_value(entry, "volume"))
    record.issue = _plain(_value(entry, "number", "issue"))
    set_pages(record, parse_pages(_plain(_value(entry, "pages"))))
    _date(record, entry)
    if doi := _plain(_value(entry, "doi")):
        record.doi = clean_doi(doi)
    if url := _plain(_value(entry, "url")):
        if clean_doi(url) != url:
            record.doi = record.doi or clean_doi(url)
        elif url.lower().startswith(("http://", "https://")):
            record.links.append(url)
    if abstract := _value(entry, "abstract"):
        record.abstract = latex_text(abstract) or None
    for keyword in re.split(r"[;,]", latex_text(_value(entry, "keywords") or "")):
        if keyword.strip() and keyword.strip() not in record.subjects:
            record.subjects.append(keyword.strip())
    for language in re.split(r"[;,]| and ", latex_text(_value(entry, "language", "langid") or "")):
        if not language.strip():
            continue
        tag = to_language_tag(language)
        if tag is None:
            record.warnings.append(f"language: unknown language {language.strip()!r} not published")
        elif tag not in record.languages:
            record.languages.append(tag)
    pmid = _plain(_value(entry, "pmid"))
    if pmid is None and (_value(entry, "eprinttype") or "").lower() == "pubmed":
        pmid = _plain(_value(entry, "eprint"))
    record.pmid = pmid
    claim_source_id(record, entry.key, seen_ids, "entry key", local=True)
    if mentions_case_report(record.title):
        record.publication_types.append("Case Reports")
    for found in entry.fields:
        if (
            found.key not in HANDLED
            and isinstance(found.value, str | int)
            and str(found.value).strip()
        ):
            record.unknown_fields.append(UnknownField(found.key, latex_text(str(found.value))))
    return record


def _agents(record: Record, entry: Entry, key: str) -> list[Agent]:
    """`A and B`, each `Family, Given`, `Given Family` or `{Corporate Name}` (also
    `{{Double braced}}`, as Citavi and Zotero write it); an unbraced name without a
    comma that `is_organization_name` calls a body ("World Health Organization") is one
    too, in its place in the list."""
    found = entry.fields_dict.get(key)
    names = found.value if found is not None else []
    if isinstance(names, str):
        names = [names]
    agents: list[Agent] = []
    for name in names:
        name = name.strip()
        if name.lower() == "others":
            record.warnings.append(
                f"{key}: the list ends with 'and others': the rest are not named"
            )
            continue
        parts = parse_single_name_into_parts(name, strict=False)
        if (
            not parts.first
            and not parts.von
            and not parts.jr
            and len(parts.last) == 1
            and (parts.last[0].startswith("{") and parts.last[0].endswith("}"))
        ):
            agents.append(Organization(latex_text(parts.last[0])))
            continue
        if "," not in name and is_organization_name(plain := latex_text(name)):
            agents.append(Organization(" ".join(plain.split())))
            continue
        given = latex_text(" ".join(parts.first)) or None
        family = latex_text(" ".join([*parts.von, *parts.last])) or None
        suffix = latex_text(" ".join(parts.jr))
        display = " ".join(p for p in (given, family, suffix) if p)
        if display:
            agents.append(Person(display, family, given))
    return agents


def _periodical(record: Record, entry: Entry) -> None:
    raw = _value(entry, "journal", "journaltitle")
    name = latex_text(raw) if raw else ""
    short_raw = _value(entry, "shortjournal", "journalabbrev")
    short = latex_text(short_raw) if short_raw else None
    issns = find_issns(_value(entry, "issn"))
    if (issn := _value(entry, "issn")) and not issns:
        record.warnings.append(f"issn: {issn!r} is not an ISSN: not published")
    if name:
        record.periodical = Periodical(name, tuple(issns), short if short != name else None)
    elif issns:
        record.warnings.append(f"issn {', '.join(issns)} given without a journal: not published")


def _date(record: Record, entry: Entry) -> None:
    """BibLaTeX `date` (2014-02-11), else `year` with `month` (a number after
    bibtexparser's MonthIntMiddleware) and `day`."""
    if date_text := _plain(_value(entry, "date")):
        record.date = parse_partial_date(date_text[:10])
        if record.date is None:
            record.warnings.append(f"date: {date_text!r} is not a date: not published")
        return
    year = _plain(_value(entry, "year"))
    if not year:
        return
    if not (year.isdigit() and len(year) == 4):
        record.warnings.append(f"year: {year!r} is not a year: not published")
        return
    month_field = entry.fields_dict.get("month")
    month = month_field.value if month_field is not None else None
    if isinstance(month, str) and month.strip().isdigit():
        month = int(month.strip())
    if month is not None and not isinstance(month, int):
        record.warnings.append(f"month: {month!r} is not a month: only the year is published")
        month = None
    day_text = _plain(_value(entry, "day"))
    day = int(day_text) if day_text and day_text.isdigit() and month else None
    record.date = make_partial_date(int(year), month, day) or make_partial_date(int(year))
