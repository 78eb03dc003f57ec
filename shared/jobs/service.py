"""Job transitions. Each one runs inside the caller's transaction and follows the same rule: lock the
document row first, change the job with a conditional UPDATE, then re-derive the document's status.

Locking the document first serialises every transition of one document's jobs (two jobs finishing at
once cannot both see the other still running), and one lock order everywhere means no deadlocks.
Messages for newly queued jobs go to the session's outbox and leave after commit.

This module holds the rules and the worker's side (create, claim, lease, progress, complete, fail);
`actions` holds what people ask for (retry, cancel) and `recovery` what the sweeper does.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.jobs import timing
from shared.jobs.backoff import retry_delay
from shared.jobs.dispatch import dispatch, owner_of, queue_time
from shared.jobs.errors import ClaimLost, JobError
from shared.jobs.states import (
    DEFAULT_DISPATCH_PER_USER,
    DEPENDS_ON,
    QUEUE_FOR_KIND,
    JobKind,
    JobStatus,
    derive_document_status,
)
from shared.models import AiResult, Chunk, Document, Job, JobEvent, Page
from shared.usage.service import charge_job

log = logging.getLogger(__name__)

_ORDER = (JobKind.EXTRACT, JobKind.EMBED, JobKind.AI)


@dataclass(frozen=True)
class Claim:
    """One attempt's ownership of a job. Every write the attempt makes is fenced on (id, attempt)."""

    job_id: uuid.UUID
    document_id: uuid.UUID
    kind: JobKind
    attempt: int
    max_attempts: int
    worker: str

    @property
    def queue(self) -> str:
        return QUEUE_FOR_KIND[self.kind]


def _seconds_since(column: ColumnElement[dt.datetime]) -> ColumnElement[float]:
    return func.extract("epoch", func.now() - column)


def _owned(claim: Claim) -> ColumnElement[bool]:
    return (
        (Job.id == claim.job_id) & (Job.status == JobStatus.RUNNING.value) & (Job.attempts == claim.attempt)
    )


def lock_document(session: Session, document_id: uuid.UUID) -> bool:
    """Take the row lock that serialises this document's job transitions; False if it is gone."""
    found = session.execute(
        select(Document.id).where(Document.id == document_id).with_for_update(key_share=True)
    ).first()
    return found is not None


def refresh_document(session: Session, document_id: uuid.UUID) -> None:
    """Re-derive the document's status from its jobs and bump its revision (its ETag)."""
    statuses = session.scalars(select(Job.status).where(Job.document_id == document_id)).all()
    status = derive_document_status(JobStatus(s) for s in statuses)
    session.execute(
        update(Document)
        .where(Document.id == document_id)
        .values(status=status.value, revision=Document.revision + 1, updated_at=func.now())
    )


def record_event(
    session: Session,
    job_id: uuid.UUID,
    status: JobStatus,
    attempt: int,
    worker: str | None,
    detail: str | None,
) -> None:
    session.add(JobEvent(job_id=job_id, status=status.value, attempt=attempt, worker=worker, detail=detail))


def release(session: Session, document_id: uuid.UUID, queues: Iterable[str], cap: int) -> None:
    """Publish what the document owner may now have in flight in each queue (see dispatch.py)."""
    owner = owner_of(session, document_id)
    if owner is None:
        return
    for queue in sorted(set(queues)):
        dispatch(session, owner, queue, cap)


# --- creating ---------------------------------------------------------------------------------


def create_pipeline(
    session: Session, document_id: uuid.UUID, kinds: Iterable[JobKind], settings: JobSettings
) -> list[Job]:
    """The document's jobs: the first queued (published after commit), the rest waiting on it."""
    wanted = set(kinds)
    if JobKind.EXTRACT not in wanted:
        raise ValueError("every pipeline starts with extract")
    by_kind: dict[JobKind, Job] = {}
    for kind in _ORDER:
        if kind not in wanted:
            continue
        parent_kind = DEPENDS_ON[kind]
        parent = by_kind.get(parent_kind) if parent_kind else None
        job = Job(
            id=uuid.uuid4(),
            document_id=document_id,
            kind=kind.value,
            queue=QUEUE_FOR_KIND[kind],
            status=(JobStatus.WAITING if parent else JobStatus.QUEUED).value,
            depends_on_id=parent.id if parent else None,
            max_attempts=settings.max_attempts,
            attempts=0,
            progress=0.0,
        )
        if parent is None:
            job.queued_at = queue_time()  # held: dispatch publishes it when the owner has room
        by_kind[kind] = job
        session.add(job)
    session.flush()
    for job in by_kind.values():
        record_event(session, job.id, JobStatus(job.status), 0, None, None)
    release(session, document_id, [QUEUE_FOR_KIND[JobKind.EXTRACT]], settings.dispatch_per_user)
    return list(by_kind.values())


# --- the worker's side ------------------------------------------------------------------------


