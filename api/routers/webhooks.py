"""Webhook endpoints and their delivery logs. Events are announced by the webhooks worker; see
shared/webhooks for signing, retries and the addresses receivers may have."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import SessionDep, StateDep, WebhooksUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.webhooks import endpoints, log
from shared.webhooks.schemas import (
    DeliveryDetailOut,
    DeliveryOut,
    DeliveryPage,
    DeliveryStatus,
    NewWebhookOut,
    RotatedSecretOut,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
)

router = APIRouter(prefix=f"{API_PREFIX}/webhooks", tags=["webhooks"], responses=API_PROBLEMS)


@router.post(
    "",
    status_code=201,
    response_model=NewWebhookOut,
    summary="Register a webhook endpoint (its secret is shown once)",
    description="Events: `document.ready`, `document.failed`, `document.deleted`, `job.failed`, "
    "`extraction.completed`, for the "
    "caller's documents and those shared with them. Requests are signed the Standard Webhooks way "
    "(`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the returned `whsec_` secret. Outside "
    "ENVIRONMENT=local the URL must be https and resolve to a public address.",
)
def create_webhook(
    body: WebhookIn, user: WebhooksUser, session: SessionDep, state: StateDep
) -> NewWebhookOut:
    endpoint, secret = endpoints.create(session, state.settings, user.id, body)
    return NewWebhookOut.from_row(endpoint, secret=secret)


@router.get("", response_model=WebhookList, summary="The caller's webhook endpoints, never their secrets")
def list_webhooks(user: WebhooksUser, session: SessionDep) -> WebhookList:
    return WebhookList(items=[WebhookOut.from_row(e) for e in endpoints.list_for(session, user.id)])


@router.get("/{webhook_id}", response_model=WebhookOut, summary="A webhook endpoint")
def get_webhook(webhook_id: uuid.UUID, user: WebhooksUser, session: SessionDep) -> WebhookOut:
    return WebhookOut.from_row(endpoints.owned(session, user.id, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookOut, summary="Change, disable or enable an endpoint")
def update_webhook(
    webhook_id: uuid.UUID, body: WebhookPatch, user: WebhooksUser, session: SessionDep, state: StateDep
) -> WebhookOut:
    return WebhookOut.from_row(endpoints.change(session, state.settings, user.id, webhook_id, body))


@router.delete("/{webhook_id}", status_code=204, summary="Delete an endpoint and its delivery log")
def delete_webhook(webhook_id: uuid.UUID, user: WebhooksUser, session: SessionDep) -> Response:
    endpoints.remove(session, user.id, webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=RotatedSecretOut,
    summary="Replace the signing secret (the old one signs too for a grace period)",
)
def rotate_webhook_secret(
    webhook_id: uuid.UUID, user: WebhooksUser, session: SessionDep, state: StateDep
) -> RotatedSecretOut:
    return endpoints.rotate_secret(session, state.settings, user.id, webhook_id)


@router.post(
    "/{webhook_id}/test",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a `webhook.test` event to this endpoint",
)
def test_webhook(webhook_id: uuid.UUID, user: WebhooksUser, session: SessionDep) -> DeliveryOut:
    delivery = endpoints.send_test(session, user.id, webhook_id)
    return log.view(delivery)


@router.get(
    "/{webhook_id}/deliveries", response_model=DeliveryPage, summary="The endpoint's deliveries, newest first"
)
def list_deliveries(
    webhook_id: uuid.UUID,
    user: WebhooksUser,
    session: SessionDep,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> DeliveryPage:
    return log.page(session, user.id, webhook_id, limit, cursor, status)


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetailOut,
    summary="A delivery with its payload and every attempt",
)
def get_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, user: WebhooksUser, session: SessionDep
) -> DeliveryDetailOut:
    return log.detail(session, user.id, webhook_id, delivery_id)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryOut,
    summary="Send a delivery again now, with the same webhook-id",
)
def redeliver(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, user: WebhooksUser, session: SessionDep
) -> DeliveryOut:
    return log.redeliver(session, user.id, webhook_id, delivery_id)
