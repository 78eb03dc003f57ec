"""Sending a delivery as a webhooks worker does, outside ENVIRONMENT=local: every address inside our
network is refused when sending (the name resolved then, not when the endpoint was registered), the
attempt is logged with the reason, and nothing reaches the receiver. The same delivery is sent where
private receivers are allowed, so the refusals are the rules at work, not a broken path."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from shared.config import AppSettings, Settings
from shared.models import User, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shared.webhooks.delivery import deliver
from shared.webhooks.endpoints import new_secret
from testkit.webhooks import Receiver

PROD = Settings(app=AppSettings(ENVIRONMENT="prod"))
LOCAL = Settings(app=AppSettings(ENVIRONMENT="local"))


@pytest.fixture
def factory(db_engine: Engine) -> Iterator[sessionmaker[Session]]:
    made = sessionmaker(bind=db_engine, expire_on_commit=False)
    with made.begin() as session:
        user = User(subject=f"hooks-{uuid.uuid4().hex[:8]}")
        session.add(user)
    made.kw["info"] = {"user_id": user.id}
    yield made
    with made.begin() as session:
        session.execute(delete(User).where(User.id == user.id))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def _queue(factory: sessionmaker[Session], url: str) -> uuid.UUID:
    with factory.begin() as session:
        endpoint = WebhookEndpoint(
            user_id=factory.kw["info"]["user_id"], url=url, events=["document.ready"], secret=new_secret()
        )
        session.add(endpoint)
        session.flush()
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event_type="webhook.test", payload={"type": "t"})
        session.add(delivery)
        session.flush()
        return delivery.id


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://localhost:{port}/in", "resolves to 127.0.0.1"),
        ("https://127.0.0.1:{port}/in", "127.0.0.1"),
        ("https://[::1]:{port}/in", "::1"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # the cloud metadata service
        ("https://10.20.30.40/in", "10.20.30.40"),
        ("https://192.168.1.1/in", "192.168.1.1"),
        ("https://100.64.0.1/in", "100.64.0.1"),  # shared address space (carrier-grade NAT)
        ("https://[::ffff:127.0.0.1]:{port}/in", "127.0.0.1"),
        ("http://127.0.0.1:{port}/in", "https"),
    ],
)
def test_an_address_inside_is_refused_when_sending(
    factory: sessionmaker[Session], receiver: Receiver, url: str, reason: str
) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    delivery_id = _queue(factory, url.format(port=port))

    outcome = deliver(factory, PROD, delivery_id)

    assert outcome.status == "retrying" and outcome.sent is not None and outcome.sent.status is None
    with factory() as session:
        (attempt,) = session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id))
        delivery = session.get_one(WebhookDelivery, delivery_id)
    assert (
        attempt.error is not None and attempt.error.startswith("address refused") and reason in attempt.error
    )
    assert attempt.status_code is None and delivery.status == "retrying" and delivery.attempts == 1
    assert receiver.received == [], "no request left for an address inside"


def test_the_same_delivery_is_sent_where_private_receivers_are_allowed(
    factory: sessionmaker[Session], receiver: Receiver
) -> None:
    delivery_id = _queue(factory, f"{receiver.url}/in")
    assert deliver(factory, PROD, delivery_id).status == "retrying"
    with factory.begin() as session:  # due again at once
        session.get_one(WebhookDelivery, delivery_id).next_attempt_at = session.get_one(
            WebhookDelivery, delivery_id
        ).created_at

    outcome = deliver(factory, LOCAL, delivery_id)

    assert outcome.status == "delivered" and outcome.attempt == 2
    (request,) = receiver.received
    assert request["headers"]["webhook-id"] == f"msg_{delivery_id.hex}"


def test_a_delivery_not_due_or_already_claimed_is_not_sent_twice(
    factory: sessionmaker[Session], receiver: Receiver
) -> None:
    delivery_id = _queue(factory, f"{receiver.url}/in")
    assert deliver(factory, LOCAL, delivery_id).status == "delivered"
    assert deliver(factory, LOCAL, delivery_id).status == "skipped"  # a second message for it
    assert len(receiver.received) == 1
