"""`workopti`: run the whole product locally, submit documents and watch them from a terminal."""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli import bulk
from cli.client import TERMINAL, ApiClient, ApiError, default_api_url, default_user
from cli.follow import follow
from cli.uploader import DEFAULT_PARALLEL, MAX_PARALLEL, UsageError, walk

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
console = Console()
err = Console(stderr=True)

ApiOption = Annotated[str, typer.Option("--api", help="API base URL", envvar="WORKOPTI_API_URL")]
UserOption = Annotated[
    str, typer.Option("--user", help="local user to act as (dev sign-in)", envvar="WORKOPTI_USER")
]
TokenOption = Annotated[str | None, typer.Option("--token", help="bearer token", envvar="WORKOPTI_TOKEN")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]
PollOption = Annotated[float, typer.Option(help="seconds between status polls")]


def _client(api: str, user: str, token: str | None) -> ApiClient:
    client = ApiClient(api, token)
    if token is None:
        try:
            client.sign_in_dev(user)
        except ApiError as exc:
            err.print(f"[red]could not sign in as {user!r}: {exc}. Pass --token or WORKOPTI_TOKEN.[/red]")
            raise typer.Exit(2) from exc
        except Exception as exc:
            err.print(
                f"[red]the API at {api} is unreachable ({type(exc).__name__}). Is `make run` running?[/red]"
            )
            raise typer.Exit(2) from exc
    return client


@app.command()
def run(
    api_port: Annotated[int, typer.Option(envvar="API_PORT")] = 8000,
    flower_port: Annotated[int, typer.Option(envvar="FLOWER_PORT")] = 5555,
    data_dir: Annotated[Path, typer.Option(envvar="WORKOPTI_DATA_DIR")] = Path(".data"),
    host: Annotated[str, typer.Option(envvar="API_HOST")] = "127.0.0.1",
    flower: Annotated[bool, typer.Option(help="start Flower")] = True,
) -> None:
    """Start everything: database, Redis, migrations, API, workers, beat and Flower. Ctrl-C stops it all."""
    from cli.stack.stack import Stack, StackOptions

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Both installed explicitly: a shell starting us in the background may have set SIGINT to ignored.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    stack = Stack(
        StackOptions(
            data_dir=data_dir, api_host=host, api_port=api_port,
            flower_port=flower_port if flower else None, echo=sys.stdout,
        )
    )  # fmt: skip
    try:
        stack.start()
        console.print()
        console.print(f"[bold green]WorkOpti is up[/bold green]  (data in {stack.data_dir})")
        console.print(f"  app and API  {stack.api_url}/")
        console.print(f"  API docs     {stack.api_url}/docs")
        console.print(f"  health       {stack.api_url}/health/status")
        if stack.flower_url:
            console.print(f"  Flower       {stack.flower_url}/")
        console.print(f"  database     {stack.env['DATABASE_URL']}", soft_wrap=True)
        console.print(f"  broker       {stack.env['REDIS_URL']}", soft_wrap=True)
        console.print("Press Ctrl-C to stop.\n")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("\nstopping…")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        console.print("stopped")


@app.command()
def flower(
    port: Annotated[int, typer.Option(envvar="FLOWER_PORT")] = 5555,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
) -> None:
    """Run Flower alone (as a container does), with the sign-in its settings ask for; refuses an open
    Flower outside ENVIRONMENT=local."""
    from cli.stack.stack import flower_spec

    try:
        spec = flower_spec(dict(os.environ), host, port)
    except RuntimeError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    os.execve(spec.argv[0], spec.argv, spec.env)


@app.command()
def migrate() -> None:
    """Apply database migrations to DATABASE_URL (deployments run this before new code takes traffic)."""
    from shared.migrations.runner import upgrade

    url = os.environ.get("DATABASE_URL")
    if not url:
        err.print("[red]DATABASE_URL is not set[/red]")
        raise typer.Exit(2)
    upgrade(url)
    console.print("migrations applied")


PgBinOption = Annotated[
    list[Path] | None,
    typer.Option("--pg-bin", help="directory with pg_dump/pg_restore matching the server (repeatable)"),
]


