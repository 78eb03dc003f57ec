"""`workopti submit --recursive`: many files uploaded at once and shown as one: an overall progress bar
on a terminal, a line per file and a status line now and then elsewhere; then what became of each file,
failures first-class."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.filesize import decimal
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from cli.client import TERMINAL, ApiClient, ApiError
from cli.follow import follow
from cli.signals import handling
from cli.uploader import Failure, Item, Outcome, Uploader, Walk, counts

# Exit statuses: what shells use for "failed" and for "stopped by Ctrl-C".
FAILED, INTERRUPTED = 1, 130
_OUTCOME_WORDS = {
    Outcome.UPLOADED: "uploaded",
    Outcome.EXISTING: "already uploaded",
    Outcome.DUPLICATE: "duplicate of another file",
    Outcome.FAILED: "failed",
    Outcome.INTERRUPTED: "not uploaded (interrupted)",
}


def submit(
    client: ApiClient,
    found: Walk,
    *,
    parallel: int,
    pipeline: str | None,
    wait: bool,
    as_json: bool,
    poll_seconds: float,
    out: Console,
    err: Console,
) -> int:
    """Upload what `found` lists; with `wait`, follow the documents until each has been processed.
    Prints the summary (or JSON) and returns the exit status."""
    items = [Item(path, _size(path)) for path in found.files]
    view: BarView | LineView = BarView(err) if err.is_terminal else LineView(err)
    uploader = Uploader(client, items, view, parallel=parallel, pipeline=pipeline)
    documents: dict[str, dict[str, Any]] = {}
    interrupted = False
    with _terminate_as_interrupt():
        try:
            if items:
                uploader.run()
            interrupted = uploader.interrupted
            if wait and not interrupted and uploader.halted_by is None:
                _follow(client, items, documents, view, poll_seconds)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            view.close()
    failed_documents = {
        doc_id: _why_it_failed(client, doc_id)
        for doc_id, doc in documents.items()
        if doc["status"] == "failed"
    }
    if as_json:
        print(json.dumps(_as_json(items, found, interrupted, uploader.halted_by), indent=2))
    else:
        _summary(items, found, documents, failed_documents, interrupted, uploader.halted_by, out, err)
    if interrupted:
        return INTERRUPTED
    failed = any(item.outcome is Outcome.FAILED for item in items)
    return FAILED if failed or failed_documents or uploader.halted_by else 0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # gone since the walk: reading it fails, and says so


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a supervisor, `kill`) stops the run as Ctrl-C does: cleanly, with the summary."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    with handling([signal.SIGTERM], interrupt):
        yield


def _follow(
    client: ApiClient,
    items: list[Item],
    documents: dict[str, dict[str, Any]],
    view: BarView | LineView,
    poll_seconds: float,
) -> None:
    """Every document the run uploaded or found (into `documents`), followed on one event stream until
    each has ended."""
    paths: dict[str, Path] = {}
    for item in items:
        if item.outcome in (Outcome.UPLOADED, Outcome.EXISTING) and item.document is not None:
            # Shared with the item (and its duplicates), so the status they report stays current.
            document = item.document
            documents[document["id"]] = document
            paths[document["id"]] = item.path
    view.begin_processing(len(documents))
    for document_id, document in documents.items():
        view.processed(document, paths[document_id])

    def changed(document_id: str) -> None:
        view.processed(documents[document_id], paths[document_id])

    follow(client, documents, changed, poll_seconds, status_only=True)


def _why_it_failed(client: ApiClient, document_id: str) -> str:
    try:
        document = client.document(document_id)
    except ApiError as exc:
        return str(exc)
    for job in document.get("jobs", []):
        error = job.get("error")
        if job["status"] == "failed" and error:
            return f"{job['kind']} {error['code']}: {error['message']}"
    return "failed"


# --- views ---------------------------------------------------------------------------------------


class _Tally:
    """What the views count, from the worker threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files = 0
        self.total_bytes = 0
        self.bytes_done = 0
        self.outcomes: Counter[Outcome] = Counter()
        self.documents = 0
        self.ended: dict[str, str] = {}

    def files_line(self) -> str:
        done = sum(self.outcomes.values())
        parts = [f"{done}/{self.files} files"]
        if self.outcomes[Outcome.EXISTING] + self.outcomes[Outcome.DUPLICATE]:
            parts.append(f"{self.outcomes[Outcome.EXISTING] + self.outcomes[Outcome.DUPLICATE]} skipped")
        if self.outcomes[Outcome.FAILED]:
            parts.append(f"{self.outcomes[Outcome.FAILED]} failed")
        return ", ".join(parts)

    def processing_line(self) -> str:
        failed = sum(1 for status in self.ended.values() if status != "ready")
        return f"{len(self.ended)}/{self.documents} processed" + (f", {failed} failed" if failed else "")

    def record(self, document: dict[str, Any]) -> bool:
        """Counts a document that has ended; True the first time it is seen ended."""
        if document["status"] not in TERMINAL or document["id"] in self.ended:
            return False
        self.ended[document["id"]] = document["status"]
        return True


