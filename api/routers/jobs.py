from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.orm import Session

from api.deps import CurrentUser, SessionDep
from api.routers import API_PREFIX
from api.state import KnownUser
from shared.documents import repository
from shared.documents import service as documents
from shared.documents.schemas import JobDetailOut, JobOut
from shared.jobs import actions
from shared.jobs.errors import JobNotFound
from shared.models import Job

router = APIRouter(prefix=f"{API_PREFIX}/jobs", tags=["jobs"])


def _visible(session: Session, user: KnownUser, job_id: uuid.UUID) -> Job:
    job = repository.visible_job(session, user.id, job_id)
    if job is None:
        raise JobNotFound(f"Job {job_id} was not found.")
    return job


@router.get("/{job_id}", response_model=JobDetailOut, summary="A job with its history")
def get_job(job_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> JobDetailOut:
    return documents.job_detail(session, _visible(session, user, job_id))


@router.post("/{job_id}/retry", status_code=202, response_model=JobOut, summary="Run an ended job again")
def retry_job(job_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> JobOut:
    _visible(session, user, job_id)
    return documents.job_view(actions.retry(session, job_id))


@router.post("/{job_id}/cancel", response_model=JobOut, summary="Cancel a job that has not ended")
def cancel_job(job_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> JobOut:
    _visible(session, user, job_id)
    return documents.job_view(actions.cancel(session, job_id))