@app.command("db-backup")
def db_backup(
    file: Annotated[
        Path | None, typer.Option("--file", help="where to write (default backups/workopti-<UTC time>.dump)")
    ] = None,
    blobs: Annotated[bool, typer.Option(help="also tar the local blob directory beside the dump")] = True,
    pg_bin: PgBinOption = None,
) -> None:
    """Back up the configured database (DATABASE_URL, or the embedded one) with pg_dump -Fc."""
    from cli.backup import BackupError, backup
    from shared.config import Settings

    try:
        files = backup(Settings(), file, pg_bin=pg_bin, blobs=blobs)
    except BackupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"database backed up to {files.dump}")
    if files.blobs:
        console.print(f"blob files archived to {files.blobs}")


@app.command("db-restore")
def db_restore(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a db-backup dump")
    ],
    target: Annotated[
        str | None,
        typer.Option("--target", help="database URL to restore into (default: the configured one)"),
    ] = None,
    allow_other_database: Annotated[
        bool, typer.Option(help="allow a --target that is not the configured database")
    ] = False,
    blobs: Annotated[bool, typer.Option(help="also put back the blob files archived beside the dump")] = True,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    pg_bin: PgBinOption = None,
) -> None:
    """Replace the database's contents with a backup (pg_restore --clean --if-exists --no-owner, in one
    transaction). Run `workopti migrate` afterwards if the backup predates the running code."""
    from cli.backup import BackupError, Database, configured_url, restore
    from shared.config import Settings

    settings = Settings()
    where = Database.from_url(target or configured_url(settings)).describe()
    if not yes and not typer.confirm(f"Replace everything in the {where} with {file}?"):
        raise typer.Exit(1)
    try:
        files = restore(
            settings, file, target_url=target, allow_other_database=allow_other_database, pg_bin=pg_bin,
            blobs=blobs,
        )  # fmt: skip
    except BackupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"{where} restored from {file}")
    if files.blobs:
        console.print(f"blob files restored from {files.blobs}")


@app.command()
def reembed(
    everything: Annotated[
        bool, typer.Option("--all", help="re-embed documents that already have vectors")
    ] = False,
) -> None:
    """Embed the library with the configured embeddings provider (after changing EMBEDDINGS_PROVIDER or
    EMBEDDING_DIMENSIONS): registers the model, builds its vector index, and queues an embed run for
    every document without its vectors. Each keeps its old vectors until its new ones are complete;
    searches use the model that embeds the query. Needs DATABASE_URL; the running workers do the work."""
    from shared.config import Settings
    from shared.db import build_engine, build_session_factory, session_scope
    from shared.pipeline.reembed import requeue_embeddings
    from shared.providers.embeddings import get_embedding_provider
    from shared.search.vector_index import ensure_index, register_model

    settings = Settings()
    if not settings.db.url:
        err.print("[red]DATABASE_URL is not set[/red]")
        raise typer.Exit(2)
    provider = get_embedding_provider(settings)
    engine = build_engine(settings, application_name="workopti-reembed")
    try:
        with session_scope(build_session_factory(engine)) as session:
            register_model(session, provider.key, provider.provider, provider.model, provider.dimensions)
        index = ensure_index(engine, provider.key, provider.dimensions)
        with session_scope(build_session_factory(engine)) as session:
            queued = requeue_embeddings(session, provider.key, settings.jobs, everything=everything)
    finally:
        engine.dispose()
    console.print(
        f"model {provider.key} ({provider.dimensions} dimensions), index {index or 'none: searched exactly'}"
    )
    console.print(f"{queued} embed job(s) queued; the sweeper publishes them within SWEEP_INTERVAL_SECONDS")


@app.command()
def token(api: ApiOption = default_api_url(), user: UserOption = default_user()) -> None:
    """Print a dev bearer token for USER (dev mode only)."""
    client = _client(api, user, None)
    print(client.token)


