"""/sparql on a remote store: each query is sent on to the store, under our own limits.

The endpoint (`publisher.web.sparql`) has already checked what it checks for every store:
sizes, the SERVICE allow-list, the write token. Here the query goes to the store's query
URL with the endpoint's time limit as the request's timeout (the store may go on working
on it: set its own limit too, see README "Remote stores"), the answer is read up to
PUBLISHER_MAX_ANSWER_BYTES, cut at the row cap, and written in the format the client
asked for by the same code as on the embedded store. A query without a dataset of its
own sees the published view as its default graph, as on the embedded store:
`RemoteStore.query` gives it the dataset that this server needs for that (none on an
Oxigraph server, the view's named graph on Virtuoso).
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from publisher.store.base import StoreUnavailable
from publisher.store.executor import QueryAnswer, QueryExecutor, QueryFailed, QueryJob, run_query
from publisher.store.remote import AnswerTooLarge, RemoteStore, RemoteStoreError

log = logging.getLogger(__name__)


class ProxyExecutor(QueryExecutor):
    def __init__(self, store: RemoteStore, *, timeout: float, max_rows: int, max_bytes: int):
        self.store = store.limited(timeout=timeout, max_bytes=max_bytes)
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_bytes = max_bytes

    async def run(self, job: QueryJob) -> QueryAnswer:
        try:
            return await asyncio.to_thread(run_query, self.store, job, self.max_rows)
        except QueryFailed:
            raise
        except httpx.TimeoutException as error:
            raise QueryFailed(
                "timeout",
                f"the query ran longer than {self.timeout:g} s, the limit for one query."
                " Make it cheaper (LIMIT, more specific patterns) or ask the operator to"
                " raise the limit (PUBLISHER_QUERY_TIMEOUT).",
            ) from error
        except AnswerTooLarge as error:
            raise QueryFailed(
                "too_large",
                f"the answer is over {self.max_bytes} bytes (PUBLISHER_MAX_ANSWER_BYTES):"
                " add a LIMIT, or ask for fewer variables",
            ) from error
        except StoreUnavailable as error:
            raise QueryFailed("busy", f"the store is unavailable: {error}") from error
        except RemoteStoreError as error:
            log.error("the store failed a query: %s", error)
            raise QueryFailed("failed", f"the store failed the query: {error}") from error
