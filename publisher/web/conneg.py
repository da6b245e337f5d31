"""HTTP content negotiation: Accept headers with q-values against what we can produce."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MAX_ACCEPT_ITEMS = 100  # an Accept header longer than this is cut, not parsed forever
SERVED_CHARSET = "utf-8"  # every textual representation is sent as UTF-8


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int
    params: tuple[tuple[str, str], ...] = ()  # media type parameters (before q), lower case

    def matches(self, media_type: str) -> bool:
        offer = _parse_media_type(media_type)
        if offer is None:
            return False
        main, sub, offered = offer
        if self.type not in ("*", main) or self.subtype not in ("*", sub):
            return False
        # `text/plain;format=flowed` matches only that; a charset we send anyway is no restriction.
        offered_params = dict(offered)
        offered_params.setdefault("charset", SERVED_CHARSET)
        return all(offered_params.get(name) == value for name, value in self.params)

    @property
    def specificity(self) -> tuple[int, int]:
        """RFC 9110 12.5.1: `*/*` < `text/*` < `text/plain` < `text/plain;format=flowed`."""
        return (self.type != "*") + (self.subtype != "*"), len(self.params)


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header; a missing or empty one means `*/*`.

    A malformed item (no type/subtype, `*/turtle`, a q that is not a number from 0 to 1)
    is ignored, as if it were not there.
    """
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, item in enumerate(header.split(",")[:MAX_ACCEPT_ITEMS]):
        media, *parts = (part.strip() for part in item.split(";"))
        parsed = _parse_media_type(media)
        if parsed is None:
            continue
        main, sub, _ = parsed
        if main == "*" and sub != "*":
            continue
        q: float | None = 1.0
        params: list[tuple[str, str]] = []
        for part in parts:
            name, _, value = part.partition("=")
            name = name.strip().lower()
            if name == "q":
                q = _qvalue(value)
                break  # RFC 9110: the weight ends the media range
            if name:
                params.append((name, _unquote(value)))
        if q is None:
            continue
        ranges.append(MediaRange(main, sub, q, order, tuple(sorted(params))))
    return ranges


def quoted(header: str | None, limit: int = 200) -> str:
    """An Accept header as a 406 message quotes it: whole when short; else its start,
    its number of alternatives and the limit, so that a client sending thousands of
    them learns why the ones at the end were not considered."""
    text = repr(header or "")
    if len(text) <= limit:
        return text
    count = (header or "").count(",") + 1
    return f"{text[:limit]}... ({count:,} alternatives; only the first {MAX_ACCEPT_ITEMS} are read)"


def negotiate(header: str | None, offers: list[str]) -> str | None:
    """The offer the client prefers most; ties go to the server's order of `offers`.

    None when the client accepts none of them (every offer has q=0 or matches no range).
    """
    ranges = parse_accept(header)
    best: tuple[float, int] | None = None
    chosen = None
    for rank, offer in enumerate(offers):
        q = quality(ranges, offer)
        if q <= 0:
            continue
        key = (q, -rank)
        if best is None or key > best:
            best, chosen = key, offer
    return chosen


def quality(ranges: list[MediaRange], offer: str) -> float:
    """The q-value of the most specific range matching `offer` (RFC 9110 12.5.1), 0 if none:
    `text/*;q=0.1, text/turtle` gives text/turtle q=1 and text/html q=0.1."""
    matching = [r for r in ranges if r.matches(offer)]
    if not matching:
        return 0.0
    return max(matching, key=lambda r: (r.specificity, r.q)).q


# RFC 9110 5.6.2 token characters; media types and ranges are made of these.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")


def _parse_media_type(text: str) -> tuple[str, str, tuple[tuple[str, str], ...]] | None:
    media, *parts = (part.strip() for part in text.split(";"))
    main, slash, sub = media.lower().partition("/")
    if not slash or not _TOKEN.fullmatch(main) or not _TOKEN.fullmatch(sub):
        return None
    params = []
    for part in parts:
        name, _, value = part.partition("=")
        if name.strip():
            params.append((name.strip().lower(), _unquote(value)))
    return main, sub, tuple(params)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value.lower()


def _qvalue(value: str) -> float | None:
    """A weight between 0 and 1, else None. RFC 9110 12.4.2 allows at most three decimals;
    a looser `q=.2` (old Java clients send it) is still read, but not NaN or q=2."""
    try:
        q = float(value.strip())
    except ValueError:
        return None
    return q if math.isfinite(q) and 0.0 <= q <= 1.0 else None
