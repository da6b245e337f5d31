"""Unit tests of HTTP content negotiation (publisher.web.conneg), against RFC 9110 12.5.1."""

from __future__ import annotations

import itertools

import pytest

from publisher.web.conneg import MAX_ACCEPT_ITEMS, MediaRange, negotiate, parse_accept, quality

TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"
HTML = "text/html"
# The resource offers of publisher.web.app, in the server's order of preference.
RESOURCE_OFFERS = [TURTLE, JSONLD, NTRIPLES, RDFXML, HTML]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


# --- parse_accept -------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "   ", "\t"])
def test_missing_or_empty_header_is_any_type(header: str | None) -> None:
    assert parse_accept(header) == [MediaRange("*", "*", 1.0, 0)]


def test_parse_keeps_order_types_and_weights() -> None:
    assert parse_accept(BROWSER) == [
        MediaRange("text", "html", 1.0, 0),
        MediaRange("application", "xhtml+xml", 1.0, 1),
        MediaRange("application", "xml", 0.9, 2),
        MediaRange("*", "*", 0.8, 3),
    ]


def test_parse_is_case_insensitive_and_tolerates_whitespace() -> None:
    assert parse_accept("  Text/Turtle ; Q=0.5 ,APPLICATION/LD+JSON") == [
        MediaRange("text", "turtle", 0.5, 0),
        MediaRange("application", "ld+json", 1.0, 1),
    ]


def test_parse_keeps_media_type_parameters_but_not_the_weight() -> None:
    assert parse_accept('text/plain; format="Flowed"; q=0.4, text/html;level=1') == [
        MediaRange("text", "plain", 0.4, 0, (("format", "flowed"),)),
        MediaRange("text", "html", 1.0, 1, (("level", "1"),)),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("0.5", 0.5), ("0.123", 0.123), ("1", 1.0), ("1.000", 1.0), (".2", 0.2)],
)
def test_parse_reads_q_values(value: str, expected: float) -> None:
    assert parse_accept(f"text/turtle;q={value}") == [MediaRange("text", "turtle", expected, 0)]


@pytest.mark.parametrize(
    "malformed",
    [
        "turtle",  # no subtype
        "text/",
        "/turtle",
        "*/turtle",  # a wildcard type needs a wildcard subtype
        "text/tur tle",
        "te(xt/turtle",
        "text/turtle;q=abc",
        "text/turtle;q=",
        "text/turtle;q",
        "text/turtle;q=nan",
        "text/turtle;q=inf",
        "text/turtle;q=2",
        "text/turtle;q=-0.1",
        "",  # an empty item between commas
    ],
)
def test_malformed_items_are_ignored(malformed: str) -> None:
    ranges = parse_accept(f"application/ld+json;q=0.5, {malformed}, application/n-triples")
    assert [(r.type, r.subtype, r.q, r.order) for r in ranges] == [
        ("application", "ld+json", 0.5, 0),
        ("application", "n-triples", 1.0, 2),
    ]


def test_a_header_of_only_garbage_has_no_ranges() -> None:
    assert parse_accept("garbage, ;;; , /") == []
    assert negotiate("garbage", RESOURCE_OFFERS) is None


def test_long_headers_are_cut() -> None:
    header = ", ".join(f"x/y{i}" for i in range(MAX_ACCEPT_ITEMS + 50))
    assert len(parse_accept(header)) == MAX_ACCEPT_ITEMS


# --- negotiate ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "*/*", "*/*;q=0.3"])
def test_any_type_gets_the_servers_first_offer(header: str | None) -> None:
    assert negotiate(header, RESOURCE_OFFERS) == TURTLE
    assert negotiate(header, [JSONLD, TURTLE]) == JSONLD


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("text/turtle;q=0.5, application/ld+json", JSONLD),
        ("application/ld+json;q=0.5, text/turtle", TURTLE),
        ("text/html;q=0.9, text/turtle", TURTLE),
        ("text/html, text/turtle;q=0.9", HTML),
        (BROWSER, HTML),
        ("application/n-triples;q=0.2, application/rdf+xml;q=0.3", RDFXML),
        ("application/rdf+xml;q=0.3, application/n-triples;q=0.301", NTRIPLES),
        ("image/png, application/ld+json;q=0.01", JSONLD),
        ("application/ld+json;q=0.8, text/turtle;q=0.8", TURTLE),  # a tie: server's order
        ("text/turtle;q=0.8, application/ld+json;q=0.8", TURTLE),  # client's order is no tiebreak
    ],
)
def test_highest_q_value_wins(header: str, expected: str) -> None:
    assert negotiate(header, RESOURCE_OFFERS) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("text/*;q=0.1, text/turtle", TURTLE),
        ("text/*;q=0.1, text/html", HTML),
        ("text/turtle;q=0.1, text/*", HTML),  # text/html gets q=1 from text/*
        ("application/*, */*;q=0.1", JSONLD),
        ("*/*;q=0.1, application/*;q=0.2, application/rdf+xml", RDFXML),
        ("*/*;q=0.9, text/*;q=0.1", JSONLD),  # text/* overrides */* for text types only
    ],
)
def test_the_most_specific_range_sets_an_offers_q(header: str, expected: str) -> None:
    assert negotiate(header, RESOURCE_OFFERS) == expected


