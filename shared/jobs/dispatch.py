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

from sqlalchemy import ColumnElement, func, select, text
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
    # After the lock, in a statement of its own: its snapshot sees what the previous holder committed.
    # Counting what is in flight, choosing the oldest held jobs for the room left (SKIP LOCKED: a held
    # job another transaction is changing is left for the next dispatch, so a dispatcher never waits on
    # a row lock and two can never deadlock on each other's documents) and marking them published is
    # one statement: one round trip however many are published.
    published = session.execute(
        text(
            """
            WITH held AS (
                SELECT j.id FROM jobs j JOIN documents d ON d.id = j.document_id
                WHERE d.owner_id = :owner AND j.queue = :queue AND j.status = :queued
                  AND j.published_at IS NULL
                ORDER BY j.queued_at, j.id
                LIMIT greatest(:cap - (
                    SELECT count(*) FROM jobs f JOIN documents fd ON fd.id = f.document_id
                    WHERE fd.owner_id = :owner AND f.queue = :queue AND f.status = ANY(:in_flight)
                      AND f.published_at IS NOT NULL), 0)
                FOR UPDATE OF j SKIP LOCKED
            )
            UPDATE jobs SET published_at = now() FROM held WHERE jobs.id = held.id
            RETURNING jobs.id, jobs.kind, jobs.queued_at
            """
        ),
        {
            "owner": owner_id,
            "queue": queue,
            "cap": cap,
            "queued": JobStatus.QUEUED.value,
            "in_flight": list(_IN_FLIGHT),
        },
    ).all()
    # Messages leave in the order the jobs joined the line.
    for job_id, kind, _ in sorted(published, key=lambda row: (row.queued_at, row.id)):
        enqueue(session, job_message(kind, queue, job_id))
    return len(published)


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
