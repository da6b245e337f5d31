"""HTTP content negotiation: Accept headers with q-values against what we can produce."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MAX_ACCEPT_ITEMS = 100  # an Accept header longer than this is cut, not parsed forever


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return self.type in ("*", main) and self.subtype in ("*", sub)

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header; a missing or empty one means `*/*`."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, item in enumerate(header.split(",")[:MAX_ACCEPT_ITEMS]):
        media, *params = (part.strip() for part in item.split(";"))
        main, slash, sub = media.lower().partition("/")
        if not slash or not _TOKEN.fullmatch(main) or not _TOKEN.fullmatch(sub):
            continue
        if main == "*" and sub != "*":  # `*/turtle` is not a media range
            continue
        q: float | None = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                q = _qvalue(value)
        if q is None:  # a malformed item is ignored, as if it were not there
            continue
        ranges.append(MediaRange(main, sub, q, order))
    return ranges


# RFC 9110 5.6.2 token characters; media types and ranges are made of these.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")


def _qvalue(value: str) -> float | None:
    """A weight between 0 and 1, else None. RFC 9110 12.4.2 allows at most three decimals;
    a looser `q=.2` (old Java clients send it) is still read, but not NaN or q=2."""
    try:
        q = float(value.strip())
    except ValueError:
        return None
    return q if math.isfinite(q) and 0.0 <= q <= 1.0 else None


def negotiate(header: str | None, offers: list[str]) -> str | None:
    """The offer the client prefers most; ties go to the server's order of `offers`.

    The q-value of an offer is that of the most specific range matching it (RFC 9110
    12.5.1), so `text/*;q=0.1, text/turtle` gives text/turtle q=1.
    """
    ranges = parse_accept(header)
    best: tuple[float, int] | None = None
    chosen = None
    for rank, offer in enumerate(offers):
        matching = [r for r in ranges if r.matches(offer)]
        if not matching:
            continue
        q = max(matching, key=lambda r: (r.specificity, r.q)).q
        if q <= 0:
            continue
        key = (q, -rank)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen
