"""Made for crawlers: change feed, search index, sitemaps, VoID/DCAT, dumps, static site.

What serving needs fast (which resources exist and since when, what changed in which
order, full-text search) lives in a SQLite side database next to the store
(`sidecar.py`), written by ingest and `remove` and only read by the server.
"""
