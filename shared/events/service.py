"""Writing and reading events.

Events are rows written in the transaction that made the change, so a stream never shows a change that
was rolled back and never misses one that committed. Each carries its audience (the owner and the users
the document was shared with at that moment), so reading is one indexed query with the caller in it,
and the event of a deletion still reaches those who could see the document. The events webhooks announce
(a document ready, failed or deleted, a job failed) become deliveries in the same transaction. After
the commit a bell
rings on Redis to wake the streams at once; without it they look again every few seconds.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from shared.db.outbox import after_commit
from shared.events import bell
from shared.models import Event
from shared.webhooks import catalog as webhook_catalog
from shared.webhooks import outbox as webhook_outbox

DOCUMENT_CHANGED = "document.changed"
DOCUMENT_DELETED = "document.deleted"
JOB_CHANGED = "job.changed"
EXTRACTION_COMPLETED = "extraction.completed"

_AUDIENCE = """array_append(
    coalesce((SELECT array_agg(g.user_id) FROM document_grants g WHERE g.document_id = d.id), '{}'),
    d.owner_id)"""


def document_changed(
    session: Session, document_id: uuid.UUID, *, entered: str | None = None, **data: Any
) -> None:
    """The document's status or progress changed: its status and revision (its ETag) as they are now.
    `entered`: the status it has just entered, which webhooks may announce."""
    event_id = session.scalar(
        text(
            f"""
            INSERT INTO events (type, document_id, audience, data)
            SELECT :type, d.id, {_AUDIENCE},
                   jsonb_build_object('document_id', d.id, 'status', d.status, 'revision', d.revision)
                   || CAST(:data AS jsonb)
            FROM documents d WHERE d.id = :document_id
            RETURNING id
            """
        ),
        {"type": DOCUMENT_CHANGED, "document_id": document_id, "data": json.dumps(data)},
    )
    _announce(session, event_id, webhook_catalog.for_document_status(entered))
    after_commit(session, bell.ring)


def document_deleted(session: Session, document_id: uuid.UUID) -> None:
    """Written before the row goes, while its audience can still be read."""
    event_id = session.scalar(
        text(
            f"""
            INSERT INTO events (type, document_id, audience, data)
            SELECT :type, d.id, {_AUDIENCE}, jsonb_build_object('document_id', d.id)
            FROM documents d WHERE d.id = :document_id
            RETURNING id
            """
        ),
        {"type": DOCUMENT_DELETED, "document_id": document_id},
    )
    _announce(session, event_id, webhook_catalog.DOCUMENT_DELETED)
    after_commit(session, bell.ring)


def job_changed(
    session: Session,
    job_id: uuid.UUID,
    status: str,
    attempt: int,
    detail: str | None,
    *,
    worker: str | None = None,
) -> None:
    """A job's transition: its row in the job's history (job_events) and the live event, in one
    statement."""
    session.flush()  # a job added in this transaction must be visible to the INSERT ... SELECT
    event_id = session.scalar(
        text(
            f"""
            WITH history AS (
                INSERT INTO job_events (job_id, status, attempt, worker, detail)
                VALUES (:job_id, :status, :attempt, :worker, :detail)
            )
            INSERT INTO events (type, document_id, audience, data)
            SELECT :type, d.id, {_AUDIENCE},
                   jsonb_build_object('job_id', j.id, 'document_id', d.id, 'kind', j.kind,
                                      'status', CAST(:status AS text), 'attempt', CAST(:attempt AS int),
                                      'detail', CAST(:detail AS text))
            FROM jobs j JOIN documents d ON d.id = j.document_id WHERE j.id = :job_id
            RETURNING id
            """
        ),
        {
            "type": JOB_CHANGED,
            "job_id": job_id,
            "status": status,
            "attempt": attempt,
            "detail": detail,
            "worker": worker,
        },
    )
    _announce(session, event_id, webhook_catalog.for_job_status(status))
    after_commit(session, bell.ring)


def run_started(session: Session, run_id: uuid.UUID, kinds: list[str], detail: str) -> None:
    """`job_changed` for every job of a run that was just started, in one statement. A job that has
    only started is never announced to webhooks (only final failures are)."""
    session.execute(
        text(
            f"""
            INSERT INTO events (type, document_id, audience, data)
            SELECT :type, d.id, {_AUDIENCE},
                   jsonb_build_object('job_id', j.id, 'document_id', d.id, 'kind', j.kind,
                                      'status', j.status, 'attempt', 0, 'detail', CAST(:detail AS text))
            FROM jobs j JOIN documents d ON d.id = j.document_id WHERE j.run_id = :run_id
            ORDER BY array_position(CAST(:kinds AS text[]), CAST(j.kind AS text))
            """
        ),
        {"type": JOB_CHANGED, "run_id": run_id, "kinds": kinds, "detail": detail},
    )
    after_commit(session, bell.ring)


def extraction_completed(
    session: Session, document_id: uuid.UUID, job_id: uuid.UUID, schemas: list[dict[str, Any]]
) -> None:
    """An extraction job stored its results: per schema its id, version and how many values wait for a
    person (never the values themselves: a receiver reads them with the API, with its access)."""
    event_id = session.scalar(
        text(
            f"""
            INSERT INTO events (type, document_id, audience, data)
            SELECT :type, d.id, {_AUDIENCE},
                   jsonb_build_object('document_id', d.id, 'job_id', CAST(:job_id AS uuid),
                                      'schemas', CAST(:schemas AS jsonb))
            FROM documents d WHERE d.id = :document_id
            RETURNING id
            """
        ),
        {
            "type": EXTRACTION_COMPLETED,
            "document_id": document_id,
            "job_id": job_id,
            "schemas": json.dumps(schemas),
        },
    )
    _announce(session, event_id, webhook_catalog.EXTRACTION_COMPLETED)
    after_commit(session, bell.ring)


def _announce(session: Session, event_id: int | None, webhook: str | None) -> None:
    """Deliveries of the event to the webhook endpoints subscribed to it, in the same transaction."""
    if event_id is not None and webhook is not None:
        webhook_outbox.queue_for_event(session, event_id, webhook)


def since(session: Session, user_id: uuid.UUID, after: int, limit: int = 500) -> list[Event]:
    """The caller's events after id `after`, oldest first."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.id > after, Event.audience.contains([user_id]))
            .order_by(Event.id)
            .limit(limit)
        )
    )


def bounds(session: Session) -> tuple[int, int]:
    """(the oldest id kept minus one, the newest id): a stream resumed before the first has missed some."""
    oldest, newest = session.execute(select(func.min(Event.id), func.max(Event.id))).one()
    return (oldest - 1 if oldest is not None else 0), (newest or 0)


def prune(session: Session, retention_seconds: int, batch: int = 5000) -> int:
    """Delete events older than the retention window, a batch at a time."""
    oldest = (
        select(Event.id)
        .where(Event.created_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, retention_seconds))
        .order_by(Event.id)
        .limit(batch)
    )
    deleted = session.execute(delete(Event).where(Event.id.in_(oldest)).returning(Event.id))
    return len(deleted.all())
