"""Entity tags of descriptions: the same data gives the same tag, whatever the order of
the triples and the store's blank-node labels (so every worker and every store agree),
and any change of a statement or of the representation gives another."""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from publisher.web.caching import canonical_lines, etag

S = "https://schema.org/"
ARTICLE = NamedNode("http://example.org/article/1")


def description(label: str, title: str = "A title") -> list[Triple]:
    identifier = BlankNode(label)
    return [
        Triple(ARTICLE, NamedNode(S + "name"), Literal(title, language="en")),
        Triple(ARTICLE, NamedNode(S + "identifier"), identifier),
        Triple(identifier, NamedNode(S + "propertyID"), Literal("DOI")),
        Triple(identifier, NamedNode(S + "value"), Literal("10.1/x")),
    ]


def test_order_and_blank_node_labels_do_not_change_the_tag() -> None:
    one, other = description("b1"), description("zz9")
    assert etag(one, "text/turtle") == etag(list(reversed(other)), "text/turtle")


def test_a_changed_statement_or_variant_changes_the_tag() -> None:
    tag = etag(description("b1"), "text/turtle")
    assert etag(description("b1", "Another title"), "text/turtle") != tag
    assert etag(description("b1"), "application/ld+json") != tag
    deeper = [*description("b1")[:3], Triple(BlankNode("b1"), NamedNode(S + "value"),
                                             Literal("10.1/y"))]  # fmt: skip
    assert etag(deeper, "text/turtle") != tag  # a change inside a blank node counts too


def test_canonical_lines_are_n_triples_with_content_named_blank_nodes() -> None:
    lines = canonical_lines(description("b1"))
    assert f'{ARTICLE} <{S}name> "A title"@en .' in lines
    named = [line for line in lines if line.startswith(f"{ARTICLE} <{S}identifier>")]
    assert len(named) == 1 and named[0].split()[2].startswith("_:h")
    assert lines == sorted(lines) and "_:b1" not in "".join(lines)
