"""The sweeper's side of the job state machine: retries whose backoff passed, jobs whose worker died,
queued jobs whose message was lost."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.config.runtime import DEFAULT_DISPATCH_PER_USER
from shared.db.outbox import enqueue
from shared.jobs import runs
from shared.jobs.dispatch import queue_time
from shared.jobs.states import JobStatus
from shared.jobs.transitions import lock_document, record_event, release
from shared.messaging.tasks import job_message
from shared.models import Job


def due_retries(session: Session, limit: int) -> Sequence[uuid.UUID]:
    return session.scalars(
        select(Job.id)
        .where(Job.status == JobStatus.RETRYING.value, Job.next_attempt_at <= func.now())
        .order_by(Job.next_attempt_at)
        .limit(limit)
    ).all()


def requeue_retry(session: Session, job_id: uuid.UUID, *, cap: int = DEFAULT_DISPATCH_PER_USER) -> bool:
    """retrying -> queued once its backoff has passed."""
    document_id = session.scalar(select(Job.document_id).where(Job.id == job_id))
    if document_id is None or not lock_document(session, document_id):
        return False
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RETRYING.value, Job.next_attempt_at <= func.now())
        .values(
            status=JobStatus.QUEUED.value,
            next_attempt_at=None,
            queued_at=queue_time(),
            published_at=None,
            updated_at=func.now(),
        )
        .returning(Job.queue, Job.attempts)
    ).first()
    if row is None:
        return False
    record_event(session, job_id, JobStatus.QUEUED, row.attempts, None, "backoff elapsed")
    release(session, document_id, [row.queue], cap)
    runs.refresh_document(session, document_id)
    return True


def expired_leases(session: Session, limit: int) -> Sequence[uuid.UUID]:
    return session.scalars(
        select(Job.id)
        .where(Job.status == JobStatus.RUNNING.value, Job.lease_expires_at < func.now())
        .order_by(Job.lease_expires_at)
        .limit(limit)
    ).all()


def recover_expired(
    session: Session, job_id: uuid.UUID, *, cap: int = DEFAULT_DISPATCH_PER_USER, grace_seconds: float = 60
) -> JobStatus | None:
    """A running job whose worker stopped renewing its lease: queued again, or failed when it has
    used all its attempts."""
    document_id = session.scalar(select(Job.document_id).where(Job.id == job_id))
    if document_id is None or not lock_document(session, document_id):
        return None
    job = session.execute(
        select(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING.value, Job.lease_expires_at < func.now())
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if job is None:
        return None
    who = f"The worker {job.worker}" if job.worker else "The worker"
    message = f"{who} stopped responding during attempt {job.attempts}."
    exhausted = job.attempts >= job.max_attempts
    values: dict[str, object] = {
        "error_code": "worker_lost",
        "error_message": message + (" No attempts are left." if exhausted else " The job was queued again."),
        "lease_expires_at": None,
        "updated_at": func.now(),
    }
    if exhausted:
        values |= {"status": JobStatus.FAILED.value, "finished_at": func.now()}
        status = JobStatus.FAILED
    else:
        values |= {"status": JobStatus.QUEUED.value, "queued_at": queue_time(), "published_at": None}
        status = JobStatus.QUEUED
    session.execute(update(Job).where(Job.id == job.id).values(**values))
    record_event(session, job.id, status, job.attempts, job.worker, message)
    if status is JobStatus.FAILED:
        # The lost worker may be alive behind a partition and still writing blobs: purge them later.
        runs.end_failed(session, job, grace_seconds=grace_seconds)
    release(session, document_id, [job.queue], cap)
    runs.refresh_document(session, document_id)
    return status


def queued_counts(session: Session) -> dict[str, int]:
    """Queued jobs whose message was published, per queue: what the broker should be holding."""
    rows = session.execute(
        select(Job.queue, func.count())
        .where(Job.status == JobStatus.QUEUED.value, Job.published_at.is_not(None))
        .group_by(Job.queue)
    ).all()
    return {queue: count for queue, count in rows}


def stale_queued(session: Session, queue: str, older_than_seconds: int, limit: int) -> Sequence[uuid.UUID]:
    """Queued jobs published long enough ago that a live message would have been claimed."""
    return session.scalars(
        select(Job.id)
        .where(
            Job.status == JobStatus.QUEUED.value,
            Job.queue == queue,
            Job.published_at < func.now() - dt.timedelta(seconds=older_than_seconds),
        )
        .order_by(Job.published_at)
        .limit(limit)
    ).all()


def republish(session: Session, job_id: uuid.UUID) -> bool:
    """Send a queued job's message again. Harmless if the first one still arrives: claims are conditional."""
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED.value, Job.published_at.is_not(None))
        .values(published_at=func.now())
        .returning(Job.kind, Job.queue, Job.attempts)
    ).first()
    if row is None:
        return False
    record_event(session, job_id, JobStatus.QUEUED, row.attempts, None, "message republished")
    enqueue(session, job_message(row.kind, row.queue, job_id))
    return True
