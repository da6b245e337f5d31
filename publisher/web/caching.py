"""HTTP validators and links for resource responses: ETag, Last-Modified, 304, Link.

The ETag is computed from the triples a response is made of, before anything is
serialised, so a conditional request that matches costs one store lookup and a hash:

- it hashes the description's triples (blank nodes named by their content, so the same
  record ingested again gives the same tag) and the representation served (media type,
  and whether it is the page or the embeddable snippet);
- it is a weak validator (`W/"..."`): the same triples always give an equivalent body,
  but not necessarily the same bytes (blank node labels are the store's).

Last-Modified is when the published description last changed (the `dcterms:modified`
the provenance graph keeps with it, see `publisher.store.published`), or a later change
of a description whose labels the answer shows (`Store.describe_view`); for a source
record's own graph, its `prov:generatedAtTime` (`Store.describe_sources`). Re-ingesting a
record that changes nothing published moves neither validator.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote

from pyoxigraph import BlankNode, Triple

# Characters an IRI may keep in a Link header's URI reference; others are %-encoded.
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def etag(triples: Iterable[Triple], variant: str) -> str:
    """A weak entity tag for the representation `variant` of these triples."""
    digest = hashlib.sha256(variant.encode())
    for line in canonical_lines(list(triples)):
        digest.update(line.encode())
        digest.update(b"\n")
    return f'W/"{digest.hexdigest()[:40]}"'


def canonical_lines(triples: list[Triple]) -> list[str]:
    """N-Triples-like lines, sorted, with each blank node named by a hash of what it says.

    Our blank nodes are trees (identifiers, author lists, affiliations), so the content
    hash identifies them; a cycle of blank nodes falls back to the store's labels.
    """
    by_subject: dict[str, list[Triple]] = defaultdict(list)
    for triple in triples:
        if isinstance(triple.subject, BlankNode):  # only blank nodes are named by content
            by_subject[str(triple.subject)].append(triple)
    names: dict[str, str] = {}
    visiting: set[str] = set()

    def name(node: object) -> str:
        if not isinstance(node, BlankNode):
            return str(node)
        key = str(node)
        if key in names:
            return names[key]
        if key in visiting:
            return key  # a cycle: the store's own label
        visiting.add(key)
        body = sorted(f"{t.predicate} {name(t.object)}" for t in by_subject.get(key, []))
        visiting.discard(key)
        names[key] = "_:h" + hashlib.sha256("\n".join(body).encode()).hexdigest()[:32]
        return names[key]

    return sorted(
        f"{name(t.subject)} {t.predicate} {name(t.object)} ."
        if isinstance(t.subject, BlankNode) or isinstance(t.object, BlankNode)
        else f"{t} ."  # the same line, written by pyoxigraph in one call
        for t in triples
    )


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC).replace(microsecond=0), usegmt=True)


def not_modified(headers: Mapping[str, str], tag: str | None, modified: datetime | None) -> bool:
    """RFC 9110 13.1.2 and 13.1.3 for GET: If-None-Match (weak comparison) decides when
    present; otherwise If-Modified-Since against Last-Modified (whole seconds)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        if tag is None:
            return False
        if if_none_match.strip() == "*":
            return True
        wanted = _opaque(tag)
        return any(_opaque(candidate) == wanted for candidate in if_none_match.split(","))
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is None or modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # an invalid date is ignored (RFC 9110 13.1.3)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def link_header(links: Iterable[tuple[str, Mapping[str, str]]]) -> str:
    """`<target>; rel="..."; type="..."` items joined for one Link header (RFC 8288)."""
    items = []
    for target, params in links:
        attributes = "".join(f'; {key}="{value}"' for key, value in params.items())
        items.append(f"<{uri_reference(target)}>{attributes}")
    return ", ".join(items)


def uri_reference(iri: str) -> str:
    """An IRI as a URI for a header: non-ASCII characters (and spaces) %-encoded."""
    return quote(iri, safe=_URI_SAFE)
