"""A user's webhook endpoints: registered, listed, changed, deleted, their secret rotated, a test sent.
Only their owner ever sees one; for anyone else it does not exist."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.errors import Conflict, Invalid, NotFound
from shared.models import WebhookDelivery, WebhookEndpoint
from shared.webhooks.addresses import check_url
from shared.webhooks.catalog import TEST
from shared.webhooks.outbox import publish_after_commit
from shared.webhooks.schemas import RotatedSecretOut, WebhookIn, WebhookPatch

SECRET_PREFIX = "whsec_"
MAX_ENDPOINTS_PER_USER = 20


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


class WebhookDisabled(Conflict):
    code = "webhook_disabled"


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64: the form Standard Webhooks libraries read."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_secrets(endpoint: WebhookEndpoint, now: dt.datetime | None = None) -> list[str]:
    """The secrets that sign a request now: the current one, and the previous one during its grace."""
    now = now or dt.datetime.now(dt.UTC)
    keys = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        keys.append(endpoint.previous_secret)
    return keys


def _checked_url(settings: Settings, url: str) -> str:
    check_url(url, allow_private=settings.profile.private_webhooks_allowed)
    return url


def create(
    session: Session, settings: Settings, user_id: uuid.UUID, body: WebhookIn
) -> tuple[WebhookEndpoint, str]:
    count = session.scalar(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id)
    )
    if (count or 0) >= MAX_ENDPOINTS_PER_USER:
        raise Invalid(
            f"You have {MAX_ENDPOINTS_PER_USER} webhook endpoints; delete one first.",
            code="too_many_webhooks",
        )
    secret = new_secret()
    endpoint = WebhookEndpoint(
        user_id=user_id,
        url=_checked_url(settings, body.url),
        description=body.description,
        events=sorted(set(body.events)),
        secret=secret,
    )
    session.add(endpoint)
    session.flush()
    session.refresh(endpoint)
    return endpoint, secret


def list_for(session: Session, user_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
    return session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id).order_by(WebhookEndpoint.created_at)
    ).all()


def owned(
    session: Session, user_id: uuid.UUID, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=lock)
    if endpoint is None or endpoint.user_id != user_id:
        error = WebhookNotFound(f"Webhook endpoint {endpoint_id} was not found.")
        error.denied = endpoint is not None
        raise error
    return endpoint


def change(
    session: Session, settings: Settings, user_id: uuid.UUID, endpoint_id: uuid.UUID, body: WebhookPatch
) -> WebhookEndpoint:
    endpoint = owned(session, user_id, endpoint_id, lock=True)
    if body.url is not None:
        endpoint.url = _checked_url(settings, body.url)
    if body.events is not None:
        endpoint.events = sorted(set(body.events))
    if body.description is not None:
        endpoint.description = body.description
    if body.enabled is not None and body.enabled != endpoint.enabled:
        endpoint.enabled = body.enabled
        if body.enabled:
            endpoint.dead_in_a_row = 0
            endpoint.disabled_by, endpoint.disabled_reason, endpoint.disabled_at = None, None, None
            publish_after_commit(session, _waiting(session, endpoint.id))
        else:
            endpoint.disabled_by, endpoint.disabled_at = "owner", dt.datetime.now(dt.UTC)
            endpoint.disabled_reason = "Disabled by its owner."
    endpoint.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    session.refresh(endpoint)
    return endpoint


def _waiting(session: Session, endpoint_id: uuid.UUID) -> list[uuid.UUID]:
    """An endpoint's deliveries that waited while it was disabled, due now."""
    return list(
        session.scalars(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.status.in_(("pending", "retrying", "sending")),
            )
            .values(status="pending", next_attempt_at=func.now())
            .returning(WebhookDelivery.id)
        )
    )


def remove(session: Session, user_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    """The endpoint and its delivery log go at once; nothing more is sent to it."""
    session.delete(owned(session, user_id, endpoint_id, lock=True))


def rotate_secret(
    session: Session, settings: Settings, user_id: uuid.UUID, endpoint_id: uuid.UUID
) -> RotatedSecretOut:
    """A new secret; the one it replaces keeps signing for WEBHOOK_SECRET_GRACE_SECONDS."""
    endpoint = owned(session, user_id, endpoint_id, lock=True)
    now = dt.datetime.now(dt.UTC)
    grace = settings.webhooks.secret_grace_seconds
    endpoint.previous_secret = endpoint.secret if grace else None
    endpoint.previous_secret_expires_at = now + dt.timedelta(seconds=grace) if grace else None
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    return RotatedSecretOut(
        secret=endpoint.secret, previous_secret_expires_at=endpoint.previous_secret_expires_at
    )


def send_test(session: Session, user_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookDelivery:
    """A `webhook.test` delivery to this endpoint alone, logged and retried like any other."""
    endpoint = owned(session, user_id, endpoint_id)
    if not endpoint.enabled:
        raise WebhookDisabled("The endpoint is disabled; enable it before sending a test.")
    now = dt.datetime.now(dt.UTC)
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_type=TEST,
        payload={"type": TEST, "timestamp": now.isoformat(), "data": {"webhook_id": str(endpoint.id)}},
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    session.refresh(delivery)
    publish_after_commit(session, [delivery.id])
    return delivery
