"""Sending a delivery: claim it, make one attempt, record what happened and decide what comes next.

A delivery is claimed with a lease, so two workers handed the same message (a republished one, a
redelivery after a crash) never send at once, and one whose worker died is taken up again once its
lease has passed. The request is made outside any transaction. A failed attempt is retried on the
schedule (WEBHOOK_RETRY_SCHEDULE, with jitter, later if the receiver's Retry-After asks); after the
last one the delivery is dead, and an endpoint whose deliveries die WEBHOOK_DISABLE_AFTER_DEAD times in
a row is disabled, with the reason shown to its owner.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass

from sqlalchemy import text, update
from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.engine import session_scope
from shared.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shared.webhooks.endpoints import signing_secrets
from shared.webhooks.sender import Sent, send

log = logging.getLogger(__name__)

_JITTER = 0.2
_LEASE_GRACE_SECONDS = 30

_CLAIM = text(
    """
    UPDATE webhook_deliveries d
    SET status = 'sending', attempts = d.attempts + 1, last_attempt_at = now(),
        next_attempt_at = now() + make_interval(secs => :lease)
    FROM webhook_endpoints w
    WHERE d.id = :id AND w.id = d.endpoint_id AND w.enabled AND d.next_attempt_at <= now()
      AND d.status IN ('pending', 'retrying', 'sending')
    RETURNING d.attempts
    """
)


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered, retrying, dead; "skipped" when there was nothing to send
    attempt: int = 0
    sent: Sent | None = None


def deliver(factory: sessionmaker[Session], settings: Settings, delivery_id: uuid.UUID) -> Outcome:
    """One attempt of a delivery that is due. A delivery that is not due, finished, being sent by
    another worker, or whose endpoint is disabled or gone is skipped."""
    webhooks = settings.webhooks
    lease = webhooks.timeout_seconds + _LEASE_GRACE_SECONDS
    with session_scope(factory) as session:
        attempt = session.scalar(_CLAIM, {"id": delivery_id, "lease": lease})
        if attempt is None:
            return Outcome("skipped")
        claimed = session.get_one(WebhookDelivery, delivery_id)
        endpoint = session.get_one(WebhookEndpoint, claimed.endpoint_id)
        url, secrets, payload = endpoint.url, signing_secrets(endpoint), dict(claimed.payload)

    sent = send(
        url,
        secrets,
        message_id(delivery_id),
        payload,
        allow_private=settings.profile.private_webhooks_allowed,
        timeout=webhooks.timeout_seconds,
    )

    with session_scope(factory) as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.attempts != attempt or delivery.status != "sending":
            return Outcome("skipped", attempt, sent)  # deleted meanwhile, or taken over after the lease
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                attempt=attempt,
                status_code=sent.status,
                duration_ms=sent.duration_ms,
                error=sent.error,
                response_body=sent.body,
            )
        )
        delivery.last_status_code = sent.status
        delivery.last_error = sent.error
        delivery.last_duration_ms = sent.duration_ms
        now = dt.datetime.now(dt.UTC)
        if sent.ok:
            delivery.status, delivery.delivered_at = "delivered", now
            session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == delivery.endpoint_id, WebhookEndpoint.dead_in_a_row > 0)
                .values(dead_in_a_row=0)
            )
            return Outcome("delivered", attempt, sent)
        retry = attempt - delivery.schedule_from  # 1 after the first attempt of a schedule
        schedule = webhooks.retry_schedule
        if retry <= len(schedule):
            delivery.status = "retrying"
            delivery.next_attempt_at = now + dt.timedelta(
                seconds=next_delay(schedule, retry, sent.retry_after)
            )
            return Outcome("retrying", attempt, sent)
        delivery.status = "dead"
        _count_dead(session, delivery.endpoint_id, settings.webhooks.disable_after_dead)
        return Outcome("dead", attempt, sent)


def next_delay(schedule: tuple[float, ...], retry: int, retry_after: float | None) -> float:
    """Seconds before retry number `retry` (1-based): the schedule's delay varied by up to a fifth
    either way, and no sooner than the receiver asked, within the schedule's longest delay."""
    delay = schedule[retry - 1] * random.uniform(1 - _JITTER, 1 + _JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, max(schedule)))
    return delay


def _count_dead(session: Session, endpoint_id: uuid.UUID, disable_after: int) -> None:
    endpoint = session.get_one(WebhookEndpoint, endpoint_id, with_for_update=True)
    endpoint.dead_in_a_row += 1
    if endpoint.enabled and endpoint.dead_in_a_row >= disable_after:
        endpoint.enabled = False
        endpoint.disabled_by, endpoint.disabled_at = "failures", dt.datetime.now(dt.UTC)
        endpoint.disabled_reason = (
            f"Disabled after {endpoint.dead_in_a_row} deliveries in a row failed every attempt. "
            "Fix the receiver, then enable the endpoint again; undelivered events can be redelivered."
        )
        log.warning(
            "webhook endpoint %s disabled after %d dead deliveries", endpoint_id, endpoint.dead_in_a_row
        )


def message_id(delivery_id: uuid.UUID) -> str:
    """The `webhook-id` of every attempt of a delivery."""
    return f"msg_{delivery_id.hex}"


def release_due(session: Session, republish_after_seconds: float, limit: int = 500) -> list[uuid.UUID]:
    """The deliveries to publish now: retries whose time has come (they become pending), and pending
    or sending ones overdue by `republish_after_seconds` (their message was lost, or their sender
    stopped before its lease ran out), of enabled endpoints. A message that was not lost after all
    finds its delivery claimed and does nothing."""
    return list(
        session.scalars(
            text(
                """
                UPDATE webhook_deliveries d SET status = CASE WHEN d.status = 'retrying' THEN 'pending'
                                                              ELSE d.status END
                WHERE d.id IN (
                    SELECT d2.id FROM webhook_deliveries d2
                    JOIN webhook_endpoints w ON w.id = d2.endpoint_id AND w.enabled
                    WHERE d2.status IN ('pending', 'sending', 'retrying')
                      AND d2.next_attempt_at <= now() - CASE WHEN d2.status = 'retrying' THEN interval '0'
                                                             ELSE make_interval(secs => :overdue) END
                    ORDER BY d2.next_attempt_at
                    LIMIT :limit
                    FOR UPDATE OF d2 SKIP LOCKED)
                RETURNING d.id
                """
            ),
            {"overdue": republish_after_seconds, "limit": limit},
        )
    )


def prune(session: Session, retention_seconds: int, batch: int = 5000) -> int:
    """Delete deliveries older than the log's retention, a batch at a time, with their attempts: the
    finished ones, and those still waiting for an endpoint that stayed disabled all that time."""
    deleted = session.execute(
        text(
            """
            DELETE FROM webhook_deliveries WHERE id IN (
                SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id
                WHERE (d.status IN ('delivered', 'dead') OR NOT w.enabled)
                  AND d.created_at < now() - make_interval(secs => :retention)
                LIMIT :batch)
            """
        ),
        {"retention": retention_seconds, "batch": batch},
    )
    return deleted.rowcount or 0  # type: ignore[attr-defined]
