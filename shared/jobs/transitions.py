"""The primitives every job transition uses, whoever asks for it (a worker, a person, the sweeper).

Each transition runs inside the caller's transaction and follows the same rule: lock the document row
first, change the jobs with conditional UPDATEs, then re-derive the document's status. Locking the
document first serialises every transition of one document's jobs (two jobs finishing at once cannot
both see the other still running), and one lock order everywhere means no deadlocks. Messages for
newly queued jobs go to the session's outbox and leave after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.events import service as events
from shared.jobs.dispatch import dispatch, owner_of
from shared.jobs.states import JobStatus
from shared.models import Document, Job


def lock_document(session: Session, document_id: uuid.UUID) -> bool:
    """Take the row lock that serialises this document's job transitions; False if it is gone."""
    found = session.execute(
        select(Document.id).where(Document.id == document_id).with_for_update(key_share=True)
    ).first()
    return found is not None


def record_event(
    session: Session,
    job_id: uuid.UUID,
    status: JobStatus,
    attempt: int,
    worker: str | None,
    detail: str | None,
) -> None:
    events.job_changed(session, job_id, status.value, attempt, detail, worker=worker)


def release(session: Session, document_id: uuid.UUID, queues: Iterable[str], cap: int) -> None:
    """Publish what the document owner may now have in flight in each queue (see dispatch.py)."""
    owner = owner_of(session, document_id)
    if owner is None:
        return
    for queue in sorted(set(queues)):
        dispatch(session, owner, queue, cap)


def descendants(session: Session, job_id: uuid.UUID, run_id: uuid.UUID) -> list[Job]:
    """The jobs of the run that read `job_id`'s outputs, directly or through others."""
    found: list[Job] = []
    frontier = [job_id]
    while frontier:
        children = session.scalars(
            select(Job).where(Job.depends_on_id.in_(frontier), Job.run_id == run_id)
        ).all()
        found.extend(children)
        frontier = [child.id for child in children]
    return found
