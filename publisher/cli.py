"""The command line: `publisher ingest | validate | serve | demo`.

Exit codes: 0 every record published or skipped (skipped: not an article, such as a
book or a placeholder), 1 some record rejected (invalid: the valid ones are published
all the same), 2 usage errors (typer/click's own convention).
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from pyoxigraph import NamedNode
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from publisher.config import ConfigFileError, Settings
from publisher.harvest.dumps import export as export_dumps
from publisher.harvest.recorder import harvesting
from publisher.harvest.sidecar import sidecar_path
from publisher.interrupt import Stop, stop_on_sigint
from publisher.model import ReadNotice
from publisher.pipeline import Outcome, Pipeline, Summary, expand_paths
from publisher.quarantine import Quarantine
from publisher.readers.registry import AUTO, format_names
from publisher.resources import examples_dir
from publisher.store.base import Store, StoreUnavailable
from publisher.store.disk import StoreWriteFailed
from publisher.store.factory import describe_store, open_store
from publisher.store.layout import Layout
from publisher.store.legacy import LegacyStore, check_namespace
from publisher.store.oxigraph import OxigraphStore
from publisher.store.published import PublishedView, disagreement_counts
from publisher.store.remote import RemoteStore, RemoteStoreError
from publisher.validation.summary import constraint_counts, format_counts, write_conformance

app = typer.Typer(
    help="Publish scholarly and clinical-trial records as Linked Data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
LOG_EVERY_SECONDS = 5.0
T = TypeVar("T")
# soft_wrap: report lines stay whole, so other programs can grep them.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Store folder [env: PUBLISHER_STORE; default ./publisher-store]"),
]
BaseOption = Annotated[
    str | None,
    typer.Option(
        "--base-uri",
        help="Base URI of minted IRIs [env: PUBLISHER_BASE_URI; default http://127.0.0.1:8000/]",
    ),
]
FormatOption = Annotated[
    str, typer.Option("--format", help=f"Input format: {', '.join(format_names())}")
]
JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Processes for mapping and validation [env: PUBLISHER_JOBS; default 1]",
    ),
]
SparqlQueryOption = Annotated[
    str | None,
    typer.Option(
        "--sparql-query",
        help="A remote SPARQL store's query URL, in place of --store"
        " \\[env: PUBLISHER_SPARQL_QUERY]",
    ),
]
SparqlUpdateOption = Annotated[
    str | None,
    typer.Option("--sparql-update", help="Its SPARQL Update URL \\[env: PUBLISHER_SPARQL_UPDATE]"),
]
SparqlStoreOption = Annotated[
    str | None,
    typer.Option(
        "--sparql-store",
        help="Its Graph Store Protocol URL (optional) \\[env: PUBLISHER_SPARQL_STORE]",
    ),
]
SparqlUserOption = Annotated[
    str | None,
    typer.Option(
        "--sparql-user",
        help="User for HTTP Basic or Digest (as the store asks) \\[env: PUBLISHER_SPARQL_USER]",
    ),
]
SparqlPasswordOption = Annotated[
    str | None,
    typer.Option("--sparql-password", help="Password \\[env: PUBLISHER_SPARQL_PASSWORD]"),
]
SparqlTokenOption = Annotated[
    str | None,
    typer.Option(
        "--sparql-token", help="Bearer token, instead of a user \\[env: PUBLISHER_SPARQL_TOKEN]"
    ),
]
IndexOption = Annotated[
    Path | None,
    typer.Option(
        "--index",
        help="The side database (SQLite) \\[env: PUBLISHER_INDEX; default beside the store"
        " folder, {store}.index.sqlite]",
    ),
]
STORE_UNAVAILABLE = 3  # exit code: the store did not answer


def _remote(
    query: str | None,
    update: str | None,
    graph_store: str | None,
    user: str | None,
    password: str | None,
    token: str | None,
    index: Path | None,
) -> dict[str, object]:
    """The remote-store options as settings overrides (None: not given)."""
    return {
        "sparql_query": query,
        "sparql_update": update,
        "sparql_store": graph_store,
        "sparql_user": user,
        "sparql_password": password,
        "sparql_token": token,
        "index": index,
    }


PathsArgument = Annotated[
    list[Path], typer.Argument(help="Files or folders of records", exists=True)
]


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as error:
        # Field and message only: the values are not echoed (a write token stays secret).
        problems = error.errors(include_url=False, include_input=False)
        for problem in problems:
            where = ".".join(str(part) for part in problem["loc"]) or "settings"
            err.print(f"[red]configuration error:[/red] {escape(where)}: {escape(problem['msg'])}")
        raise typer.Exit(2) from error
    except ConfigFileError as error:
        err.print(f"[red]configuration error:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error


def _check_format(format_name: str) -> None:
    if format_name not in format_names():
        err.print(
            f"[red]unknown format {format_name!r}[/red]; choose one of: {', '.join(format_names())}"
        )
        raise typer.Exit(2)


@app.command()
def ingest(
    paths: PathsArgument,
    store: StoreOption = None,
    base_uri: BaseOption = None,
    format: FormatOption = AUTO,
    jobs: JobsOption = None,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            help="Folder for rejected records [env: PUBLISHER_QUARANTINE; "
            "default ./publisher-quarantine]"
        ),
    ] = None,
    sparql_query: SparqlQueryOption = None,
    sparql_update: SparqlUpdateOption = None,
    sparql_store: SparqlStoreOption = None,
    sparql_user: SparqlUserOption = None,
    sparql_password: SparqlPasswordOption = None,
    sparql_token: SparqlTokenOption = None,
    index: IndexOption = None,
) -> None:
    """Validate records and publish the valid ones into the store.

    Rejected records are reported, their SHACL reports stored as graphs, and their
    source files kept in the quarantine folder with the reasons (rejected.csv).
    Ctrl-C stops within a few seconds (exit 130), leaving whole records only.
    """
    _check_format(format)
    settings = _settings(
        store=store,
        base_uri=base_uri,
        jobs=jobs,
        quarantine=quarantine,
        **_remote(sparql_query, sparql_update, sparql_store, sparql_user, sparql_password,
                  sparql_token, index),
    )  # fmt: skip
    try:
        # Our own SIGINT handler, even when the process was started with SIGINT ignored
        # (a background job of a script or CI runner): Ctrl-C always stops an ingest.
        with stop_on_sigint() as stop:
            if not err.is_terminal:  # for logs: from here on, Ctrl-C is handled
                jobs_text = f"{settings.jobs} job" + ("s" if settings.jobs > 1 else "")
                err.print(f"ingest into {escape(describe_store(settings))}, {jobs_text}")
            summary = _ingest(settings, paths, format, stop)
    except KeyboardInterrupt:
        # Batches are written in one transaction each, and whatever was under way when
        # Ctrl-C came finished first: what is stored is whole records only.
        err.print(
            "[yellow]interrupted[/yellow]: the store holds whole records only; "
            "run the same ingest again to finish (nothing is duplicated)"
        )
        raise typer.Exit(130) from None
    raise typer.Exit(0 if summary.rejected == 0 else 1)


def _ingest(settings: Settings, paths: list[Path], format_name: str, stop: Stop) -> Summary:
    """The ingest itself. Start-up (store, side database, shapes) is stopped by Ctrl-C
    where it is, as Python does; the run (reading, checking, storing) only at the next
    record or batch, so that nothing half-done is left behind."""
    with (
        _open_store(settings) as opened,
        harvesting(opened, settings.store, settings.base_uri, settings.index) as recorder,
    ):
        pipeline = Pipeline(
            settings.base_uri, opened, format_name, jobs=settings.jobs, recorder=recorder,
            stop=stop, precedence=settings.consolidation_precedence(),
        )  # fmt: skip
        stop.check()  # a Ctrl-C swallowed by library code while the shapes were compiled
        interrupted = False
        try:
            with stop.deferred(), pipeline:
                return _run(
                    pipeline, paths, Quarantine(settings.quarantine), settings.progress_seconds
                )
        except KeyboardInterrupt:
            interrupted = True  # the next run, which finishes the job, recounts
            raise
        finally:
            if not interrupted:
                write_conformance(opened, settings.base_uri)


@app.command()
def validate(
    paths: PathsArgument,
    base_uri: BaseOption = None,
    format: FormatOption = AUTO,
    jobs: JobsOption = None,
) -> None:
    """Run every check ingest runs; store nothing."""
    _check_format(format)
    settings = _settings(base_uri=base_uri, jobs=jobs)
    with Pipeline(settings.base_uri, None, format, jobs=settings.jobs) as pipeline:
        summary = _run(pipeline, paths)
    raise typer.Exit(0 if summary.rejected == 0 else 1)


@app.command()
def serve(
    store: StoreOption = None,
    base_uri: BaseOption = None,
    host: Annotated[
        str | None, typer.Option(help="Interface [env: PUBLISHER_HOST; default 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port [env: PUBLISHER_PORT; default 8000]")
    ] = None,
    query_timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds a SPARQL query may run before it is stopped"
            " \\[env: PUBLISHER_QUERY_TIMEOUT; default 30]"
        ),
    ] = None,
    query_workers: Annotated[
        int | None,
        typer.Option(help="Processes running queries \\[env: PUBLISHER_QUERY_WORKERS; default 2]"),
    ] = None,
    max_rows: Annotated[
        int | None,
        typer.Option(
            help="Rows (SELECT) or triples (CONSTRUCT, DESCRIBE) per answer"
            " \\[env: PUBLISHER_MAX_ROWS; default 10000]"
        ),
    ] = None,
    max_query_bytes: Annotated[
        int | None,
        typer.Option(help="Largest query \\[env: PUBLISHER_MAX_QUERY_BYTES; default 262144]"),
    ] = None,
    max_update_bytes: Annotated[
        int | None,
        typer.Option(
            help="Largest update or Graph Store upload"
            " \\[env: PUBLISHER_MAX_UPDATE_BYTES; default 10485760]"
        ),
    ] = None,
    service_allow: Annotated[
        list[str] | None,
        typer.Option(
            "--service-allow",
            help="An endpoint IRI SERVICE may call (repeat for more)"
            " \\[env: PUBLISHER_SERVICE_ALLOWLIST, comma-separated; default none]",
        ),
    ] = None,
    enable_updates: Annotated[
        bool | None,
        typer.Option(
            "--enable-updates/--read-only",
            help="SPARQL Update and the Graph Store Protocol, with the write token from"
            " PUBLISHER_WRITE_TOKEN; the store is then opened read-write"
            " \\[env: PUBLISHER_ENABLE_UPDATES; default read-only]",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Web server processes; they share nothing, so any number can run"
            " \\[env: PUBLISHER_WORKERS; default 1]",
        ),
    ] = None,
    sparql_query: SparqlQueryOption = None,
    sparql_update: SparqlUpdateOption = None,
    sparql_store: SparqlStoreOption = None,
    sparql_user: SparqlUserOption = None,
    sparql_password: SparqlPasswordOption = None,
    sparql_token: SparqlTokenOption = None,
    index: IndexOption = None,
) -> None:
    """Serve the store: resource pages, content negotiation and /sparql."""
    settings = _settings(
        store=store,
        base_uri=base_uri,
        host=host,
        port=port,
        query_timeout=query_timeout,
        query_workers=query_workers,
        max_rows=max_rows,
        max_query_bytes=max_query_bytes,
        max_update_bytes=max_update_bytes,
        service_allowlist=service_allow or None,
        enable_updates=enable_updates,
        workers=workers,
        **_remote(sparql_query, sparql_update, sparql_store, sparql_user, sparql_password,
                  sparql_token, index),
    )  # fmt: skip
    if not settings.remote and not settings.store.is_dir():
        err.print(f"[red]no store at {settings.store}[/red]: run `publisher ingest` first")
        raise typer.Exit(2)
    if settings.workers > 1 and settings.enable_updates and not settings.remote:
        err.print(
            "[red]--workers above 1 with --enable-updates needs a remote store[/red]: the"
            " embedded store has one writer (serve it read-only, or from a SPARQL store)"
        )
        raise typer.Exit(2)
    _serve(settings, _serving_store(settings, settings.store))


@app.command()
def demo(
    store: StoreOption = None,
    base_uri: BaseOption = None,
    host: Annotated[str | None, typer.Option(help="Interface [default 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default 8000]")] = None,
) -> None:
    """Publish the bundled example records into a fresh store and serve them.

    Without --base-uri (or PUBLISHER_BASE_URI) the IRIs are minted for the address
    served, so every IRI dereferences whatever --host and --port say.
    """
    settings = _settings(host=host, port=port)
    if base_uri is None and "PUBLISHER_BASE_URI" not in os.environ:
        base_uri = f"http://{settings.host}:{settings.port}/"
    settings = _settings(base_uri=base_uri, host=host, port=port)
    if store is not None:
        shutil.rmtree(store, ignore_errors=True)
        sidecar_path(store).unlink(missing_ok=True)
        _demo(settings, store)
        return
    with tempfile.TemporaryDirectory(prefix="publisher-demo-") as folder:
        _demo(settings, Path(folder) / "store")


def _demo(settings: Settings, folder: Path) -> None:
    # The side database beside this store, and dumps exported next to it.
    dumps = folder.with_name(folder.name + "-dumps")
    settings = settings.model_copy(update={"index": sidecar_path(folder), "dumps": dumps})
    with (
        _open_store(settings.model_copy(update={"store": folder})) as opened,
        harvesting(opened, folder, settings.base_uri, settings.index) as recorder,
    ):
        pipeline = Pipeline(settings.base_uri, opened, recorder=recorder)
        summary = _run(pipeline, sorted(examples_dir().glob("*")))
        write_conformance(opened, settings.base_uri)
    if summary.rejected:
        raise typer.Exit(1)
    export_dumps(folder, settings.base_uri, dumps)
    out.print(f"example store in {folder}")
    _serve(settings, _serving_store(settings, folder))


@app.command()
def report(
    store: StoreOption = None,
    base_uri: BaseOption = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the per-constraint table as CSV")
    ] = None,
    sparql_query: SparqlQueryOption = None,
    sparql_update: SparqlUpdateOption = None,
    sparql_store: SparqlStoreOption = None,
    sparql_user: SparqlUserOption = None,
    sparql_password: SparqlPasswordOption = None,
    sparql_token: SparqlTokenOption = None,
) -> None:
    """Summarise validation (published / skipped / rejected records per format and per
    reason: parse error, out of scope, shape; and per constraint)
    and where sources disagree (per field and pair of formats, with an example)."""
    settings = _settings(
        store=store,
        base_uri=base_uri,
        **_remote(sparql_query, sparql_update, sparql_store, sparql_user, sparql_password,
                  sparql_token, None),
    )  # fmt: skip
    _require_store(settings)
    with _open_store(settings, read_only=True) as opened:
        formats = format_counts(opened)
        constraints = constraint_counts(opened)
        disagreements = disagreement_counts(opened, settings.base_uri)
    table = Table(
        "format",
        "published",
        "skipped: out of scope",
        "rejected: parse error",
        "rejected: shape",
        title="Records per format (skipped: not articles; rejected: invalid)",
    )
    for row in formats:
        counts = (row.accepted, row.skipped, row.parse_errors, row.rejected)
        table.add_row(row.format, *(str(n) for n in counts))
    out.print(table)
    table = Table(
        "format",
        "shape",
        "path",
        "constraint",
        "records",
        "results",
        title="Rejections per constraint",
    )
    for c in constraints:
        table.add_row(c.format, c.shape, c.path, c.constraint, str(c.records), str(c.results))
    out.print(table)
    table = Table(
        "field",
        "published from",
        "differs in",
        "resources",
        "example",
        title="Sources that disagree (the published view keeps one value: docs/dataset.md)",
    )
    for d in disagreements:
        field = d.property.replace("https://schema.org/", "schema:").replace(
            "http://purl.org/ontology/bibo/", "bibo:"
        )
        table.add_row(field, d.published_format, d.other_format, str(d.resources), d.example)
    out.print(table)
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("format", "shape", "path", "constraint", "records", "results"))
            for c in constraints:
                writer.writerow((c.format, c.shape, c.path, c.constraint, c.records, c.results))
        out.print(f"written {csv_file}")


@app.command()
def remove(
    graphs: Annotated[list[str], typer.Argument(help="IRIs of source-record graphs to delete")],
    store: StoreOption = None,
    base_uri: BaseOption = None,
) -> None:
    """Delete source records (their named graphs and validation reports); other sources
    of the same article keep their statements."""
    settings = _settings(store=store, base_uri=base_uri)
    missing = 0
    with (
        _open_store(settings) as opened,
        harvesting(opened, settings.store, settings.base_uri, settings.index) as recorder,
    ):
        known = {g.value for g in opened.graph_names()}
        view = PublishedView(opened, settings.base_uri, settings.consolidation_precedence())
        recorder.published(view.ensure(), view)
        for iri in graphs:
            if iri not in known:
                err.print(f"[red]no such graph[/red] {escape(iri)}")
                missing += 1
                continue
            batch = view.prepare([(NamedNode(iri), None)])
            opened.remove_graph(NamedNode(iri))
            changes = view.apply(batch)
            opened.remove_graph(NamedNode(iri + "/validation"))
            recorder.removed(iri)
            # The feed: an Update for each description the removal changed, a Delete for
            # each resource no record describes any more (which answers 410 from now on).
            recorder.published(changes, view)
            out.print(f"removed {iri}")
        write_conformance(opened, settings.base_uri)
    raise typer.Exit(1 if missing else 0)


@app.command()
def consolidate(store: StoreOption = None, base_uri: BaseOption = None) -> None:
    """Rebuild the published view (the default graph: one consolidated description per
    resource, and its provenance) from the source records: for a store published before
    the view existed (`ingest` and `remove` do it by themselves), or to check it."""
    settings = _settings(store=store, base_uri=base_uri)
    with (
        _open_store(settings) as opened,
        harvesting(opened, settings.store, settings.base_uri, settings.index) as recorder,
    ):
        view = PublishedView(opened, settings.base_uri, settings.consolidation_precedence())
        changes = view.rebuild()
        recorder.published(changes, view)
    total = len(changes.written) + len(changes.kept)
    out.print(f"published view rebuilt: {total} resources, {len(changes.written)} changed")


@app.command()
def export(
    out_dir: Annotated[Path, typer.Argument(help="Folder for the dumps (created if missing)")],
    store: StoreOption = None,
    base_uri: BaseOption = None,
    sparql_query: SparqlQueryOption = None,
    sparql_update: SparqlUpdateOption = None,
    sparql_store: SparqlStoreOption = None,
    sparql_user: SparqlUserOption = None,
    sparql_password: SparqlPasswordOption = None,
    sparql_token: SparqlTokenOption = None,
) -> None:
    """Write the dataset as gzip-compressed N-Triples, N-Quads (with each record's
    provenance graph) and Turtle, with SHA256SUMS and manifest.json; `serve` lists and
    serves the folder given as PUBLISHER_DUMPS at /dumps/."""
    settings = _settings(
        store=store,
        base_uri=base_uri,
        **_remote(sparql_query, sparql_update, sparql_store, sparql_user, sparql_password,
                  sparql_token, None),
    )  # fmt: skip
    _require_store(settings)
    try:
        with _open_store(settings, read_only=True) as opened:
            source = opened if isinstance(opened, RemoteStore) else settings.store
            files = export_dumps(source, settings.base_uri, out_dir)
    except OSError as error:
        err.print(f"[red]cannot export:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    for f in files:
        count = "" if f.statements is None else f", {f.statements} statements"
        out.print(f"{out_dir / f.name}: {f.size} bytes{count}, sha256 {f.sha256}")


@app.command("build-site")
def build_site(
    out_dir: Annotated[Path, typer.Argument(help="Folder for the site (created if missing)")],
    store: StoreOption = None,
    base_uri: BaseOption = None,
    sparql_query: SparqlQueryOption = None,
    sparql_update: SparqlUpdateOption = None,
    sparql_store: SparqlStoreOption = None,
    sparql_user: SparqlUserOption = None,
    sparql_password: SparqlPasswordOption = None,
    sparql_token: SparqlTokenOption = None,
    index: IndexOption = None,
) -> None:
    """Write the whole publication as static files: a folder per resource (index.html,
    .ttl, .jsonld, .nt), sitemaps, VoID, change feed, dumps, ontology, and a sample
    nginx.conf doing the content negotiation."""
    from publisher.harvest.site import build

    settings = _settings(
        store=store,
        base_uri=base_uri,
        **_remote(sparql_query, sparql_update, sparql_store, sparql_user, sparql_password,
                  sparql_token, index),
    )  # fmt: skip
    _require_store(settings)
    try:
        summary = _unless_store_down(lambda: build(settings, out_dir))
    except OSError as error:
        err.print(f"[red]cannot build the site:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    for skipped in summary.skipped:
        err.print(f"[yellow]skipped[/yellow] {escape(skipped)}")
    out.print(
        f"site in {out_dir}: {summary.resources} resources, {summary.files} files,"
        f" {summary.gone} withdrawn (410 in nginx.conf)"
    )


@app.command()
def migrate(
    source: Annotated[
        str, typer.Option("--from", help="embedded:DIR or sparql:QUERY_URL (the copy's source)")
    ],
    target: Annotated[str, typer.Option("--to", help="embedded:DIR or sparql:QUERY_URL (written)")],
    base_uri: BaseOption = None,
    sparql_update: Annotated[
        str | None,
        typer.Option(
            "--sparql-update",
            help="The SPARQL store's update URL \\[env: PUBLISHER_SPARQL_UPDATE; default its"
            " query URL]",
        ),
    ] = None,
    sparql_store: SparqlStoreOption = None,
    sparql_user: SparqlUserOption = None,
    sparql_password: SparqlPasswordOption = None,
    sparql_token: SparqlTokenOption = None,
    batch: Annotated[int, typer.Option(min=1, help="Graphs per write request")] = 100,
) -> None:
    """Copy every named graph of a publication into another store, then check the
    triple count of each graph on both sides (exit 1 on any difference). The side
    database is not touched: the target serves with the same PUBLISHER_INDEX."""
    from publisher.store.migrate import MigrationError, copy_graphs, parse_location

    settings = _settings(
        base_uri=base_uri,
        **_remote(None, None, sparql_store, sparql_user, sparql_password, sparql_token, None),
    )
    try:
        origin = parse_location(source, settings, sparql_update, read_only=True)
        destination = parse_location(target, settings, sparql_update, read_only=False)
    except (MigrationError, OSError) as error:
        err.print(f"[red]cannot migrate:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    try:
        report = _unless_store_down(lambda: copy_graphs(origin, destination, batch=batch))
    except RemoteStoreError as error:
        err.print(f"[red]the store refused:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    finally:
        if isinstance(destination, OxigraphStore):
            destination.flush()
        origin.close()
        destination.close()
    out.print(f"copied {report.graphs} graphs, {report.triples} triples")
    for graph, expected, found in report.mismatches:
        err.print(
            f"[red]count differs[/red] {escape(graph)}: {expected} in the source, {found} copied"
        )
    if report.mismatches:
        raise typer.Exit(1)
    out.print("verified: every graph holds as many triples as in the source")


@app.command()
def embed(
    iri: Annotated[str, typer.Argument(help="The resource's IRI (or its path under the base URI)")],
    store: StoreOption = None,
    base_uri: BaseOption = None,
    sparql_query: SparqlQueryOption = None,
    sparql_update: SparqlUpdateOption = None,
    sparql_store: SparqlStoreOption = None,
    sparql_user: SparqlUserOption = None,
    sparql_password: SparqlPasswordOption = None,
    sparql_token: SparqlTokenOption = None,
) -> None:
    """Print a resource's JSON-LD <script> block for another site's page (a library's or
    journal's): the same as `GET {IRI}?embed`."""
    from publisher.web.scholar import embed_snippet
    from publisher.web.views import ViewBuilder

    settings = _settings(
        store=store,
        base_uri=base_uri,
        **_remote(sparql_query, sparql_update, sparql_store, sparql_user, sparql_password,
                  sparql_token, None),
    )  # fmt: skip
    _require_store(settings)
    resource = iri if "://" in iri else settings.base_uri + iri.lstrip("/")
    try:
        node = NamedNode(resource)
    except ValueError as error:
        err.print(f"[red]not an IRI:[/red] {escape(resource)}")
        raise typer.Exit(2) from error
    with _open_store(settings, read_only=True) as opened:
        layout = Layout(settings.base_uri)
        description = opened.describe_view(node, layout.provenance)
        if not description.triples:
            err.print(f"nothing is published about {escape(resource)}")
            raise typer.Exit(1)
        views = ViewBuilder(settings.base_uri, opened)  # an article's journal, for crawlers
        snippet = embed_snippet(views, node, description.triples, description.modified)
    sys.stdout.write(snippet)


def _require_store(settings: Settings) -> None:
    """Reading commands on the embedded store: its folder must exist (never created)."""
    if not settings.remote and not settings.store.is_dir():
        err.print(f"[red]no store at {settings.store}[/red]")
        raise typer.Exit(2)


@contextmanager
def _open_store(settings: Settings, *, read_only: bool = False) -> Iterator[Store]:
    """The configured store (embedded folder or remote SPARQL store), closed after.

    A remote store that does not answer however often it is asked (StoreUnavailable),
    here or while the command runs, ends the command with a clear error and exit 3.
    """
    where = describe_store(settings)
    try:
        opened = open_store(settings, read_only=read_only)
    except OSError as error:
        err.print(f"[red]cannot open {escape(where)}:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    try:
        if isinstance(opened, RemoteStore):
            opened.check_default_graph()
        check_namespace(opened, settings.base_uri)
        yield opened
        if isinstance(opened, OxigraphStore) and not read_only:
            opened.flush()
    except StoreWriteFailed as error:  # disk full or read-only: the message says what to do
        err.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(STORE_UNAVAILABLE) from error
    except StoreUnavailable as error:
        err.print(f"[red]the store is unavailable:[/red] {escape(str(error))}")
        err.print("what was written before is whole records only; run the command again")
        raise typer.Exit(STORE_UNAVAILABLE) from error
    except RemoteStoreError as error:
        err.print(f"[red]{escape(where)} refused:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    except LegacyStore as error:
        err.print(f"[red]cannot use {escape(where)}:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    finally:
        opened.close()


def _unless_store_down(work: Callable[[], T]) -> T:
    """Run `work`; a store that stays down ends the command with exit 3."""
    try:
        return work()
    except StoreUnavailable as error:
        err.print(f"[red]the store is unavailable:[/red] {escape(str(error))}")
        raise typer.Exit(STORE_UNAVAILABLE) from error


def _run(
    pipeline: Pipeline,
    paths: list[Path],
    quarantine: Quarantine | None = None,
    log_every: float = LOG_EVERY_SECONDS,
) -> Summary:
    """Run the pipeline over the files, reporting as it goes.

    On a terminal a progress bar shows records/s, accepted and rejected; otherwise a
    plain line is logged every `log_every` seconds, so long runs in CI or cron stay
    readable.
    """
    summary = Summary()
    files = expand_paths(paths)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "files · {task.fields[records]} records · {task.fields[rate]:.0f}/s · "
            "{task.fields[accepted]} accepted · {task.fields[rejected]} rejected"
        ),
        TimeElapsedColumn(),
    )
    started = last_log = time.monotonic()
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(
            "ingest", total=len(files), records=0, rate=0.0, accepted=0, rejected=0
        )
        for path in files:
            for outcome in pipeline.run_file(path):
                if isinstance(outcome, ReadNotice):
                    where = escape(outcome.source.path)
                    err.print(f"[blue]note[/blue] {where}: {escape(outcome.message)}")
                    continue
                summary.count(outcome)
                _report(outcome)
                if not outcome.accepted and not outcome.skipped and quarantine is not None:
                    quarantine.keep(outcome)
                elapsed = max(time.monotonic() - started, 1e-9)
                done = summary.accepted + summary.rejected + summary.skipped
                progress.update(
                    task,
                    records=done,
                    rate=done / elapsed,
                    accepted=summary.accepted,
                    rejected=summary.rejected,
                )
                if not err.is_terminal and time.monotonic() - last_log >= log_every:
                    last_log = time.monotonic()
                    err.print(
                        f"progress: {done} records ({done / elapsed:.0f}/s), "
                        f"{summary.accepted} accepted, {summary.rejected} rejected"
                    )
            progress.advance(task)
    verb = "published" if pipeline.store is not None else "valid"
    out.print(
        f"{verb}: {summary.accepted}, skipped: {summary.skipped} (not articles), "
        f"rejected: {summary.rejected} (invalid)"
    )
    if summary.rejected and quarantine is not None:
        out.print(f"rejected records kept in {quarantine.folder} (see rejected.csv there)")
    return summary


def _report(outcome: Outcome) -> None:
    title = f' "{_short(outcome.title)}"' if outcome.title else ""
    where = escape(outcome.source.describe() + title)
    for warning in outcome.warnings:
        err.print(f"[yellow]warning[/yellow] {where}: {escape(warning)}")
    if outcome.accepted:
        return
    if outcome.skipped:
        reasons = "; ".join(problem.message for problem in outcome.problems)
        err.print(f"[yellow]skipped[/yellow] {where}: {escape(reasons)}")
        return
    err.print(f"[red]rejected[/red] {where}")
    for problem in outcome.problems:
        details = [
            f"field {problem.field}" if problem.field else "",
            f"node {problem.focus}" if problem.focus else "",
            f"constraint {problem.constraint}" if problem.constraint else "",
        ]
        suffix = "; ".join(d for d in details if d)
        err.print(
            f"  - {escape(problem.message)}" + (f" [dim]({escape(suffix)})[/dim]" if suffix else "")
        )


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _serving_store(settings: Settings, folder: Path) -> Store:
    """Read-only, unless updates are enabled: then read-write, and RocksDB's lock keeps
    `publisher ingest` (and any other writer) out while the server runs. A remote store
    is checked once: it answers, and its default graph is the union of ours."""
    if settings.remote:
        with _open_store(settings, read_only=True):
            pass  # exits with a clear error when the store is down or misconfigured
        return open_store(settings)
    try:
        store = OxigraphStore(folder, read_only=not settings.enable_updates)
    except OSError as error:
        how = "read-write (is an ingest running?)" if settings.enable_updates else "read-only"
        err.print(f"[red]cannot open the store at {folder} {how}:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    try:
        check_namespace(store, settings.base_uri)
    except LegacyStore as error:
        store.close()
        err.print(f"[red]cannot serve the store at {folder}:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    return store


def _serve(settings: Settings, store: Store) -> None:
    import uvicorn

    from publisher.web import addresses
    from publisher.web.app import create_app

    served_at = addresses.listening_address(settings.host, settings.port)
    out.print(f"serving {settings.base_uri} on {served_at}")
    ingested_with = addresses.store_base(store, settings.base_uri)
    for warning in addresses.warnings(settings.base_uri, ingested_with, served_at):
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if settings.workers > 1:
        # Each worker process builds its own application and opens the store itself,
        # from these settings handed over as PUBLISHER_* variables.
        store.close()
        os.environ.update(settings.environment())
        uvicorn.run(
            "publisher.web.asgi:create",
            factory=True,
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
            log_level="info",
        )
        return
    application = create_app(settings, store)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(app())


if __name__ == "__main__":
    main()
