"""The change feed: an ActivityStreams 2.0 OrderedCollection of Create, Update and Delete
activities, in the shape of the IIIF Change Discovery API 1.0 (which crawlers of
cultural-heritage data already follow). One activity each time a resource's published
description (publisher.store.published) is first published, changes, or is withdrawn;
a record that changes nothing published gives none.

Why ActivityStreams rather than LDES: an LDES member must be an immutable version
object, which means minting and serving a version IRI (and a version graph) for every
change of every resource, and clients need TREE-aware tooling to follow it; what a
harvester of this site needs is only "what changed, when, and where is it now", then a
plain GET of the resource. AS2 says exactly that in small JSON pages any HTTP client
reads, with Delete for withdrawals that a dump or sitemap cannot express.

Paging: page n holds the activities numbered (n-1)*size+1 .. n*size, oldest first and
newest last; numbers never change and a full page never changes again (not a byte: its
`next` link is there from the start, to the page the following activities go to, which
may be empty for a while). A crawler that has read page N up to activity S fetches
page N again (and any later pages) and keeps what comes after S. The collection's
`last` is that open page; walking `prev` from it goes back in time.
"""

from __future__ import annotations

from typing import Any

from publisher.harvest.sidecar import Change
from publisher.mapping.vocab import SCHEMA

CONTEXT: list[Any] = ["https://www.w3.org/ns/activitystreams", {"schema": SCHEMA}]
MEDIA_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACTIVITY_JSON = "application/activity+json"
TYPES = {
    "article": "schema:ScholarlyArticle",
    "trial": "schema:MedicalTrial",
    "journal": "schema:Periodical",
    "volume": "schema:PublicationVolume",
    "issue": "schema:PublicationIssue",
    "person": "schema:Person",
    "organization": "schema:Organization",
    "work": "schema:CreativeWork",
}


def page_count(total: int, size: int) -> int:
    """Full pages plus the open one the next activity goes to (empty when the last page
    filled up exactly): a full page then never changes, not even its `next` link."""
    return total // size + 1


def _page_ref(base_uri: str, number: int) -> dict[str, Any]:
    return {"id": f"{base_uri}changes/{number}", "type": "OrderedCollectionPage"}


def collection(base_uri: str, total: int, size: int) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"{base_uri}changes",
        "type": "OrderedCollection",
        "summary": "Published descriptions created, changed and withdrawn, oldest first",
        "totalItems": total,
    }
    if total:
        document["first"] = _page_ref(base_uri, 1)
        document["last"] = _page_ref(base_uri, page_count(total, size))
    return document


def page(
    base_uri: str, number: int, total: int, size: int, changes: list[Change]
) -> dict[str, Any]:
    last = page_count(total, size)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"{base_uri}changes/{number}",
        "type": "OrderedCollectionPage",
        "partOf": {"id": f"{base_uri}changes", "type": "OrderedCollection"},
        "startIndex": (number - 1) * size,
    }
    if number > 1:
        document["prev"] = _page_ref(base_uri, number - 1)
    if number < last:
        document["next"] = _page_ref(base_uri, number + 1)
    document["orderedItems"] = [_activity(base_uri, number, change) for change in changes]
    return document


def _activity(base_uri: str, number: int, change: Change) -> dict[str, Any]:
    return {
        "id": f"{base_uri}changes/{number}#{change.seq}",
        "type": change.type,
        "endTime": change.time,
        "object": {"id": change.resource, "type": TYPES.get(change.kind, "Object")},
    }


def page_range(number: int, size: int) -> tuple[int, int]:
    """The activity numbers page `number` holds."""
    return (number - 1) * size + 1, number * size
