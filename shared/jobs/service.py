"""The worker's side of a job's life: claim it, hold it under a lease, report progress, then succeed
or fail. Each transition follows the rules in `transitions`; `runs` decides what a success or a failure
does to the outputs the document shows. `actions` holds what people ask for (retry, cancel, reprocess)
and `recovery` what the sweeper does.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Extract, SQLColumnExpression, func, select, update
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.config.runtime import DEFAULT_DISPATCH_PER_USER
from shared.events import service as events
from shared.jobs import runs, timing
from shared.jobs.backoff import retry_delay
from shared.jobs.dispatch import queue_time
from shared.jobs.errors import ClaimLost, JobError
from shared.jobs.states import JobStatus
from shared.jobs.transitions import lock_document, record_event, release
from shared.models import Document, Job
from shared.usage.service import charge_job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """One attempt's ownership of a job. Every write the attempt makes is fenced on (id, attempt)."""

    job_id: uuid.UUID
    document_id: uuid.UUID
    kind: str
    queue: str
    attempt: int
    max_attempts: int
    worker: str
    run_id: uuid.UUID
    input_job_id: uuid.UUID | None  # the job whose outputs this one reads


def _seconds_since(column: SQLColumnExpression[dt.datetime | None]) -> Extract:
    return func.extract("epoch", func.now() - column)


def _owned(claim: Claim) -> ColumnElement[bool]:
    return (
        (Job.id == claim.job_id) & (Job.status == JobStatus.RUNNING.value) & (Job.attempts == claim.attempt)
    )


# --- the worker's side ------------------------------------------------------------------------


def claim(session: Session, job_id: uuid.UUID, worker: str, lease_seconds: int) -> Claim | None:
    """queued -> running in one conditional UPDATE. None when the job is not claimable (done,
    cancelled, deleted or taken by another delivery of the same message), which makes duplicates free."""
    # The job's document, locked (the lock that serialises its transitions), in one statement.
    document_id = session.scalar(
        select(Document.id)
        .join(Job, Job.document_id == Document.id)
        .where(Job.id == job_id)
        .with_for_update(of=Document, key_share=True)
    )
    if document_id is None:
        return None
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value)
        .values(
            status=JobStatus.RUNNING.value,
            attempts=Job.attempts + 1,
            worker=worker,
            started_at=func.now(),
            finished_at=None,
            run_ms=None,
            lease_expires_at=func.now() + dt.timedelta(seconds=lease_seconds),
            next_attempt_at=None,
            progress=0.0,
            wait_ms=(_seconds_since(Job.queued_at) * 1000).cast(Job.wait_ms.type),
            updated_at=func.now(),
        )
        .returning(
            Job.kind, Job.queue, Job.attempts, Job.max_attempts, Job.wait_ms, Job.run_id, Job.depends_on_id
        )
    ).first()
    if row is None:
        return None
    timing.observe(session, row.kind, "wait", (row.wait_ms or 0) / 1000)
    record_event(session, job_id, JobStatus.RUNNING, row.attempts, worker, None)
    runs.refresh_document(session, document_id)
    return Claim(
        job_id=job_id,
        document_id=document_id,
        kind=row.kind,
        queue=row.queue,
        attempt=row.attempts,
        max_attempts=row.max_attempts,
        worker=worker,
        run_id=row.run_id,
        input_job_id=row.depends_on_id,
    )


def still_owned(session: Session, claim: Claim, *, renew_for: int | None = None) -> bool:
    """Whether the attempt still owns its job (not cancelled, taken over or deleted); with `renew_for`,
    also extend the lease by that many seconds. Touches only the job row."""
    if renew_for is None:
        return session.scalar(select(select(Job.id).where(_owned(claim)).exists())) or False
    renewed = session.execute(
        update(Job)
        .where(_owned(claim))
        .values(lease_expires_at=func.now() + dt.timedelta(seconds=renew_for))
        .returning(Job.id)
    ).first()
    return renewed is not None


def renew_lease(session: Session, claim: Claim, lease_seconds: int) -> bool:
    """Extend the lease; False when the attempt no longer owns the job."""
    return still_owned(session, claim, renew_for=lease_seconds)


def report_progress(session: Session, claim: Claim, progress: float | None, lease_seconds: int) -> None:
    """Fence, progress and lease in one step; raise ClaimLost if the attempt lost the job."""
    if not lock_document(session, claim.document_id):
        raise ClaimLost(f"document {claim.document_id} was deleted")
    values: dict[str, object] = {
        "lease_expires_at": func.now() + dt.timedelta(seconds=lease_seconds),
        "updated_at": func.now(),
    }
    if progress is not None:
        values["progress"] = min(1.0, max(0.0, progress))
    updated = session.execute(update(Job).where(_owned(claim)).values(**values).returning(Job.id)).first()
    if updated is None:
        raise ClaimLost(f"job {claim.job_id} attempt {claim.attempt} no longer owns the job")
    if progress is None:
        return  # a fenced write or a lease: nothing a reader of the document sees has changed
    session.execute(
        update(Document)
        .where(Document.id == claim.document_id)
        .values(revision=Document.revision + 1, updated_at=func.now())
    )
    events.document_changed(session, claim.document_id, job_id=str(claim.job_id), progress=progress)


