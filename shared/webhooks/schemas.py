"""The shapes of webhook endpoints and their delivery log."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from shared.schemas import Schema
from shared.webhooks.catalog import SUBSCRIBABLE

EventType = Literal[
    "document.ready", "document.failed", "document.deleted", "job.failed", "extraction.completed"
]
assert set(EventType.__args__) == set(SUBSCRIBABLE)  # type: ignore[attr-defined]
DeliveryStatus = Literal["pending", "sending", "retrying", "delivered", "dead"]

_Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
_Events = Annotated[list[EventType], Field(min_length=1, max_length=len(SUBSCRIBABLE))]
_Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class WebhookIn(Schema):
    url: _Url = Field(examples=["https://hooks.example.com/workopti"])
    events: _Events = Field(examples=[["document.ready", "document.failed"]])
    description: _Description = ""


class WebhookPatch(Schema):
    """Only what is given changes. Enabling a disabled endpoint clears its failures; the deliveries
    that waited are sent."""

    url: _Url | None = None
    events: _Events | None = None
    description: _Description | None = None
    enabled: bool | None = None


class WebhookOut(Schema):
    id: uuid.UUID
    url: str
    description: str
    events: list[EventType]
    enabled: bool
    disabled_by: Literal["owner", "failures"] | None = Field(
        description="Who disabled the endpoint: its owner, or the platform after failed deliveries."
    )
    disabled_reason: str | None = Field(description="Why the endpoint was disabled, if it was.")
    dead_in_a_row: int = Field(
        description="Deliveries in a row that failed every attempt; at WEBHOOK_DISABLE_AFTER_DEAD the "
        "endpoint is disabled."
    )
    disabled_at: dt.datetime | None
    previous_secret_expires_at: dt.datetime | None = Field(
        description="Until then the secret before the last rotation signs too."
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="The signing secret (`whsec_...`): shown this once, never again.")


class WebhookList(Schema):
    items: list[WebhookOut]


class RotatedSecretOut(Schema):
    secret: str = Field(description="The new signing secret, shown this once.")
    previous_secret_expires_at: dt.datetime | None = Field(
        description="Until then the old secret signs too; none when the grace period is zero."
    )


class DeliveryOut(Schema):
    id: uuid.UUID
    message_id: str = Field(description="The `webhook-id` header of every attempt.")
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    last_attempt_at: dt.datetime | None
    next_attempt_at: dt.datetime | None = Field(description="When the next attempt is due, if one is.")
    delivered_at: dt.datetime | None
    created_at: dt.datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class AttemptOut(Schema):
    attempt: int
    status_code: int | None
    duration_ms: int
    error: str | None
    response_body: str = Field(description="The start of what the receiver answered.")
    created_at: dt.datetime


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]
