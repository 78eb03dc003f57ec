from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.orm import Session

from api.deps import ReadUser, SessionDep, StateDep, WriteUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from api.state import KnownUser
from shared.documents import access, repository
from shared.documents import service as documents
from shared.documents.access import Role
from shared.jobs import actions
from shared.jobs.errors import JobNotFound
from shared.jobs.schemas import JobDetailOut, JobOut
from shared.models import Job

router = APIRouter(prefix=f"{API_PREFIX}/jobs", tags=["jobs"], responses=API_PROBLEMS)


def _visible(session: Session, user: KnownUser, job_id: uuid.UUID, at_least: Role = Role.VIEWER) -> Job:
    """The job if the caller may see its document (404 otherwise), checked for the role an action needs."""
    job = repository.visible_job(session, user.id, job_id)
    if job is None:
        error = JobNotFound(f"Job {job_id} was not found.")
        error.denied = session.get(Job, job_id) is not None
        raise error
    access.require(session, user.id, job.document_id, at_least)
    return job


@router.get("/{job_id}", response_model=JobDetailOut, summary="A job with its history")
def get_job(job_id: uuid.UUID, user: ReadUser, session: SessionDep) -> JobDetailOut:
    return documents.job_detail(session, _visible(session, user, job_id))


@router.post(
    "/{job_id}/retry",
    status_code=202,
    response_model=JobOut,
    summary="Run an ended job again, and what reads its outputs",
    description="A job whose outputs the document shows is rebuilt by a new run (a new job id, returned "
    "here); the document keeps showing the old outputs until the new run succeeds. A failed or cancelled "
    "job of the newest run runs again in place.",
)
def retry_job(job_id: uuid.UUID, user: WriteUser, session: SessionDep, state: StateDep) -> JobOut:
    _visible(session, user, job_id, Role.EDITOR)
    return documents.job_view(actions.retry(session, job_id, state.settings.jobs))


@router.post("/{job_id}/cancel", response_model=JobOut, summary="Cancel a job that has not ended")
def cancel_job(job_id: uuid.UUID, user: WriteUser, session: SessionDep, state: StateDep) -> JobOut:
    _visible(session, user, job_id, Role.EDITOR)
    return documents.job_view(actions.cancel(session, job_id, state.settings.jobs))