def claim(session: Session, job_id: uuid.UUID, worker: str, lease_seconds: int) -> Claim | None:
    """queued -> running in one conditional UPDATE. None when the job is not claimable (done,
    cancelled, deleted or taken by another delivery of the same message), which makes duplicates free."""
    document_id = session.scalar(select(Job.document_id).where(Job.id == job_id))
    if document_id is None or not lock_document(session, document_id):
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
        .returning(Job.kind, Job.attempts, Job.max_attempts, Job.wait_ms)
    ).first()
    if row is None:
        return None
    kind, attempt, max_attempts, wait_ms = row
    timing.observe(session, kind, "wait", (wait_ms or 0) / 1000)
    record_event(session, job_id, JobStatus.RUNNING, attempt, worker, None)
    refresh_document(session, document_id)
    return Claim(job_id, document_id, JobKind(kind), attempt, max_attempts, worker)


def renew_lease(session: Session, claim: Claim, lease_seconds: int) -> bool:
    """Extend the lease; False when the attempt no longer owns the job. Touches only the job row."""
    renewed = session.execute(
        update(Job)
        .where(_owned(claim))
        .values(lease_expires_at=func.now() + dt.timedelta(seconds=lease_seconds))
        .returning(Job.id)
    ).first()
    return renewed is not None


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
    session.execute(
        update(Document)
        .where(Document.id == claim.document_id)
        .values(revision=Document.revision + 1, updated_at=func.now())
    )


def complete(
    session: Session,
    claim: Claim,
    usage: Sequence[dict[str, Any]] = (),
    *,
    cap: int = DEFAULT_DISPATCH_PER_USER,
) -> list[uuid.UUID]:
    """running -> succeeded, releasing the jobs that waited on it; returns their ids."""
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
    timing.observe(session, claim.kind.value, "run", (row.run_ms or 0) / 1000)
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
    refresh_document(session, claim.document_id)
    return [job_id for job_id, _ in released]


def fail(
    session: Session,
    claim: Claim,
    error: JobError,
    settings: JobSettings,
    rng: random.Random | None = None,
    usage: Sequence[dict[str, Any]] = (),
) -> JobStatus:
    """running -> retrying (transient, attempts left) or failed; returns the new status."""
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
        values |= {
            "status": JobStatus.RETRYING.value,
            "next_attempt_at": func.now() + dt.timedelta(seconds=delay),
        }
    else:
        values |= {"status": JobStatus.FAILED.value, "finished_at": func.now()}
    row = session.execute(update(Job).where(_owned(claim)).values(**values).returning(Job.run_ms)).first()
    if row is None:
        raise ClaimLost(f"job {claim.job_id} attempt {claim.attempt} no longer owns the job")
    timing.observe(session, claim.kind.value, "run", (row.run_ms or 0) / 1000)
    charge_job(session, claim.job_id, usage)  # a failed attempt was still paid for
    status = JobStatus.RETRYING if retry else JobStatus.FAILED
    record_event(session, claim.job_id, status, claim.attempt, claim.worker, f"{error.code}: {error.message}")
    if status is JobStatus.FAILED:
        end_failed(session, claim.job_id, claim.document_id, claim.kind)
    release(session, claim.document_id, [claim.queue], settings.dispatch_per_user)  # its slot is free
    refresh_document(session, claim.document_id)
    return status


def end_failed(session: Session, job_id: uuid.UUID, document_id: uuid.UUID, kind: JobKind) -> None:
    """A job that will not succeed leaves nothing half-written, and what waited on it will not run."""
    discard_outputs(session, document_id, kind)
    cancel_descendants(session, job_id, "upstream_failed", f"Skipped because the {kind.value} job failed.")


def discard_outputs(session: Session, document_id: uuid.UUID, kind: JobKind) -> None:
    if kind is JobKind.EXTRACT:
        session.execute(delete(Page).where(Page.document_id == document_id))
        session.execute(update(Document).where(Document.id == document_id).values(page_count=None))
    elif kind is JobKind.EMBED:
        session.execute(delete(Chunk).where(Chunk.document_id == document_id))
    elif kind is JobKind.AI:
        session.execute(delete(AiResult).where(AiResult.document_id == document_id))


def descendants(session: Session, job_id: uuid.UUID) -> list[Job]:
    found: list[Job] = []
    frontier = [job_id]
    while frontier:
        children = session.scalars(select(Job).where(Job.depends_on_id.in_(frontier))).all()
        found.extend(children)
        frontier = [child.id for child in children]
    return found


def cancel_descendants(session: Session, job_id: uuid.UUID, code: str, message: str) -> None:
    for child in descendants(session, job_id):
        if JobStatus(child.status).terminal:
            continue
        session.execute(
            update(Job)
            .where(Job.id == child.id)
            .values(
                status=JobStatus.CANCELLED.value,
                error_code=code,
                error_message=message,
                finished_at=func.now(),
                lease_expires_at=None,
                updated_at=func.now(),
            )
        )
        record_event(session, child.id, JobStatus.CANCELLED, child.attempts, None, message)