def complete(
    session: Session,
    claim: Claim,
    usage: Sequence[dict[str, Any]] = (),
    *,
    cap: int = DEFAULT_DISPATCH_PER_USER,
    follow_ups: JobSettings | None = None,
) -> list[uuid.UUID]:
    """running -> succeeded, releasing the jobs that waited on it, and switching the run's outputs in
    when it was the run's last job (then, given `follow_ups`, starting the runs the document wants
    after it); returns the released jobs' ids."""
    if not lock_document(session, claim.document_id):
        raise ClaimLost(f"document {claim.document_id} was deleted")
    row = session.execute(
        update(Job)
        .where(_owned(claim))
        .values(
            status=JobStatus.SUCCEEDED.value,
            progress=1.0,
            finished_at=func.now(),
            run_ms=(_seconds_since(Job.started_at) * 1000).cast(Job.run_ms.type),
            lease_expires_at=None,
            error_code=None,
            error_message=None,
            updated_at=func.now(),
        )
        .returning(Job.run_ms)
    ).first()
    if row is None:
        raise ClaimLost(f"job {claim.job_id} attempt {claim.attempt} no longer owns the job")
    timing.observe(session, claim.kind, "run", (row.run_ms or 0) / 1000)
    charge_job(session, claim.job_id, usage)
    record_event(session, claim.job_id, JobStatus.SUCCEEDED, claim.attempt, claim.worker, None)
    released = session.execute(
        update(Job)
        .where(Job.depends_on_id == claim.job_id, Job.status == JobStatus.WAITING.value)
        .values(
            status=JobStatus.QUEUED.value, queued_at=queue_time(), published_at=None, updated_at=func.now()
        )
        .returning(Job.id, Job.queue)
    ).all()
    for job_id, _ in released:
        record_event(session, job_id, JobStatus.QUEUED, 0, None, None)
    release(session, claim.document_id, [claim.queue, *(queue for _, queue in released)], cap)
    if runs.finish_if_complete(session, claim.document_id, claim.run_id) and follow_ups is not None:
        runs.start_wanted(session, claim.document_id, claim.run_id, follow_ups)
    runs.refresh_document(session, claim.document_id)
    return [job_id for job_id, _ in released]


def fail(
    session: Session,
    claim: Claim,
    error: JobError,
    settings: JobSettings,
    rng: random.Random | None = None,
    usage: Sequence[dict[str, Any]] = (),
) -> JobStatus:
    """running -> retrying (transient, attempts left) or failed; returns the new status. A failed job's
    outputs are discarded (its run will not switch in unless it is retried) and what waited on it ends."""
    if not lock_document(session, claim.document_id):
        raise ClaimLost(f"document {claim.document_id} was deleted")
    retry = error.transient and claim.attempt < claim.max_attempts
    values: dict[str, object] = {
        "error_code": error.code,
        "error_message": error.message,
        "lease_expires_at": None,
        "run_ms": (_seconds_since(Job.started_at) * 1000).cast(Job.run_ms.type),
        "updated_at": func.now(),
    }
    if retry:
        delay = retry_delay(
            claim.attempt, base=settings.retry_base_seconds, cap=settings.retry_max_seconds, rng=rng
        )
        if error.retry_after is not None:  # the provider said when it will answer again
            delay = max(delay, min(error.retry_after, settings.retry_max_seconds))
        values |= {
            "status": JobStatus.RETRYING.value,
            "next_attempt_at": func.now() + dt.timedelta(seconds=delay),
        }
    else:
        values |= {"status": JobStatus.FAILED.value, "finished_at": func.now()}
    row = session.execute(update(Job).where(_owned(claim)).values(**values).returning(Job.run_ms)).first()
    if row is None:
        raise ClaimLost(f"job {claim.job_id} attempt {claim.attempt} no longer owns the job")
    timing.observe(session, claim.kind, "run", (row.run_ms or 0) / 1000)
    charge_job(session, claim.job_id, usage)  # a failed attempt was still paid for
    status = JobStatus.RETRYING if retry else JobStatus.FAILED
    record_event(session, claim.job_id, status, claim.attempt, claim.worker, f"{error.code}: {error.message}")
    if status is JobStatus.FAILED:
        job = session.get(Job, claim.job_id, populate_existing=True)
        if job is not None:
            runs.end_failed(session, job)
    release(session, claim.document_id, [claim.queue], settings.dispatch_per_user)  # its slot is free
    runs.refresh_document(session, claim.document_id)
    return status
