"""Fair share: when a queued job's message is published.

A job that becomes queued is *held* (queued, no message yet) until its owner has fewer than
`dispatch_per_user` jobs of that queue published and not yet ended; then it is published. The broker
queue therefore holds at most that many messages per user, and a user's thousand uploads wait in the
database instead of in front of another user's single document. Every transition that frees a slot (a
job ends, retries, is cancelled) or adds a held job dispatches for that owner and queue; the sweeper
dispatches everything as a safety net.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, func, select, text, update
from sqlalchemy.orm import Session

from shared.db.outbox import enqueue
from shared.jobs.states import JobStatus
from shared.messaging.tasks import job_message
from shared.models import Document, Job

_IN_FLIGHT = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def queue_time() -> ColumnElement[dt.datetime]:
    """The moment a job joins its owner's line.

    The wall clock rather than `now()`, which is the transaction's start: several jobs queued in one
    transaction (a batch, a re-embed) keep the order they were queued in, not a random id order.
    """
    return func.clock_timestamp()


def owner_of(session: Session, document_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(select(Document.owner_id).where(Document.id == document_id))


def dispatch(session: Session, owner_id: uuid.UUID, queue: str, cap: int) -> int:
    """Publish the owner's oldest held jobs of `queue` while they have room; returns how many."""
    # One dispatcher per (owner, queue) at a time, so two finishing jobs cannot both fill the last slot.
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"dispatch:{owner_id}:{queue}"},
    )
    in_flight = session.scalar(
        select(func.count())
        .select_from(Job)
        .join(Document, Document.id == Job.document_id)
        .where(
            Document.owner_id == owner_id,
            Job.queue == queue,
            Job.status.in_(_IN_FLIGHT),
            Job.published_at.is_not(None),
        )
    )
    room = cap - (in_flight or 0)
    if room <= 0:
        return 0
    # SKIP LOCKED: a held job another transaction is changing is left for the next dispatch, so a
    # dispatcher never waits on a row lock (and two can never deadlock on each other's documents).
    held = session.execute(
        select(Job.id, Job.kind)
        .join(Document, Document.id == Job.document_id)
        .where(
            Document.owner_id == owner_id,
            Job.queue == queue,
            Job.status == JobStatus.QUEUED.value,
            Job.published_at.is_(None),
        )
        .order_by(Job.queued_at, Job.id)
        .limit(room)
        .with_for_update(of=Job, skip_locked=True)
    ).all()
    for job_id, kind in held:
        session.execute(update(Job).where(Job.id == job_id).values(published_at=func.now()))
        enqueue(session, job_message(kind, queue, job_id))
    return len(held)


def held_owners(session: Session, limit: int) -> list[tuple[uuid.UUID, str]]:
    """(owner, queue) pairs that have held jobs: what the sweeper dispatches."""
    rows = session.execute(
        select(Document.owner_id, Job.queue)
        .join(Document, Document.id == Job.document_id)
        .where(Job.status == JobStatus.QUEUED.value, Job.published_at.is_(None))
        .group_by(Document.owner_id, Job.queue)
        .limit(limit)
    ).all()
    return [(owner, queue) for owner, queue in rows]
