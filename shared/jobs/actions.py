"""What people ask of jobs: run an ended one again, or stop one that has not ended."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.jobs.dispatch import queue_time
from shared.jobs.errors import JobConflict, JobNotFound
from shared.jobs.service import (
    cancel_descendants,
    descendants,
    discard_outputs,
    lock_document,
    record_event,
    refresh_document,
    release,
)
from shared.jobs.states import DEFAULT_DISPATCH_PER_USER, TERMINAL_STATUSES, JobKind, JobStatus
from shared.models import Chunk, Job


def _locked_job(session: Session, job_id: uuid.UUID) -> Job:
    document_id = session.scalar(select(Job.document_id).where(Job.id == job_id))
    if document_id is None or not lock_document(session, document_id):
        raise JobNotFound(f"job {job_id} was not found")
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise JobNotFound(f"job {job_id} was not found")
    return job


def retry(session: Session, job_id: uuid.UUID, *, cap: int = DEFAULT_DISPATCH_PER_USER) -> Job:
    """Run an ended job again from scratch (its outputs are recomputed), and everything after it."""
    job = _locked_job(session, job_id)
    if not JobStatus(job.status).terminal:
        raise JobConflict(
            f"The {job.kind} job is {job.status}; only a finished, failed or cancelled job can be retried.",
            code="job_active",
        )
    if job.depends_on_id is not None:
        parent_status = session.scalar(select(Job.status).where(Job.id == job.depends_on_id))
        if parent_status != JobStatus.SUCCEEDED.value:
            raise JobConflict(
                f"This job needs the job before it to succeed first (it is {parent_status}); retry that one.",
                code="dependency_not_done",
            )
    discard_outputs(session, job.document_id, JobKind(job.kind))
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(_reset_values(JobStatus.QUEUED) | {"queued_at": queue_time()})
    )
    record_event(session, job.id, JobStatus.QUEUED, 0, None, "retry requested")
    freed = []
    for child in descendants(session, job.id):
        if child.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value):
            freed.append(child.queue)
        session.execute(update(Job).where(Job.id == child.id).values(_reset_values(JobStatus.WAITING)))
        record_event(session, child.id, JobStatus.WAITING, 0, None, "waits for a retried job")
    release(session, job.document_id, [job.queue, *freed], cap)
    refresh_document(session, job.document_id)
    session.refresh(job)
    return job


def _reset_values(status: JobStatus) -> dict[str, object]:
    return {
        "status": status.value,
        "attempts": 0,
        "progress": 0.0,
        "error_code": None,
        "error_message": None,
        "worker": None,
        "lease_expires_at": None,
        "next_attempt_at": None,
        "queued_at": None,
        "published_at": None,
        "started_at": None,
        "finished_at": None,
        "wait_ms": None,
        "run_ms": None,
        "updated_at": func.now(),
    }


def cancel(session: Session, job_id: uuid.UUID, *, cap: int = DEFAULT_DISPATCH_PER_USER) -> Job:
    """Stop a job that has not ended, and the jobs waiting on it. A running attempt notices at its
    next fenced write and stops without writing more."""
    job = _locked_job(session, job_id)
    if JobStatus(job.status).terminal:
        raise JobConflict(f"The {job.kind} job has already {job.status}.", code="job_finished")
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(
            status=JobStatus.CANCELLED.value,
            error_code="cancelled",
            error_message="Cancelled on request.",
            finished_at=func.now(),
            lease_expires_at=None,
            next_attempt_at=None,
            updated_at=func.now(),
        )
    )
    record_event(session, job.id, JobStatus.CANCELLED, job.attempts, None, "cancel requested")
    cancel_descendants(
        session, job.id, "upstream_cancelled", f"Skipped because the {job.kind} job was cancelled."
    )
    release(session, job.document_id, [job.queue], cap)  # its slot, if it had one, is free
    refresh_document(session, job.document_id)
    session.refresh(job)
    return job


def requeue_embeddings(session: Session, model_key: str, *, everything: bool = False) -> int:
    """Queue the embed job of every document whose text is ready and that has no vectors of
    `model_key` yet (all of them with `everything`), keeping the vectors of other models: searches
    keep working on the old model until the new one is complete.

    The jobs are queued but held: the sweeper's next dispatch publishes them with fair share, so this
    runs from any process that can reach the database (the command line has no broker connection).
    """
    extracted = (
        select(Job.document_id)
        .where(Job.kind == JobKind.EXTRACT.value, Job.status == JobStatus.SUCCEEDED.value)
        .scalar_subquery()
    )
    candidates = select(Job).where(
        Job.kind == JobKind.EMBED.value,
        Job.status.in_([s.value for s in TERMINAL_STATUSES]),
        Job.document_id.in_(extracted),
    )
    if not everything:
        has_vectors = (
            select(Chunk.document_id).where(Chunk.model_key == model_key).distinct().scalar_subquery()
        )
        candidates = candidates.where(Job.document_id.not_in(has_vectors))
    count = 0
    for job in session.scalars(candidates.order_by(Job.created_at)).all():
        lock_document(session, job.document_id)
        reset = _reset_values(JobStatus.QUEUED) | {"queued_at": queue_time(), "published_at": None}
        session.execute(update(Job).where(Job.id == job.id).values(reset))
        record_event(session, job.id, JobStatus.QUEUED, 0, None, f"re-embedding with {model_key}")
        refresh_document(session, job.document_id)
        count += 1
    return count
