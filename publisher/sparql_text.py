"""Looking for keywords in SPARQL query text without a full parser.

pyoxigraph parses queries but does not show us their algebra, and some decisions need
to know what a query says before it runs: SERVICE must be refused (pyoxigraph would
fetch any URL the client names) unless it calls an allowed endpoint, and a query with its
own FROM / FROM NAMED must not be given the union default graph (pyoxigraph then ignores
FROM). Errs on the side of finding the keyword. `add_using` gives an update the SPARQL
Protocol's `using-graph-uri` / `using-named-graph-uri` dataset, which pyoxigraph's API
has no argument for.
"""

from __future__ import annotations

import re
from functools import lru_cache

# What hides a keyword from the parser: strings, IRIs and comments, in SPARQL's own grammar.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n\r]*",
    re.DOTALL,
)
_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@lru_cache(maxsize=16)
def _keyword(word: str) -> re.Pattern[str]:
    # The keyword, not a variable (?service), a local name (ex:service) or part of a
    # longer word. `service:x` counts: pyoxigraph reads `SERVICE:x` as SERVICE with the
    # IRI `:x`, so a prefix named like the keyword is matched too (never miss it).
    return re.compile(rf"(?<![\w?$:-]){re.escape(word)}(?![\w-])", re.IGNORECASE)


def code_only(query: str) -> str:
    """The query with escapes decoded and strings, IRIs and comments blanked out."""
    text = _CODEPOINT_ESCAPE.sub(lambda m: _codepoint(m.group(1) or m.group(2)), query)
    return _OPAQUE.sub(" ", text)


def has_keyword(query: str, word: str) -> bool:
    return bool(_keyword(word).search(code_only(query)))


_FORM = re.compile(r"(?<![\w?$:-])(select|ask|construct|describe)(?![\w:-])", re.IGNORECASE)


def query_form(query: str) -> str | None:
    """ "select", "ask", "construct" or "describe": the query's first such keyword (a
    subquery's SELECT always comes after the form); None when there is none."""
    found = _FORM.search(code_only(query))
    return found.group(1).lower() if found else None


def _codepoint(hex_digits: str) -> str:
    value = int(hex_digits, 16)
    return chr(value) if value <= 0x10FFFF else ""


# --- Positions kept: the same text with strings and IRIs hidden, character for character ----

_STRING_OR_IRI_FILL = "\x00"  # neither a word character nor white space
_IRI = re.compile(r"<([^<>\"{}|^`\\\x00-\x20]*)>")
_PN_PREFIX = r"(?:[^\W\d_](?:[\w.-]*[\w-])?)?"
_PNAME = re.compile(rf"({_PN_PREFIX}):((?:[\w:%.-]|\\.)*)")
_PREFIX_DECL = re.compile(rf"(?<![\w?$:-])prefix\s+({_PN_PREFIX}):\s*", re.IGNORECASE)
_SILENT = re.compile(r"silent(?![\w:-])", re.IGNORECASE)
_WHERE_OR_BRACE = re.compile(r"[{}]|(?<![\w?$:-])where(?![\w:-])", re.IGNORECASE)
_ENDS_WITH_DELETE = re.compile(r"(?<![\w?$:-])delete\s*$", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _decoded(query: str) -> str:
    return _CODEPOINT_ESCAPE.sub(lambda m: _codepoint(m.group(1) or m.group(2)), query)


def _masked(text: str) -> tuple[str, dict[int, str]]:
    """`text` with comments blanked and strings and IRIs filled, at the same positions;
    and each IRI (between its `<` `>`) by the position of its `<`."""
    iris: dict[int, str] = {}

    def fill(match: re.Match[str]) -> str:
        token = match.group()
        if token.startswith("#"):
            return " " * len(token)
        if token.startswith("<"):
            iris[match.start()] = token[1:-1]
        return _STRING_OR_IRI_FILL * len(token)

    return _OPAQUE.sub(fill, text), iris


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def service_targets(query: str) -> list[str | None]:
    """The endpoint IRI of every SERVICE in the query, in order.

    None where it cannot be told for sure (a variable, a relative IRI, a prefix not
    declared): such a SERVICE must be refused. Prefixed names are expanded with the
    query's own PREFIX declarations.
    """
    text = _decoded(query)
    masked, iris = _masked(text)
    declarations: list[tuple[int, str, str]] = []
    for match in _PREFIX_DECL.finditer(masked):
        iri = iris.get(match.end())
        if iri is not None:
            declarations.append((match.start(), match.group(1), iri))
    targets: list[str | None] = []
    for match in _keyword("service").finditer(masked):
        position = _skip_space(masked, match.end())
        silent = _SILENT.match(masked, position)
        if silent:
            position = _skip_space(masked, silent.end())
        target: str | None = None
        if position in iris:
            target = iris[position]
        elif name := _PNAME.match(masked, position):
            namespaces = {p: ns for at, p, ns in declarations if at < position}
            namespace = namespaces.get(name.group(1))
            local = re.sub(r"\\(.)", r"\1", name.group(2).rstrip("."))
            target = None if namespace is None else namespace + local
        targets.append(target if target is not None and _SCHEME.match(target) else None)
    return targets


def add_using(update: str, default_graphs: list[str], named_graphs: list[str]) -> str:
    """The update with `USING <g>` / `USING NAMED <g>` added to every operation with a
    WHERE clause (SPARQL 1.1 Protocol 2.2.3: `using-graph-uri`, `using-named-graph-uri`).

    `DELETE WHERE { P }` cannot take USING; it is written `DELETE { P } USING ... WHERE
    { P }`, which the SPARQL Update spec defines it to mean. The graphs must be valid
    absolute IRIs (the caller checks). The update must not have USING or WITH itself.
    """
    text = _decoded(update)
    masked, _ = _masked(text)
    clause = "".join(
        [f"USING <{g}> " for g in default_graphs] + [f"USING NAMED <{g}> " for g in named_graphs]
    )
    edits: list[tuple[int, int, str]] = []
    depth = 0
    for match in _WHERE_OR_BRACE.finditer(masked):
        token = match.group()
        if token in "{}":
            depth += 1 if token == "{" else -1
            continue
        if depth != 0:
            continue  # a subquery's WHERE
        opening = _skip_space(masked, match.end())
        if opening >= len(masked) or masked[opening] != "{":
            continue  # not a WHERE clause after all; the parser will say what is wrong
        if _ENDS_WITH_DELETE.search(masked, 0, match.start()):
            closing = _closing_brace(masked, opening)
            if closing is None:
                continue
            pattern = text[opening : closing + 1]
            edits.append((match.start(), closing + 1, f"{pattern} {clause}WHERE {pattern}"))
        else:
            edits.append((match.start(), match.start(), clause))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text


def _closing_brace(masked: str, opening: int) -> int | None:
    depth = 0
    for position in range(opening, len(masked)):
        if masked[position] == "{":
            depth += 1
        elif masked[position] == "}":
            depth -= 1
            if depth == 0:
                return position
    return None