class BarView(_Tally):
    """One bar for the uploads (bytes and files), then one for the processing, on a terminal."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def _start(self, *columns: Any, total: float, description: str) -> None:
        self.close()
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), *columns, TextColumn("{task.fields[state]}"),
            console=self.console,
        )  # fmt: skip
        self.progress.start()
        self.task = self.progress.add_task(description, total=total, state="")

    def _update(self, **fields: Any) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, **fields)

    def begin_uploads(self, files: int, total_bytes: int) -> None:
        self.files, self.total_bytes = files, total_bytes
        self._start(
            DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(), total=total_bytes,
            description="uploading",
        )  # fmt: skip
        self._update(state=self.files_line())

    def sent(self, size: int) -> None:
        self._update(advance=size)

    def settled(self, item: Item) -> None:
        with self.lock:
            self.outcomes[item.outcome or Outcome.INTERRUPTED] += 1
            line = self.files_line()
        self._update(state=line)
        if item.outcome is Outcome.FAILED and self.progress is not None:
            self.progress.console.print(
                f"[red]failed[/red] {escape(str(item.path))}: {escape(str(item.error))}", highlight=False
            )

    def retrying(self, item: Item, failure: Failure, delay: float) -> None:
        if self.progress is not None:
            self.progress.console.print(
                f"[yellow]retrying in {delay:.0f}s[/yellow] {escape(str(item.path))}: {escape(str(failure))}",
                highlight=False,
            )

    def note(self, text: str) -> None:
        (self.progress.console if self.progress is not None else self.console).print(escape(text))

    def begin_processing(self, documents: int) -> None:
        self.documents = documents
        self._start(TimeElapsedColumn(), total=documents, description="processing")

    def processed(self, document: dict[str, Any], path: Path) -> None:
        if self.record(document):
            self._update(completed=len(self.ended), state=self.processing_line())

    def tick(self) -> None:
        pass

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class LineView(_Tally):
    """Plain lines for logs and pipes: each file sent or failed as it happens, and every
    `interval` seconds where the whole run stands."""

    def __init__(self, console: Console, interval: float = 10.0) -> None:
        super().__init__()
        self.console = console
        self.interval = interval
        self.last_status = time.monotonic()

    def _say(self, text: str) -> None:
        _plain(self.console, text)

    def begin_uploads(self, files: int, total_bytes: int) -> None:
        self.files, self.total_bytes = files, total_bytes
        self._say(f"uploading {files} files, {decimal(total_bytes)}")

    def sent(self, size: int) -> None:
        with self.lock:
            self.bytes_done += size

    def settled(self, item: Item) -> None:
        with self.lock:
            self.outcomes[item.outcome or Outcome.INTERRUPTED] += 1
        if item.outcome is Outcome.UPLOADED:
            self._say(f"uploaded {item.path}")
        elif item.outcome is Outcome.FAILED:
            self._say(f"failed {item.path}: {item.error}")

    def retrying(self, item: Item, failure: Failure, delay: float) -> None:
        self._say(f"retrying in {delay:.0f}s {item.path}: {failure}")

    def note(self, text: str) -> None:
        self._say(text)

    def begin_processing(self, documents: int) -> None:
        self.documents = documents
        self.last_status = time.monotonic()
        self._say(f"following {documents} documents until they are processed")

    def processed(self, document: dict[str, Any], path: Path) -> None:
        if self.record(document) and document["status"] != "ready":
            self._say(f"{document['status']} {path}")
        self.tick()

    def tick(self) -> None:
        now = time.monotonic()
        if now - self.last_status < self.interval:
            return
        self.last_status = now
        with self.lock:
            if self.documents:
                line = self.processing_line()
            else:
                line = f"{self.files_line()}, {decimal(self.bytes_done)} of {decimal(self.total_bytes)}"
        self._say(line)

    def close(self) -> None:
        pass


# --- the end -------------------------------------------------------------------------------------


def _summary(
    items: list[Item],
    found: Walk,
    documents: dict[str, dict[str, Any]],
    failed_documents: dict[str, str],
    interrupted: bool,
    halted_by: Failure | None,
    out: Console,
    err: Console,
) -> None:
    tally = counts(items)
    size = decimal(sum(item.size for item in items))
    parts = [f"{tally[o.value]} {_OUTCOME_WORDS[o]}" for o in Outcome if tally[o.value]]
    _plain(out, f"{len(items)} files, {size}: {', '.join(parts) or 'nothing to upload'}")
    if documents:
        statuses = sorted(Counter(doc["status"] for doc in documents.values()).items())
        _plain(out, "processed: " + ", ".join(f"{n} {status}" for status, n in statuses))
    if found.left_out:
        reasons = sorted(Counter(left.reason for left in found.left_out).items())
        _plain(out, "left out: " + ", ".join(f"{n} {reason}" for reason, n in reasons))
    failed = [item for item in items if item.outcome is Outcome.FAILED]
    if failed:
        err.print(f"[red]{len(failed)} failed:[/red]")
        for item in failed:
            _plain(err, f"  {item.path}: {item.error}")
    if failed_documents:
        paths = {item.document["id"]: item.path for item in items if item.document is not None}
        err.print(f"[red]{len(failed_documents)} failed in processing:[/red]")
        for document_id, why in failed_documents.items():
            _plain(err, f"  {paths[document_id]} (document {document_id}): {why}")
    if halted_by is not None:
        _plain(err, f"stopped: every other file would be refused with {halted_by}")
    if interrupted and tally[Outcome.INTERRUPTED.value]:
        _plain(
            err,
            f"interrupted: {tally[Outcome.INTERRUPTED.value]} files not uploaded; run the same command "
            "again to finish (what is uploaded is skipped)",
        )
    elif interrupted:
        _plain(err, "interrupted: everything is uploaded; the documents go on being processed")


def _plain(console: Console, text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _as_json(items: list[Item], found: Walk, interrupted: bool, halted_by: Failure | None) -> dict[str, Any]:
    def error(failure: Failure | None) -> dict[str, Any] | None:
        return (
            None
            if failure is None
            else {"status": failure.status, "code": failure.code, "detail": failure.detail}
        )

    return {
        "files": [
            {
                "path": str(item.path),
                "size": item.size,
                "sha256": item.sha256,
                "outcome": (item.outcome or Outcome.INTERRUPTED).value,
                "document_id": item.document["id"] if item.document else None,
                "status": item.document["status"] if item.document else None,
                "duplicate_of": str(item.duplicate_of.path) if item.duplicate_of else None,
                "error": error(item.error),
            }
            for item in items
        ],
        "left_out": [{"path": str(left.path), "reason": left.reason} for left in found.left_out],
        "counts": counts(items),
        "interrupted": interrupted,
        "stopped_by": error(halted_by),
    }
