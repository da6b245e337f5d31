"""Sitemaps (sitemaps.org protocol 0.9): an index at /sitemap.xml, child sitemaps at
/sitemaps/{n}.xml of at most 50 000 URLs each, every published resource with the time
its published description last changed (as the store's provenance graph keeps it).

Sitemap n holds the resources with side-database ids (n-1)*size+1 .. n*size, so a
resource stays in the same sitemap for good and a new one only ever lands in the last.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from publisher.harvest.sidecar import SitemapChunk

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit per sitemap
HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def sitemap_index(base_uri: str, chunks: list[SitemapChunk]) -> bytes:
    lines = [HEADER, f'<sitemapindex xmlns="{NAMESPACE}">\n']
    for chunk in chunks:
        loc = escape(f"{base_uri}sitemaps/{chunk.number}.xml")
        lines.append(
            f"<sitemap><loc>{loc}</loc><lastmod>{escape(chunk.lastmod)}</lastmod></sitemap>\n"
        )
    lines.append("</sitemapindex>\n")
    return "".join(lines).encode()


def urlset(urls: list[tuple[str, str]]) -> bytes:
    lines = [HEADER, f'<urlset xmlns="{NAMESPACE}">\n']
    for iri, lastmod in urls:
        lines.append(f"<url><loc>{escape(iri)}</loc><lastmod>{escape(lastmod)}</lastmod></url>\n")
    lines.append("</urlset>\n")
    return "".join(lines).encode()


def robots(base_uri: str) -> str:
    """Crawl everything but the query services; the sitemap index says what there is."""
    return (
        "User-agent: *\n"
        "Disallow: /sparql\n"
        "Disallow: /search\n"
        "Allow: /\n"
        "\n"
        f"Sitemap: {base_uri}sitemap.xml\n"
    )
