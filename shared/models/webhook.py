import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base

DELIVERY_STATUSES = ("pending", "sending", "retrying", "delivered", "dead")


class WebhookEndpoint(Base):
    """Where a user wants events sent. The signing secret has to be kept as it is (a receiver verifies
    with the same one); during a rotation the previous secret signs too until its grace period ends."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500), server_default="")
    events: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[dt.datetime | None]
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    # Deliveries that used every attempt since the last one that arrived; too many disable the endpoint.
    dead_in_a_row: Mapped[int] = mapped_column(server_default="0")
    disabled_by: Mapped[str | None] = mapped_column(String(16))  # "owner", or "failures"
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class WebhookDelivery(Base):
    """One event for one endpoint: the outbox row a webhooks worker sends, and its log. Its id is the
    `webhook-id` of every attempt, so a receiver can drop a message it has already handled."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        # The delivery log: an endpoint's newest first.
        Index(
            "ix_webhook_deliveries_endpoint_created", "endpoint_id", text("created_at DESC"), text("id DESC")
        ),
        # What the sweeper looks for: deliveries due (or whose sender stopped) that are not finished.
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending', 'retrying')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(BigInteger)  # no foreign key: events are pruned sooner
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default="0")
    # The attempt count when the current retry schedule began (a redelivery starts a new one).
    schedule_from: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_duration_ms: Mapped[int | None]
    last_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class WebhookAttempt(Base):
    """One request made for a delivery: what the receiver answered and how long it took."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    attempt: Mapped[int] = mapped_column(primary_key=True)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str] = mapped_column(Text, server_default="")  # its start, for the log
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