@app.command()
def submit(
    paths: Annotated[
        list[Path],
        typer.Argument(exists=True, readable=True, metavar="PATHS", help="files, or folders with -r"),
    ],
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="upload the files under each folder, subfolders too")
    ] = False,
    parallel: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_PARALLEL,
            help=f"uploads at once (default {DEFAULT_PARALLEL}); with it or -r, many files are shown as one",
        ),
    ] = None,
    wait: Annotated[bool, typer.Option(help="follow each document until it is ready or failed")] = False,
    pipeline: Annotated[str | None, typer.Option(help="steps, e.g. extract,embed,ai")] = None,
    as_json: JsonOption = False,
    poll_seconds: PollOption = 1.0,
    api: ApiOption = default_api_url(),
    user: UserOption = default_user(),
    token: TokenOption = None,
) -> None:
    """Upload files; with --wait, show a progress bar per document and print the results.

    With --recursive (folders) or --parallel, many files are uploaded at once and shown as one: those
    already uploaded (the same content) are skipped, so an interrupted run finishes when run again."""
    try:
        found = walk(paths, recursive=recursive)
    except UsageError as exc:
        raise typer.BadParameter(str(exc), param_hint="PATHS") from exc
    client = _client(api, user, token)
    if recursive or parallel is not None:
        raise typer.Exit(
            bulk.submit(
                client, found, parallel=parallel or DEFAULT_PARALLEL, pipeline=pipeline, wait=wait,
                as_json=as_json, poll_seconds=poll_seconds, out=console, err=err,
            )
        )  # fmt: skip
    documents: dict[str, dict[str, Any]] = {}
    failed_uploads = 0
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"), TimeElapsedColumn(),
        console=err, transient=as_json,
    ) as progress:  # fmt: skip
        bars: dict[str, TaskID] = {}
        for path in paths:
            bar = progress.add_task(path.name[:40], total=path.stat().st_size or 1, state="uploading")
            try:
                document, created = client.upload(
                    path, pipeline=pipeline, on_bytes=functools.partial(progress.advance, bar)
                )
            except ApiError as exc:
                progress.update(bar, state=f"[red]refused: {exc}[/red]")
                failed_uploads += 1
                continue
            documents[document["id"]] = document
            bars[document["id"]] = bar
            progress.update(
                bar, total=1.0, completed=0, state="already uploaded" if not created else "queued"
            )
        if wait:
            follow(client, documents, _bar_updater(documents, progress, bars), poll_seconds)
    if as_json:
        payload = [_with_results(client, doc) if wait else doc for doc in documents.values()]
        print(json.dumps(payload, indent=2, default=str))
    else:
        for document in documents.values():
            _print_document(client, document, with_results=wait)
    if failed_uploads or any(doc["status"] == "failed" for doc in documents.values()):
        raise typer.Exit(1)


def _bar_updater(
    documents: dict[str, dict[str, Any]], progress: Progress, bars: dict[str, TaskID]
) -> Callable[[str], None]:
    def show(document_id: str) -> None:
        done, state = _progress_of(documents[document_id])
        progress.update(bars[document_id], completed=done, state=state)

    return show


def _progress_of(document: dict[str, Any]) -> tuple[float, str]:
    jobs = document.get("jobs", [])
    if not jobs:
        return 1.0, document["status"]
    done = sum(
        1.0 if j["status"] in ("succeeded", "failed", "cancelled") else j["progress"] for j in jobs
    ) / len(jobs)
    active = [j for j in jobs if j["status"] in ("running", "retrying")]
    if document["status"] in TERMINAL:
        colour = {"ready": "green", "failed": "red"}.get(document["status"], "yellow")
        return 1.0, f"[{colour}]{document['status']}[/{colour}]"
    if active:
        job = active[0]
        retry = f" (attempt {job['attempts']})" if job["attempts"] > 1 else ""
        return done, f"{job['kind']} {job['status']} {job['progress']:.0%}{retry}"
    return done, document["status"]


def _with_results(client: ApiClient, document: dict[str, Any]) -> dict[str, Any]:
    if "ai" in document.get("outputs", {}):
        return {**document, "results": client.results(document["id"])}
    return document