def test_rfc_9110_example_quality_values() -> None:
    """The example of RFC 9110 12.5.1 (without its text/html;level=3 row, a known erratum)."""
    ranges = parse_accept(
        "text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed,"
        " text/plain;format=fixed;q=0.4, */*;q=0.5"
    )
    assert quality(ranges, "text/plain;format=flowed") == 1.0
    assert quality(ranges, "text/plain") == 0.7
    assert quality(ranges, "text/html") == 0.3
    assert quality(ranges, "image/jpeg") == 0.5
    assert quality(ranges, "text/plain;format=fixed") == 0.4


def test_rfc_9110_example_order_of_preference() -> None:
    header = (
        "text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed,"
        " text/plain;format=fixed;q=0.4, */*;q=0.5"
    )
    preferred = [
        "text/plain;format=flowed",
        "text/plain",
        "image/jpeg",
        "text/plain;format=fixed",
        "text/html",
    ]
    for better, worse in itertools.pairwise(preferred):
        assert negotiate(header, [worse, better]) == better
    assert negotiate(header, list(reversed(preferred))) == "text/plain;format=flowed"


def test_a_range_with_parameters_matches_only_offers_with_them() -> None:
    assert negotiate("text/turtle;version=2", [TURTLE]) is None
    assert negotiate("text/turtle;version=2, */*;q=0.1", [TURTLE, JSONLD]) == TURTLE
    # We send every text as UTF-8, so asking for it is no restriction; asking for another is.
    assert negotiate("text/turtle;charset=UTF-8", [TURTLE, JSONLD]) == TURTLE
    assert negotiate('text/turtle;charset="utf-8"', [TURTLE, JSONLD]) == TURTLE
    assert negotiate("text/turtle;charset=iso-8859-1", [TURTLE, JSONLD]) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("text/turtle;q=0, */*", JSONLD),
        ("*/*, text/turtle;q=0, application/ld+json;q=0", NTRIPLES),
        ("text/*;q=0, */*", JSONLD),  # excludes text/html as well as text/turtle
        ("text/html;q=0, text/*", TURTLE),
        ("*/*;q=0", None),
        ("text/turtle;q=0", None),
        ("text/turtle;q=0.000", None),
        ("*/*;q=0, text/html", HTML),
    ],
)
def test_q_zero_means_not_acceptable(header: str, expected: str | None) -> None:
    assert negotiate(header, RESOURCE_OFFERS) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # A malformed q must not count as q=0 (it would veto text/turtle) nor win with NaN.
        ("text/turtle;q=abc, */*;q=0.5", TURTLE),
        ("text/turtle;q=nan, application/ld+json", JSONLD),
        ("application/ld+json;q=nan, text/turtle;q=0.5", TURTLE),
        ("*/turtle, application/n-triples", NTRIPLES),
        ("nonsense, application/rdf+xml", RDFXML),
        # Old Java clients send `q=.2`: still understood.
        ("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", HTML),
    ],
)
def test_malformed_items_do_not_change_the_outcome(header: str, expected: str) -> None:
    assert negotiate(header, RESOURCE_OFFERS) == expected


def test_nothing_acceptable_is_none() -> None:
    assert negotiate("image/png", RESOURCE_OFFERS) is None
    assert negotiate("application/json", RESOURCE_OFFERS) is None
    assert negotiate("*/*", []) is None


def test_subtype_must_match_exactly() -> None:
    # application/xml is not application/rdf+xml; text/* does not cover application/*.
    assert negotiate("application/xml", RESOURCE_OFFERS) is None
    assert negotiate("text/*", [JSONLD, NTRIPLES, RDFXML]) is None
