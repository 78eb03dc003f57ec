"""Uploading many files at once: folder trees walked, a bounded number of uploads in flight on one
connection pool, files already uploaded skipped by their content hash, passing refusals retried.

A run can be stopped at any point (Ctrl-C, SIGTERM, a killed process) and started again: the files the
server already has are found by their SHA-256 and skipped, and every upload carries an Idempotency-Key
derived from that hash, so an upload retried after an unknown outcome never makes a second document.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import os
import queue
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx

from cli.client import SHA256_PER_REQUEST, ApiClient, ApiError
from cli.signals import handling

DEFAULT_PARALLEL = 4
MAX_PARALLEL = 16
# An upload's answer comes once the server has stored the file; a stalled connection is retried.
UPLOAD_TIMEOUT = httpx.Timeout(120, connect=10)
# The server checked everything it could: trying again changes nothing. 429 and 5xx are not here.
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})

T = TypeVar("T")


class UsageError(ValueError):
    """The command line asked for something the run cannot do."""


# --- which files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeftOut:
    path: Path
    reason: str


@dataclass
class Walk:
    files: list[Path] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)


def walk(paths: Sequence[Path], *, recursive: bool) -> Walk:
    """The files to upload, in a stable order: each file named as it is, each folder (with `recursive`)
    depth-first by name. Inside a folder, hidden entries (a leading dot) are left out, and a link is
    followed only to a file inside that folder: a link out of it would upload what the user did not
    point at, and a link to a folder would walk a part of the tree twice or loop. A file reached twice
    is listed once."""
    found = Walk()
    seen: set[Path] = set()

    def take(path: Path) -> None:
        real = path.resolve()
        if real not in seen:
            seen.add(real)
            found.files.append(path)

    for path in paths:
        if path.is_dir():
            if not recursive:
                raise UsageError(f"{path} is a folder; pass --recursive to upload the files under it")
            _walk_folder(path, found, take)
        elif path.is_file():
            take(path)
        else:
            found.left_out.append(LeftOut(path, "not a regular file"))
    return found


def _walk_folder(root: Path, found: Walk, take: Callable[[Path], None]) -> None:
    inside = root.resolve()
    folders = [root]
    links: list[Path] = []  # taken last, so a file reached both ways is listed where it is
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            found.left_out.append(LeftOut(folder, f"unreadable folder ({exc.strerror})"))
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                found.left_out.append(LeftOut(path, "hidden"))
            elif entry.is_symlink():
                target = path.resolve()
                if not target.exists():
                    found.left_out.append(LeftOut(path, "broken link"))
                elif not target.is_relative_to(inside):
                    found.left_out.append(LeftOut(path, "link out of the folder"))
                elif target.is_dir():
                    found.left_out.append(LeftOut(path, "link to a folder"))
                elif target.is_file():
                    links.append(path)
                else:
                    found.left_out.append(LeftOut(path, "not a regular file"))
            elif entry.is_dir(follow_symlinks=False):
                subfolders.append(path)
            elif entry.is_file(follow_symlinks=False):
                take(path)
            else:  # a FIFO would block the read, a device never end
                found.left_out.append(LeftOut(path, "not a regular file"))
        folders.extend(reversed(subfolders))
    for link in links:
        take(link)


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def idempotency_key(sha256: str) -> str:
    return f"sha256-{sha256}"


# --- what happened to each file ------------------------------------------------------------------


class Outcome(enum.StrEnum):
    UPLOADED = "uploaded"
    EXISTING = "existing"  # the server had these bytes before this upload
    DUPLICATE = "duplicate"  # the same bytes as another file of this run
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # not done: the run stopped first


@dataclass(frozen=True)
class Failure:
    status: int | None  # the HTTP status; None when there was no answer
    code: str
    detail: str

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        if isinstance(exc, ApiError):
            detail = exc.problem.get("detail") or exc.problem.get("title") or ""
            return cls(exc.status, exc.code, str(detail))
        if isinstance(exc, httpx.TransportError):
            return cls(None, "unreachable", f"{type(exc).__name__}: {exc}".rstrip(": "))
        if isinstance(exc, OSError):
            return cls(None, "unreadable", exc.strerror or str(exc))
        return cls(None, "error", f"{type(exc).__name__}: {exc}".rstrip(": "))

    def __str__(self) -> str:
        status = f"{self.status} " if self.status is not None else ""
        return f"{status}{self.code}: {self.detail}" if self.detail else f"{status}{self.code}"


@dataclass(eq=False)
class Item:
    path: Path
    size: int
    sha256: str | None = None
    outcome: Outcome | None = None
    document: dict[str, Any] | None = None
    duplicate_of: Item | None = None
    error: Failure | None = None


def plan(batch: Sequence[Item], known: Mapping[str, dict[str, Any]], first: dict[str, Item]) -> list[Item]:
    """Settle each hashed, undecided item of `batch`: the same bytes as an earlier item of the run
    (DUPLICATE), already on the server (EXISTING, `known` maps hashes to the server's documents), else
    returned to be uploaded. `first` maps each content met so far to its first item; it is updated."""
    to_upload = []
    for item in batch:
        if item.outcome is not None or item.sha256 is None:
            continue
        earlier = first.get(item.sha256)
        if earlier is not None:
            item.outcome, item.duplicate_of = Outcome.DUPLICATE, earlier
            continue
        first[item.sha256] = item
        if item.sha256 in known:
            item.outcome, item.document = Outcome.EXISTING, known[item.sha256]
        else:
            to_upload.append(item)
    return to_upload


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries of a request while the server is unavailable or unreachable
    throttled_attempts: int = 30  # tries while the server says "too many, come back later"
    base_seconds: float = 1.0
    max_seconds: float = 30.0
    longest_wait: float = 300.0  # a Retry-After beyond this (a daily quota, say) fails instead

    def delay(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait after `error` ended try number `attempt` (from 1), or None: it is final."""
        backoff = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        if isinstance(error, ApiError):
            if error.status == 429:
                limit = self.throttled_attempts
            elif error.status in TRANSIENT_STATUSES:
                limit = self.attempts
            else:
                return None
            wait = backoff if error.retry_after is None else error.retry_after
            return wait if attempt < limit and wait <= self.longest_wait else None
        if isinstance(error, httpx.TransportError) and attempt < self.attempts:
            return backoff
        return None


def stops_the_run(failure: Failure) -> bool:
    """A refusal every other file would get too: going on would only repeat it."""
    return failure.status in (401, 403) or failure.code in ("invalid_pipeline", "upload_quota_exceeded")


# --- how it is shown ----------------------------------------------------------------------------


class View(Protocol):
    def begin_uploads(self, files: int, total_bytes: int) -> None: ...
    def sent(self, size: int) -> None: ...
    def settled(self, item: Item) -> None: ...
    def retrying(self, item: Item, failure: Failure, delay: float) -> None: ...
    def note(self, text: str) -> None: ...
    def begin_processing(self, documents: int) -> None: ...
    def processed(self, document: dict[str, Any], path: Path) -> None: ...
    def tick(self) -> None: ...
    def close(self) -> None: ...


# --- the run -------------------------------------------------------------------------------------


class _Stopped(Exception):
    """Raised inside an upload's body to abandon it when the run stops."""


class Uploader:
    """Uploads `items` with at most `parallel` requests in flight, through one client (so one pool of
    connections). Each file is hashed, the server asked in batches which of the hashes it already has,
    and only the rest are sent. Worker threads are daemons: a stopped run never waits on a stalled one."""

    def __init__(
        self,
        client: ApiClient,
        items: Sequence[Item],
        view: View,
        *,
        parallel: int = DEFAULT_PARALLEL,
        pipeline: str | None = None,
        policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = UPLOAD_TIMEOUT,
    ) -> None:
        if not 1 <= parallel <= MAX_PARALLEL:
            raise UsageError(f"--parallel must be between 1 and {MAX_PARALLEL}")
        self.client = client
        self.items = list(items)
        self.view = view
        self.parallel = parallel
        self.pipeline = pipeline
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.interrupted = False
        self.halted_by: Failure | None = None  # a refusal that stopped the run
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._resume_at = 0.0  # after a 429, no upload starts before this (time.monotonic)
        self._queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()

    def run(self) -> None:
        """Settles every item; Ctrl-C (KeyboardInterrupt) stops the run cleanly, leaving what was not
        done INTERRUPTED."""
        self.view.begin_uploads(len(self.items), sum(item.size for item in self.items))
        workers = [
            threading.Thread(target=self._work, name=f"upload-{n}", daemon=True) for n in range(self.parallel)
        ]
        for worker in workers:
            worker.start()
        with self._interrupt_stops_the_run():
            self._run(workers)
        self._settle_the_rest()

    def _run(self, workers: list[threading.Thread]) -> None:
        try:
            first: dict[str, Item] = {}
            for batch in batched(self.items, SHA256_PER_REQUEST):
                if self._stop.is_set():
                    break
                for item in batch:
                    self._hash(item)
                fresh = {item.sha256 for item in batch if item.sha256 and item.sha256 not in first}
                for item in plan(batch, self._lookup(fresh), first):
                    self._queue.put(item)
                for item in batch:
                    if item.outcome in (Outcome.EXISTING, Outcome.DUPLICATE):
                        self.view.sent(item.size)
                        self.view.settled(item)
                self.view.tick()
            self._join(workers, deadline=None)
        except KeyboardInterrupt:  # asked twice, or SIGTERM: stop waiting for those in flight
            self.interrupted = True
            self._stop.set()

    @contextlib.contextmanager
    def _interrupt_stops_the_run(self) -> Iterator[None]:
        """The first Ctrl-C (or SIGTERM) only asks the run to stop: raised as an exception it could land
        inside an HTTP call of the main thread, between a lock's acquire and release, and hang the
        uploads still in flight. The run stops between steps, waits a little for those in flight, and
        says what it did; a second one stops waiting."""

        def stop(_signum: int, _frame: object) -> None:
            if self.interrupted:
                raise KeyboardInterrupt
            self.interrupted = True
            self._stop.set()

        with handling([signal.SIGINT, signal.SIGTERM], stop):
            yield

    def _join(self, workers: list[threading.Thread], deadline: float | None) -> None:
        for _ in workers:
            self._queue.put(None)
        for worker in workers:
            while worker.is_alive() and (deadline is None or time.monotonic() < deadline):
                worker.join(timeout=0.2)  # short waits: Ctrl-C and the periodic view both get through
                self.view.tick()
                if deadline is None and self.interrupted:
                    deadline = time.monotonic() + 10  # those in flight get a little longer

    def _settle_the_rest(self) -> None:
        with self._lock:
            for item in self.items:
                if item.outcome is None:
                    item.outcome = Outcome.INTERRUPTED
            for item in self.items:
                earlier = item.duplicate_of
                if earlier is None:
                    continue
                if earlier.outcome in (Outcome.FAILED, Outcome.INTERRUPTED):
                    # It was never sent: it shares the fate of the file it repeats.
                    item.outcome, item.error = earlier.outcome, earlier.error
                item.document = earlier.document

    def _hash(self, item: Item) -> None:
        try:
            item.sha256 = sha256_of(item.path)
        except OSError as exc:
            self._settle(item, Outcome.FAILED, error=Failure.of(exc))
            self.view.sent(item.size)

    def _lookup(self, digests: set[str]) -> dict[str, dict[str, Any]]:
        """The caller's documents with these contents. Should the question fail, every file is sent:
        the server keeps one document per content anyway, the lookup only saves the transfer."""
        attempt = 0
        while digests and not self._stop.is_set():
            attempt += 1
            try:
                rows = self.client.owned_by_sha256(digests)
                return {row["sha256"]: row for row in rows}
            except (ApiError, httpx.HTTPError) as exc:
                delay = self.policy.delay(exc, attempt)
                if delay is None:
                    self.view.note(f"could not ask which files are already uploaded ({Failure.of(exc)}); "
                                   "sending them, the server keeps one copy of each")  # fmt: skip
                    return {}
                if isinstance(exc, ApiError) and exc.status == 429:
                    self._hold(delay)
                self._stop.wait(delay)
        return {}

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if not self._stop.is_set():
                self._upload(item)

    def _upload(self, item: Item) -> None:
        assert item.sha256 is not None
        attempt = 0
        while self._wait_for_turn():
            attempt += 1
            sent = 0

            def on_bytes(size: int) -> None:
                nonlocal sent
                if self._stop.is_set():
                    raise _Stopped
                sent += size
                self.view.sent(size)

            try:
                document, created = self.client.upload(
                    item.path, pipeline=self.pipeline, on_bytes=on_bytes,
                    idempotency_key=idempotency_key(item.sha256), timeout=self.timeout,
                )  # fmt: skip
            except Exception as exc:
                if self._stop.is_set():  # abandoned, or failed because of it: done on the next run
                    self.view.sent(-sent)
                    return
                failure = Failure.of(exc)
                delay = self.policy.delay(exc, attempt)
                if delay is None:
                    self.view.sent(item.size - sent)
                    self._settle(item, Outcome.FAILED, error=failure)
                    if stops_the_run(failure):
                        self._halt(failure)
                    return
                self.view.sent(-sent)
                delay *= random.uniform(1.0, 1.25)  # threads failing together do not retry together
                self.view.retrying(item, failure, delay)
                if isinstance(exc, ApiError) and exc.status == 429:
                    self._hold(delay)  # every upload would be refused alike: all of them wait
                elif self._stop.wait(delay):
                    return
                continue
            self.view.sent(item.size - sent)
            self._settle(item, Outcome.UPLOADED if created else Outcome.EXISTING, document=document)
            return

    def _wait_for_turn(self) -> bool:
        while not self._stop.is_set():
            with self._lock:
                wait = self._resume_at - time.monotonic()
            if wait <= 0:
                return True
            self._stop.wait(wait)
        return False

    def _hold(self, seconds: float) -> None:
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def _halt(self, failure: Failure) -> None:
        with self._lock:
            if self.halted_by is None:
                self.halted_by = failure
        self._stop.set()

    def _settle(
        self, item: Item, outcome: Outcome, *, document: dict[str, Any] | None = None,
        error: Failure | None = None,
    ) -> None:  # fmt: skip
        with self._lock:
            item.outcome, item.document, item.error = outcome, document, error
        self.view.settled(item)


def counts(items: Sequence[Item]) -> dict[str, int]:
    tally = Counter(item.outcome for item in items)
    return {outcome.value: tally[outcome] for outcome in Outcome}
