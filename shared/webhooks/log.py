"""An endpoint's delivery log: its deliveries newest first, one with its attempts, and redelivery."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from shared.errors import Conflict, Invalid, NotFound
from shared.models import WebhookAttempt, WebhookDelivery
from shared.paging import decode_cursor, encode_cursor
from shared.webhooks.delivery import message_id
from shared.webhooks.endpoints import WebhookDisabled, owned
from shared.webhooks.outbox import publish_after_commit
from shared.webhooks.schemas import AttemptOut, DeliveryDetailOut, DeliveryOut, DeliveryPage

_WAITING = ("pending", "retrying")


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"


class DeliveryInFlight(Conflict):
    code = "delivery_in_flight"


def _extra(delivery: WebhookDelivery) -> dict[str, object]:
    waiting = delivery.status in (*_WAITING, "sending")
    return {
        "message_id": message_id(delivery.id),
        "next_attempt_at": delivery.next_attempt_at if waiting else None,
    }


def view(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut.from_row(delivery, **_extra(delivery))


def page(
    session: Session,
    user_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    limit: int,
    cursor: str | None = None,
    status: str | None = None,
) -> DeliveryPage:
    owned(session, user_id, endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if cursor is not None:
        raw_created, raw_id = decode_cursor(cursor, 2)
        try:
            after = (dt.datetime.fromisoformat(raw_created), uuid.UUID(raw_id))
        except ValueError as exc:
            raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc
        query = query.where(
            or_(
                WebhookDelivery.created_at < after[0],
                and_(WebhookDelivery.created_at == after[0], WebhookDelivery.id < after[1]),
            )
        )
    rows = list(
        session.scalars(
            query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(
        items=[view(row) for row in rows],
        next_cursor=encode_cursor(rows[-1].created_at, rows[-1].id) if more else None,
    )


def _delivery(
    session: Session,
    user_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    lock: bool = False,
) -> WebhookDelivery:
    owned(session, user_id, endpoint_id)
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=lock)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise DeliveryNotFound(f"Delivery {delivery_id} was not found.")
    return delivery


def detail(
    session: Session, user_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryDetailOut:
    delivery = _delivery(session, user_id, endpoint_id, delivery_id)
    attempts = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.attempt)
    )
    return DeliveryDetailOut.from_row(
        delivery, **_extra(delivery), attempt_log=[AttemptOut.from_row(a) for a in attempts]
    )


def redeliver(
    session: Session, user_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryOut:
    """Send the same message again (same `webhook-id`), now, with a fresh retry schedule. A delivery
    being sent is left to finish; one waiting for a retry is brought forward."""
    if not owned(session, user_id, endpoint_id).enabled:
        raise WebhookDisabled("The endpoint is disabled; enable it to redeliver.")
    delivery = _delivery(session, user_id, endpoint_id, delivery_id, lock=True)
    if delivery.status == "sending":
        raise DeliveryInFlight("The delivery is being sent right now; look again in a moment.")
    delivery.status = "pending"
    delivery.schedule_from = delivery.attempts
    delivery.next_attempt_at = dt.datetime.now(dt.UTC)
    session.flush()
    publish_after_commit(session, [delivery.id])
    return view(delivery)
