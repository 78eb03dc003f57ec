"""Deliveries made from events, in the transaction that wrote the event.

Writing them with the change is what makes delivery at-least-once: a change that commits has its
deliveries, one that rolls back has none. The message that wakes a webhooks worker leaves after the
commit; if it is lost, the sweeper publishes due deliveries anyway.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.db.outbox import enqueue, has_outbox
from shared.messaging.tasks import webhook_message

# The payload: the event type, its time and the ids and states a receiver needs, never a document's
# text (the event's data holds ids, statuses, revisions and a job's failure reason).
_QUEUE_FOR_EVENT = text(
    """
    INSERT INTO webhook_deliveries (id, endpoint_id, event_type, event_id, payload, status, next_attempt_at)
    SELECT gen_random_uuid(), w.id, CAST(:type AS varchar), e.id,
           jsonb_build_object('type', CAST(:type AS text), 'timestamp', e.created_at, 'data', e.data),
           'pending', now()
    FROM events e
    JOIN webhook_endpoints w ON w.user_id = ANY(e.audience) AND CAST(:type AS varchar) = ANY(w.events)
    WHERE e.id = :event_id
    RETURNING id
    """
)


def queue_for_event(session: Session, event_id: int, event_type: str) -> list[uuid.UUID]:
    """A delivery to every endpoint subscribed to `event_type` of a user the event reaches. A disabled
    endpoint's wait, and go out when it is enabled again: nothing is lost while a receiver is fixed."""
    ids = list(session.scalars(_QUEUE_FOR_EVENT, {"type": event_type, "event_id": event_id}))
    publish_after_commit(session, ids)
    return ids


def publish_after_commit(session: Session, delivery_ids: list[uuid.UUID]) -> None:
    """Wake a webhooks worker for each delivery once the transaction commits. A session without an
    outbox (a maintenance transaction) leaves them to the sweeper, which publishes due deliveries."""
    if not has_outbox(session):
        return
    for delivery_id in delivery_ids:
        enqueue(session, webhook_message(delivery_id))
