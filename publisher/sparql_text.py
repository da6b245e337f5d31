"""Looking for keywords in SPARQL query text without a full parser.

pyoxigraph parses queries but does not show us their algebra, and two decisions need
to know what a query says before it runs: SERVICE must be refused (pyoxigraph would
fetch any URL the client names), and a query with its own FROM / FROM NAMED must not
be given the union default graph (pyoxigraph then ignores FROM). Errs on the side of
finding the keyword.
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


def _codepoint(hex_digits: str) -> str:
    value = int(hex_digits, 16)
    return chr(value) if value <= 0x10FFFF else ""
