"""Runs one delivery of a job: claim, work under a lease, then succeed, retry or fail.

The queue framework stays outside: a task hands the job id to `JobRunner.run` and nothing else.

The step works in a thread of its own while the calling thread watches the job: every
JOB_CANCEL_CHECK_SECONDS it asks the database whether the attempt still owns the job, and renews the
lease every third of it. When the job was cancelled (or taken over, or its document deleted) the runner
returns at once, so the worker takes its next job without waiting for the step's current page, batch or
provider call to finish; the step stops at its next check, unable to write anything more. A time limit
raised in the calling thread abandons the step the same way.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.engine import session_scope
from shared.db.outbox import TaskPublisher
from shared.jobs import service
from shared.jobs.context import JobContext
from shared.jobs.errors import ClaimLost, JobError, PermanentJobError, TransientJobError
from shared.jobs.kinds import Catalog, UnknownKind, catalog
from shared.jobs.states import JobStatus
from shared.jobs.step import Finalizer, Step
from shared.providers import usage
from shared.providers.errors import ProviderError

log = logging.getLogger(__name__)


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
        resources: Any,
        worker_name: str,
        classify: Callable[[BaseException], JobError | None] = lambda _exc: None,
        kinds: Catalog | None = None,
    ) -> None:
        self.factory = factory
        self.publisher = publisher
        self.settings = settings
        self.resources = resources  # what steps are built with (shared/pipeline/resources.py)
        self.worker_name = worker_name
        self.classify = classify
        self._kinds = kinds
        self._steps: dict[str, Step] = {}

    @property
    def kinds(self) -> Catalog:
        return self._kinds or catalog()

    def step(self, kind: str) -> Step:
        """The kind's step, built on first use: a worker builds only the steps of its own queue."""
        found = self._steps.get(kind)
        if found is None:
            found = self.kinds.step(kind)(self.resources)
            self._steps[kind] = found
        return found

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

        ctx = JobContext(claim, self.factory, self.settings)
        log.info("job %s (%s) attempt %d started", job_id, claim.kind, claim.attempt)
        with usage.metering() as meter:
            try:
                finalizer = self._supervise(ctx, self.step(claim.kind))
                with session_scope(self.factory, self.publisher) as session:
                    if finalizer is not None:
                        finalizer(session)
                    service.complete(
                        session,
                        claim,
                        meter.as_list(),
                        cap=self.settings.jobs.dispatch_per_user,
                        follow_ups=self.settings.jobs,
                    )
            except ClaimLost as lost:
                log.info("job %s attempt %d stopped: %s", job_id, claim.attempt, lost)
                return Outcome(job_id, "lost")
            except Exception as exc:
                return self._record_failure(ctx, self._as_job_error(exc), meter.as_list())
        log.info("job %s (%s) attempt %d succeeded", job_id, claim.kind, claim.attempt)
        return Outcome(job_id, JobStatus.SUCCEEDED.value)

    def _supervise(self, ctx: JobContext, step: Step) -> Finalizer | None:
        """Run the step in its own thread and watch the job until it is done or no longer ours."""
        done = threading.Event()
        outcome: dict[str, Any] = {}
        context = contextvars.copy_context()  # the trace span and the usage meter follow the step

        def work() -> None:
            try:
                outcome["result"] = context.run(step.run, ctx)
            except BaseException as exc:
                outcome["error"] = exc
            finally:
                done.set()
                if ctx.lost:
                    log.info(
                        "job %s attempt %d: its abandoned step has stopped", ctx.job_id, ctx.claim.attempt
                    )

        thread = threading.Thread(target=work, name=f"job-{ctx.job_id}", daemon=True)
        jobs = self.settings.jobs
        renew_every = max(1.0, jobs.lease_seconds / 3)
        next_renewal = time.monotonic() + renew_every
        thread.start()
        try:
            while not done.wait(jobs.cancel_check_seconds):
                renew = time.monotonic() >= next_renewal
                if not self._still_owned(ctx, jobs.lease_seconds if renew else None):
                    raise ClaimLost(
                        f"job {ctx.job_id} attempt {ctx.claim.attempt} was cancelled or taken over"
                    )
                if renew:
                    next_renewal = time.monotonic() + renew_every
        except BaseException:
            ctx.mark_lost()  # the abandoned step stops at its next check and can write nothing more
            raise
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    def _still_owned(self, ctx: JobContext, renew_for: int | None) -> bool:
        try:
            with session_scope(self.factory) as session:
                return service.still_owned(session, ctx.claim, renew_for=renew_for)
        except Exception:
            # The database is unreachable: carry on; the step's own writes are fenced anyway.
            log.warning("could not check on job %s", ctx.job_id, exc_info=True)
            return True

    def _as_job_error(self, exc: Exception) -> JobError:
        return as_job_error(exc, self.classify)

    def _record_failure(self, ctx: JobContext, error: JobError, spent: list[dict[str, object]]) -> Outcome:
        claim = ctx.claim
        try:
            with session_scope(self.factory, self.publisher) as session:
                status = service.fail(session, claim, error, self.settings.jobs, usage=spent)
        except ClaimLost:
            return Outcome(str(claim.job_id), "lost")
        log.warning(
            "job %s (%s) attempt %d %s: %s: %s",
            claim.job_id, claim.kind, claim.attempt, status.value, error.code, error.message,
        )  # fmt: skip
        return Outcome(str(claim.job_id), status.value)


def as_job_error(
    exc: Exception, classify: Callable[[BaseException], JobError | None] | None = None
) -> JobError:
    """What an exception from a step means for its job: retried (transient) or failed (permanent)."""
    if isinstance(exc, JobError):
        return exc
    if isinstance(exc, ProviderError):
        kind = TransientJobError if exc.transient else PermanentJobError
        return kind(exc.code, exc.message, retry_after=exc.retry_after)
    if isinstance(exc, UnknownKind):
        return PermanentJobError("unknown_kind", f"{exc} in this worker; check JOB_KIND_MODULES.")
    classified = classify(exc) if classify is not None else None
    if classified is not None:
        return classified
    log.exception("job step raised an unexpected error")
    # Unknown faults get the benefit of the doubt (retried), bounded by max_attempts.
    return TransientJobError("unexpected_error", f"{type(exc).__name__}: {str(exc)[:500]}")
