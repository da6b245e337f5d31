"""The command line: `publisher ingest | validate | serve | demo`.

Exit codes: 0 all records accepted, 1 some record rejected (the valid ones are
published all the same), 2 usage errors (typer/click's own convention).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from publisher.config import Settings
from publisher.model import ReadNotice
from publisher.pipeline import Outcome, Pipeline, Summary, expand_paths
from publisher.readers.registry import AUTO, format_names
from publisher.resources import examples_dir
from publisher.store.oxigraph import OxigraphStore

app = typer.Typer(
    help="Publish scholarly and clinical-trial records as Linked Data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
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
PathsArgument = Annotated[
    list[Path], typer.Argument(help="Files or folders of records", exists=True)
]


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as error:
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
) -> None:
    """Validate records and publish the valid ones into the store."""
    _check_format(format)
    settings = _settings(store=store, base_uri=base_uri)
    with _open_store(settings.store) as opened:
        summary = _run(Pipeline(settings.base_uri, opened, format), paths)
    raise typer.Exit(0 if summary.rejected == 0 else 1)


@app.command()
def validate(
    paths: PathsArgument, base_uri: BaseOption = None, format: FormatOption = AUTO
) -> None:
    """Run every check ingest runs; store nothing."""
    _check_format(format)
    settings = _settings(base_uri=base_uri)
    summary = _run(Pipeline(settings.base_uri, None, format), paths)
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
) -> None:
    """Serve the store: resource pages, content negotiation and /sparql."""
    settings = _settings(store=store, base_uri=base_uri, host=host, port=port)
    if not settings.store.is_dir():
        err.print(f"[red]no store at {settings.store}[/red]: run `publisher ingest` first")
        raise typer.Exit(2)
    _serve(settings, OxigraphStore(settings.store, read_only=True))


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
        _demo(settings, store)
        return
    with tempfile.TemporaryDirectory(prefix="publisher-demo-") as folder:
        _demo(settings, Path(folder))


def _demo(settings: Settings, folder: Path) -> None:
    with _open_store(folder) as opened:
        summary = _run(Pipeline(settings.base_uri, opened), sorted(examples_dir().glob("*")))
    if summary.rejected:
        raise typer.Exit(1)
    out.print(f"example store in {folder}")
    _serve(settings, OxigraphStore(folder, read_only=True))


@contextmanager
def _open_store(folder: Path) -> Iterator[OxigraphStore]:
    try:
        opened = OxigraphStore(folder)
    except OSError as error:
        err.print(f"[red]cannot open the store at {folder}:[/red] {escape(str(error))}")
        raise typer.Exit(2) from error
    try:
        yield opened
        opened.flush()
    finally:
        opened.close()


def _run(pipeline: Pipeline, paths: list[Path]) -> Summary:
    summary = Summary()
    files = expand_paths(paths)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("files", total=len(files))
        for path in files:
            for outcome in pipeline.run_file(path):
                if isinstance(outcome, ReadNotice):
                    where = escape(outcome.source.path)
                    err.print(f"[blue]note[/blue] {where}: {escape(outcome.message)}")
                    continue
                summary.count(outcome)
                _report(outcome)
            progress.advance(task)
    verb = "published" if pipeline.store is not None else "valid"
    out.print(f"accepted: {summary.accepted} ({verb}), rejected: {summary.rejected}")
    return summary


def _report(outcome: Outcome) -> None:
    title = f' "{_short(outcome.title)}"' if outcome.title else ""
    where = escape(outcome.source.describe() + title)
    for warning in outcome.warnings:
        err.print(f"[yellow]warning[/yellow] {where}: {escape(warning)}")
    if outcome.accepted:
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


def _serve(settings: Settings, store: OxigraphStore) -> None:
    import uvicorn

    from publisher.web.app import create_app

    application = create_app(settings, store)
    out.print(f"serving {settings.base_uri} on http://{settings.host}:{settings.port}/")
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(app())


if __name__ == "__main__":
    main()