def _print_document(client: ApiClient, document: dict[str, Any], *, with_results: bool) -> None:
    colour = {"ready": "green", "failed": "red"}.get(document["status"], "yellow")
    console.rule(f"{document['filename']}  [{colour}]{document['status']}[/{colour}]")
    console.print(
        f"id {document['id']}  {document['content_type']}  {document['size_bytes']:,} bytes  "
        f"pages {document.get('page_count') or '-'}"
    )
    table = Table("job", "status", "attempts", "progress", "waited", "ran", "error", box=None)
    for job in document.get("jobs", []):
        error = job.get("error") or {}
        table.add_row(
            job["kind"], job["status"], f"{job['attempts']}/{job['max_attempts']}", f"{job['progress']:.0%}",
            _ms(job.get("wait_ms")), _ms(job.get("run_ms")), error.get("message", ""),
        )  # fmt: skip
    console.print(table)
    if not with_results:
        return
    if document["status"] != "ready" and document.get("outputs"):
        console.print("[yellow]the newest run did not finish; what follows is the previous run's[/yellow]")
    results = client.results(document["id"]) if "ai" in document.get("outputs", {}) else None
    if results:
        classification = results.get("classification")
        if classification:
            console.print(f"[bold]class[/bold]    {classification['label']} ({classification['score']:.2f})")
        console.print(f"[bold]summary[/bold]  {results['summary']}")
        if results.get("keywords"):
            console.print(f"[bold]keywords[/bold] {', '.join(results['keywords'])}")
        for name, values in results.get("fields", {}).items():
            if values:
                console.print(f"[bold]{name}[/bold]  " + "; ".join(str(v.get("value")) for v in values[:8]))
        console.print(f"[dim]made by {results['provider']} / {results['model']}[/dim]")


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value / 1000:.1f}s"


@app.command()
def reprocess(
    document_id: str,
    pipeline: Annotated[
        str | None, typer.Option(help="steps, e.g. extract,embed,ai (default: its own)")
    ] = None,
    wait: Annotated[bool, typer.Option(help="follow the new run until it ends")] = False,
    as_json: JsonOption = False,
    poll_seconds: PollOption = 1.0,
    api: ApiOption = default_api_url(),
    user: UserOption = default_user(),
    token: TokenOption = None,
) -> None:
    """Process a document again (after changing a provider or model, say). It keeps showing its current
    text and results until the new run has succeeded."""
    client = _client(api, user, token)
    try:
        document = client.reprocess(document_id, pipeline)
    except ApiError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    documents = {document["id"]: document}
    if wait:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(), console=err, transient=as_json,
        ) as progress:  # fmt: skip
            bar = progress.add_task(document["filename"][:40], total=1.0, state="queued")
            follow(client, documents, _bar_updater(documents, progress, {document["id"]: bar}), poll_seconds)
    document = documents[document["id"]]
    if as_json:
        print(json.dumps(_with_results(client, document) if wait else document, indent=2, default=str))
    else:
        _print_document(client, document, with_results=wait)
    if document["status"] == "failed":
        raise typer.Exit(1)


@app.command()
def ask(
    question: str,
    doc: Annotated[
        list[str] | None, typer.Option("--doc", help="ask within this document; repeat for several")
    ] = None,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="a follow-up in this conversation")
    ] = None,
    as_json: JsonOption = False,
    api: ApiOption = default_api_url(),
    user: UserOption = default_user(),
    token: TokenOption = None,
) -> None:
    """Ask your documents a question: the answer streams in, then the pages it cites."""
    from cli import answers

    client = _client(api, user, token)
    try:
        answers.show(client.ask(question, doc, conversation), console, err, as_json=as_json)
    except ApiError as exc:
        console.print()
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command()
def status(
    document_id: str,
    as_json: JsonOption = False,
    api: ApiOption = default_api_url(),
    user: UserOption = default_user(),
    token: TokenOption = None,
) -> None:
    """Show one document: its jobs and, once ready, its results."""
    client = _client(api, user, token)
    try:
        document = client.document(document_id)
    except ApiError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        print(json.dumps(_with_results(client, document), indent=2, default=str))
    else:
        _print_document(client, document, with_results=True)


@app.command("export")
def export_schema(
    schema: Annotated[str, typer.Argument(help="the schema's id, or its name among your schemas")],
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or xlsx")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here instead of to stdout")
    ] = None,
    api: ApiOption = default_api_url(),
    user: UserOption = default_user(),
    token: TokenOption = None,
) -> None:
    """Export a schema's results across your documents, corrected values and review states included."""
    from cli import export

    if output is None and fmt == "xlsx" and sys.stdout.isatty():
        err.print("[red]an XLSX workbook is binary: pass --output FILE[/red]")
        raise typer.Exit(2)
    client = _client(api, user, token)
    try:
        written = export.export(client, schema, fmt, output)
    except export.ExportError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except ApiError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if output is not None:
        err.print(f"{written} bytes written to {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
