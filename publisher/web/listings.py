"""Listing pages per class: /articles, /journals, /people, /trials.

Each page is a `schema:ItemList` (schema.org's own list type, understood by search
engines; no extra vocabulary): the list `{base}articles` with `schema:numberOfItems` the
whole list's size and, for the page asked for, its `schema:ListItem`s with their
`schema:position` in the whole list and the `schema:item` (its IRI, type and name).
Pages are fixed at PAGE_SIZE items (`?page=N`, from 1) and linked with `Link:
<...>; rel="next"` / `rel="prev"` (and `first`, `last`) headers and the same `<link>`
elements in the HTML. Served as HTML with the list embedded as JSON-LD, or as any RDF
format by content negotiation (as resources are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment
from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple
from starlette.concurrency import run_in_threadpool

from publisher.harvest.sidecar import LISTED_CLASSES, Sidecar
from publisher.mapping.vocab import RDF_TYPE, SCHEMA, SCHEMA_NAME, XSD_INTEGER, schema
from publisher.store.base import Store
from publisher.web import caching, jsonld
from publisher.web.errors import ClientError
from publisher.web.formats import GRAPH_BY_MEDIA_TYPE, GRAPH_FORMATS, content_type, serialize_graph

PAGE_SIZE = 50
MAX_PAGE = 10**12  # (MAX_PAGE - 1) * PAGE_SIZE stays an OFFSET the store takes (i64)
HTML = "text/html"


@dataclass(frozen=True)
class Listing:
    path: str  # also the list's IRI under the base: {base}articles
    title: str
    type: str  # the class listed


LISTINGS = (
    Listing("articles", "Articles", SCHEMA + "ScholarlyArticle"),
    Listing("journals", "Journals", SCHEMA + "Periodical"),
    Listing("people", "People", SCHEMA + "Person"),
    Listing("trials", "Clinical trials", SCHEMA + "MedicalTrial"),
)
assert {listing.type for listing in LISTINGS} == set(LISTED_CLASSES)  # the side database's
BY_PATH = {listing.path: listing for listing in LISTINGS}


@dataclass(frozen=True)
class Item:
    iri: str
    label: str
    position: int  # in the whole list, from 1


@dataclass(frozen=True)
class Page:
    listing: Listing
    number: int
    total: int
    items: list[Item]

    @property
    def last(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def href(self, number: int) -> str:
        return f"/{self.listing.path}" + (f"?page={number}" if number > 1 else "")

    @property
    def neighbours(self) -> dict[str, int]:
        """rel -> page number: first, prev, next, last (where they differ from this one)."""
        rels = {"first": 1, "prev": self.number - 1, "next": self.number + 1, "last": self.last}
        return {rel: n for rel, n in rels.items() if 1 <= n <= self.last and n != self.number}


def fetch_page(store: Store, listing: Listing, number: int, sidecar: Sidecar | None = None
               ) -> Page:  # fmt: skip
    """One page, ordered by label (a trial without a name by its registration number)
    and then IRI, so that pages are stable.

    Read from the side database's listing index when it keeps one (every page in a few
    index lookups, whatever the size); else asked of the store, which sorts every item
    of the class for each page (seconds per page, and gigabytes, at a million records)."""
    offset = (number - 1) * PAGE_SIZE
    indexed = sidecar.listing(listing.type, offset, PAGE_SIZE) if sidecar is not None else None
    if indexed is None:
        return _page_from_store(store, listing, number)
    total, rows = indexed
    items = [Item(iri, label, n) for n, (iri, label) in enumerate(rows, offset + 1)]
    return Page(listing, number, total, items)


def _page_from_store(store: Store, listing: Listing, number: int) -> Page:
    kind = f"<{listing.type}>"
    counted = store.query(
        f"SELECT (COUNT(DISTINCT ?item) AS ?n) WHERE {{ ?item a {kind} FILTER(isIRI(?item)) }}"
    )
    assert isinstance(counted, QuerySolutions)
    total = next((int(row["n"].value) for row in counted if isinstance(row["n"], Literal)), 0)
    offset = (number - 1) * PAGE_SIZE
    result = store.query(f"""
        PREFIX schema: <{SCHEMA}>
        SELECT ?item (MIN(COALESCE(?n, ?v, "")) AS ?label) WHERE {{
          ?item a {kind} . FILTER(isIRI(?item))
          OPTIONAL {{ ?item schema:name ?n }}
          OPTIONAL {{ ?item schema:identifier/schema:value ?v }}
        }} GROUP BY ?item ORDER BY LCASE(STR(?label)) STR(?item)
        LIMIT {PAGE_SIZE} OFFSET {offset}""")
    assert isinstance(result, QuerySolutions)
    items = []
    for position, row in enumerate(result, offset + 1):
        item, label = row["item"], row["label"]
        if isinstance(item, NamedNode):
            text = label.value if isinstance(label, Literal) else ""
            items.append(Item(item.value, text, position))
    return Page(listing, number, total, items)


def page_triples(page: Page, base: str) -> list[Triple]:
    """The page as RDF: the ItemList, this page's ListItems, and each item's type and name."""
    listing = NamedNode(base + page.listing.path)
    triples = [
        Triple(listing, RDF_TYPE, schema("ItemList")),
        Triple(listing, SCHEMA_NAME, Literal(page.listing.title)),
        Triple(listing, schema("numberOfItems"), _integer(page.total)),
        Triple(listing, schema("itemListOrder"), schema("ItemListOrderAscending")),
    ]
    for entry in page.items:
        element, item = BlankNode(), NamedNode(entry.iri)
        triples += [
            Triple(listing, schema("itemListElement"), element),
            Triple(element, RDF_TYPE, schema("ListItem")),
            Triple(element, schema("position"), _integer(entry.position)),
            Triple(element, schema("item"), item),
            Triple(item, RDF_TYPE, NamedNode(page.listing.type)),
        ]
        if entry.label:
            triples.append(Triple(item, SCHEMA_NAME, Literal(entry.label)))
    return triples


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD_INTEGER)


def add_routes(
    app: FastAPI,
    base: str,
    store: Store,
    templates: Callable[[], Environment],
    media_type_of: Callable[[Request], str],
    sidecar: Sidecar | None = None,
) -> None:
    """Register the listing routes (before the catch-all resource route)."""
    for listing in LISTINGS:
        app.add_api_route(
            f"/{listing.path}",
            _endpoint(listing, base, store, templates, media_type_of, sidecar),
            methods=["GET", "HEAD"],
            summary=f"{listing.title}: a paged schema:ItemList ({PAGE_SIZE} per page)",
        )


def _endpoint(
    listing: Listing,
    base: str,
    store: Store,
    templates: Callable[[], Environment],
    media_type_of: Callable[[Request], str],
    sidecar: Sidecar | None,
) -> Callable[[Request], object]:
    async def list_page(request: Request) -> Response:
        number = _page_number(request.query_params.get("page"))
        media_type = media_type_of(request)
        page = await run_in_threadpool(fetch_page, store, listing, number, sidecar)
        if number > page.last:
            raise ClientError(404, f"/{listing.path} has {page.last} page(s); no page {number}")
        triples = page_triples(page, base)
        links = [
            (base + page.href(n).lstrip("/"), {"rel": rel}) for rel, n in page.neighbours.items()
        ]
        headers = {
            "Vary": "Accept",
            "ETag": caching.etag(triples, media_type),
            "Link": caching.link_header(links) if links else "",
        }
        if not links:
            del headers["Link"]
        if caching.not_modified(request.headers, headers["ETag"], None):
            return Response(status_code=304, headers=headers)
        iri = NamedNode(base + listing.path)
        if media_type == HTML:
            html = (
                templates()
                .get_template("listing.html")
                .render(
                    page=page,
                    jsonld_script=jsonld.script_element(jsonld.to_jsonld(triples, iri)),
                    alternates=[(f.media_type, f.name) for f in GRAPH_FORMATS],
                    href=_site_href(base),
                )
            )
            return HTMLResponse(html, headers=headers)
        body = serialize_graph(triples, GRAPH_BY_MEDIA_TYPE[media_type], iri)
        return Response(body, media_type=content_type(media_type), headers=headers)

    return list_page


def _page_number(value: str | None) -> int:
    """The page asked for. ASCII digits only (`isdigit` alone takes `²`, which `int`
    refuses); a number too large for the query's OFFSET is a page that does not exist
    (both were 500s schemathesis found)."""
    if value is None:
        return 1
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        raise ClientError(400, f"page={value!r}: pages are numbered 1, 2, 3, ...")
    if int(value) > MAX_PAGE:
        raise ClientError(404, f"page={value}: there is no such page")
    return int(value)


def _site_href(base: str) -> Callable[[str], str]:
    """Our own IRIs as links within the site (so a page works on any host)."""

    def href(iri: str) -> str:
        return "/" + iri[len(base) :] if iri.startswith(base) else iri

    return href
