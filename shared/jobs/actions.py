"""What people ask of jobs and documents: run again, stop, reprocess."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.jobs import runs
from shared.jobs.dispatch import queue_time
from shared.jobs.errors import JobConflict, JobNotFound
from shared.jobs.kinds import catalog
from shared.jobs.states import JobStatus
from shared.jobs.transitions import descendants, lock_document, record_event, release
from shared.models import Document, Job


def _locked_job(session: Session, job_id: uuid.UUID) -> Job:
    document_id = session.scalar(select(Job.document_id).where(Job.id == job_id))
    if document_id is None or not lock_document(session, document_id):
        raise JobNotFound(f"job {job_id} was not found")
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise JobNotFound(f"job {job_id} was not found")
    return job


def _refuse_while_in_flight(session: Session, document_id: uuid.UUID) -> None:
    if runs.in_flight(session, document_id):
        raise JobConflict(
            "The document is being processed; wait for it to finish or cancel its jobs first.",
            code="document_busy",
        )


def retry(session: Session, job_id: uuid.UUID, settings: JobSettings) -> Job:
    """Run an ended job again, and everything that reads its outputs; returns the job that will run.

    A job whose outputs the document shows is rebuilt by a new run, beside them, and the document keeps
    showing them until that run succeeds. A job of the newest run that has not switched in (it failed,
    was cancelled, or a sibling did) runs again in place, its own leftovers discarded first."""
    job = _locked_job(session, job_id)
    if job.id not in {shown.id for shown in runs.shown_jobs(session, job.document_id)}:
        raise JobConflict(
            f"A newer run of this document replaced this {job.kind} job; retry the one it shows.",
            code="job_superseded",
        )
    if not JobStatus(job.status).terminal:
        raise JobConflict(
            f"The {job.kind} job is {job.status}; only a finished, failed or cancelled job can be retried.",
            code="job_active",
        )
    if job.kind not in catalog():
        raise JobConflict(f"This deployment no longer runs {job.kind} jobs.", code="unknown_kind")
    if job.current:
        _refuse_while_in_flight(session, job.document_id)
        pipeline = session.scalar(select(Document.pipeline).where(Document.id == job.document_id)) or []
        kinds = [job.kind, *(name for name in catalog().descendants(job.kind) if name in pipeline)]
        created = runs.start_run(session, job.document_id, kinds, settings, reason="retry requested")
        return next(new for new in created if new.kind == job.kind)

    if job.depends_on_id is not None:
        parent_status = session.scalar(select(Job.status).where(Job.id == job.depends_on_id))
        if parent_status != JobStatus.SUCCEEDED.value:
            raise JobConflict(
                f"This job needs the job before it to succeed first (it is {parent_status}); retry that one.",
                code="dependency_not_done",
            )
    followers = descendants(session, job.id, job.run_id)
    for ended in (job, *followers):
        runs.discard(session, ended, grace_seconds=settings.lease_seconds)
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(_reset_values(JobStatus.QUEUED) | {"queued_at": queue_time()})
    )
    record_event(session, job.id, JobStatus.QUEUED, 0, None, "retry requested")
    freed = []
    for child in followers:
        if child.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value):
            freed.append(child.queue)
        session.execute(update(Job).where(Job.id == child.id).values(_reset_values(JobStatus.WAITING)))
        record_event(session, child.id, JobStatus.WAITING, 0, None, "waits for a retried job")
    release(session, job.document_id, [job.queue, *freed], settings.dispatch_per_user)
    runs.refresh_document(session, job.document_id)
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


def cancel(session: Session, job_id: uuid.UUID, settings: JobSettings) -> Job:
    """Stop a job that has not ended, and the jobs waiting on it. A running attempt notices within
    JOB_CANCEL_CHECK_SECONDS and stops without writing more; what it wrote is discarded."""
    job = _locked_job(session, job_id)
    if JobStatus(job.status).terminal:
        raise JobConflict(f"The {job.kind} job has already {job.status}.", code="job_finished")
    runs.end(session, job, JobStatus.CANCELLED, "cancelled", "Cancelled on request.")
    # An attempt may be writing as this commits: its blobs are purged once it has surely stopped.
    runs.discard(session, job, grace_seconds=settings.lease_seconds)
    runs.cancel_descendants(
        session, job, "upstream_cancelled", f"Skipped because the {job.kind} job was cancelled."
    )
    release(session, job.document_id, [job.queue], settings.dispatch_per_user)  # its slot is free
    runs.refresh_document(session, job.document_id)
    session.refresh(job)
    return job


def reprocess(
    session: Session, document_id: uuid.UUID, kinds: Sequence[str], settings: JobSettings
) -> list[Job]:
    """Run the document's pipeline again (`kinds`, which becomes its pipeline), beside what it shows now,
    after a provider or model changed, say. What it shows is replaced only when the new run succeeds."""
    if not lock_document(session, document_id):
        raise JobNotFound(f"document {document_id} was not found")
    _refuse_while_in_flight(session, document_id)
    ordered = catalog().order(kinds)
    session.execute(update(Document).where(Document.id == document_id).values(pipeline=ordered))
    return runs.start_run(session, document_id, ordered, settings, reason="reprocess requested")
