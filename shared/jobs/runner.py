"""Runs one delivery of a job: claim, work under a lease, then succeed, retry or fail.

The queue framework stays outside: a task hands the job id to `JobRunner.run` and nothing else.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.engine import session_scope
from shared.db.outbox import TaskPublisher
from shared.jobs import service
from shared.jobs.errors import ClaimLost, JobError, TransientJobError
from shared.jobs.service import Claim
from shared.jobs.states import JobKind, JobStatus
from shared.providers import usage

log = logging.getLogger(__name__)

T = TypeVar("T")
Finalizer = Callable[[Session], None]


class JobContext:
    """What a step may use while it holds a job: fenced writes, progress, reads, cancellation."""

    def __init__(self, claim: Claim, factory: sessionmaker[Session], settings: Settings) -> None:
        self.claim = claim
        self.settings = settings
        self._factory = factory
        self._lost = threading.Event()
        self._last_progress = -1.0
        self._last_progress_at = 0.0

    @property
    def document_id(self) -> uuid.UUID:
        return self.claim.document_id

    def mark_lost(self) -> None:
        self._lost.set()

    def ensure_owned(self) -> None:
        """Stop early (ClaimLost) once the heartbeat has seen the job cancelled or taken."""
        if self._lost.is_set():
            raise ClaimLost(
                f"job {self.claim.job_id} attempt {self.claim.attempt} was cancelled or taken over"
            )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads; nothing written through it is kept."""
        session = self._factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def write(self, work: Callable[[Session], T], *, progress: float | None = None) -> T:
        """Run `work` in its own transaction, fenced on this attempt still owning the job."""
        self.ensure_owned()
        with session_scope(self._factory) as session:
            try:
                service.report_progress(session, self.claim, progress, self.settings.jobs.lease_seconds)
            except ClaimLost:
                self.mark_lost()
                raise
            result = work(session)
        if progress is not None:
            self._last_progress = progress
        return result

    def progress(self, fraction: float) -> None:
        """Report progress; throttled so a fast step does not turn every page into a write."""
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_progress_at < 1.0 and fraction - self._last_progress < 0.1:
            self.ensure_owned()
            return
        self._last_progress_at = now
        self.write(lambda _session: None, progress=fraction)


class Step(Protocol):
    """One kind of job. `run` does the work with fenced writes; what it returns (if anything) runs inside
    the transaction that marks the job succeeded, so final results and success commit together."""

    def run(self, ctx: JobContext) -> Finalizer | None: ...

    def discard(self, ctx: JobContext) -> None:
        """Remove what a failed attempt wrote outside the database (blobs); called when it ends failed."""
        ...


class _Heartbeat:
    """Renews the lease while the step works, so a live worker keeps its job and a dead one loses it."""

    def __init__(self, ctx: JobContext, factory: sessionmaker[Session], lease_seconds: int) -> None:
        self._ctx = ctx
        self._factory = factory
        self._lease = lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{ctx.claim.job_id}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _beat(self) -> None:
        interval = max(1.0, self._lease / 3)
        while not self._stop.wait(interval):
            try:
                with session_scope(self._factory) as session:
                    owned = service.renew_lease(session, self._ctx.claim, self._lease)
            except Exception:
                log.warning("could not renew the lease of job %s", self._ctx.claim.job_id, exc_info=True)
                continue
            if not owned:
                self._ctx.mark_lost()
                return


@dataclass(frozen=True)
class Outcome:
    job_id: str
    status: str  # succeeded | retrying | failed | skipped | lost


class JobRunner:
    def __init__(
        self,
        factory: sessionmaker[Session],
        publisher: TaskPublisher,
        settings: Settings,
        steps: Mapping[JobKind, Step],
        worker_name: str,
        classify: Callable[[BaseException], JobError | None] = lambda _exc: None,
    ) -> None:
        self.factory = factory
        self.publisher = publisher
        self.settings = settings
        self.steps = steps
        self.worker_name = worker_name
        self.classify = classify

    def run(self, job_id: str) -> Outcome:
        try:
            parsed = uuid.UUID(job_id)
        except ValueError:
            log.error("dropping a message with a malformed job id %r", job_id)
            return Outcome(job_id, "skipped")
        with session_scope(self.factory, self.publisher) as session:
            claim = service.claim(session, parsed, self.worker_name, self.settings.jobs.lease_seconds)
        if claim is None:
            log.info("job %s is not claimable (done, cancelled, deleted or taken); nothing to do", job_id)
            return Outcome(job_id, "skipped")

        step = self.steps[claim.kind]
        ctx = JobContext(claim, self.factory, self.settings)
        log.info("job %s (%s) attempt %d started", job_id, claim.kind.value, claim.attempt)
        with usage.metering() as meter:
            try:
                with _Heartbeat(ctx, self.factory, self.settings.jobs.lease_seconds):
                    finalizer = step.run(ctx)
                    with session_scope(self.factory, self.publisher) as session:
                        if finalizer is not None:
                            finalizer(session)
                        service.complete(
                            session, claim, meter.as_list(), cap=self.settings.jobs.dispatch_per_user
                        )
            except ClaimLost as lost:
                log.info("job %s attempt %d stopped: %s", job_id, claim.attempt, lost)
                return Outcome(job_id, "lost")
            except Exception as exc:
                error = self._as_job_error(exc)
                return self._record_failure(step, ctx, error, meter.as_list())
        log.info("job %s (%s) attempt %d succeeded", job_id, claim.kind.value, claim.attempt)
        return Outcome(job_id, JobStatus.SUCCEEDED.value)

    def _as_job_error(self, exc: Exception) -> JobError:
        if isinstance(exc, JobError):
            return exc
        classified = self.classify(exc)
        if classified is not None:
            return classified
        log.exception("job step raised an unexpected error")
        # Unknown faults get the benefit of the doubt (retried), bounded by max_attempts.
        return TransientJobError("unexpected_error", f"{type(exc).__name__}: {str(exc)[:500]}")

    def _record_failure(
        self, step: Step, ctx: JobContext, error: JobError, spent: list[dict[str, object]]
    ) -> Outcome:
        claim = ctx.claim
        try:
            with session_scope(self.factory, self.publisher) as session:
                status = service.fail(session, claim, error, self.settings.jobs, usage=spent)
        except ClaimLost:
            return Outcome(str(claim.job_id), "lost")
        log.warning(
            "job %s (%s) attempt %d %s: %s: %s",
            claim.job_id, claim.kind.value, claim.attempt, status.value, error.code, error.message,
        )  # fmt: skip
        if status is JobStatus.FAILED:
            try:
                step.discard(ctx)
            except Exception:
                log.warning("could not discard the outputs of failed job %s", claim.job_id, exc_info=True)
        return Outcome(str(claim.job_id), status.value)
