"""HTTP content negotiation: Accept headers with q-values against what we can produce."""

from __future__ import annotations

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
        if not slash or not main or not sub:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main, sub, q, order))
    return ranges


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
