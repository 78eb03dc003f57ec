"""Webhooks on the running product: endpoints registered by API, events delivered by the webhooks
worker from the outbox, signed so an independent verifier accepts them, retried with the same
webhook-id against a receiver that fails first, dead after the last attempt, endpoints disabled after
repeated dead deliveries, a delivery log with redelivery, and nothing of one user's reaching another.

The suite's stack retries within seconds (WEBHOOK_RETRY_SCHEDULE=1,1,2: four attempts) and disables an
endpoint after two dead deliveries in a row (tests/conftest.py)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from standardwebhooks import Webhook

from testkit import documents as make
from testkit.webhooks import Receiver, verify_by_hand
from tests.conftest import ApiUser
from tests.stack.test_api_keys import as_key, make_key

pytestmark = pytest.mark.stack

ATTEMPTS = 4  # the first and one per delay of WEBHOOK_RETRY_SCHEDULE=1,1,2


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def register(user: ApiUser, url: str, events: list[str], **body: object) -> dict:
    response = user.http.post("/api/v1/webhooks", json={"url": url, "events": events, **body})
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(user: ApiUser, webhook_id: str) -> list[dict]:
    response = user.http.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def wait_for_delivery(user: ApiUser, webhook_id: str, delivery_id: str, statuses: set[str]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        detail = user.http.get(f"/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}").json()
        if detail["status"] in statuses:
            return detail
        time.sleep(0.2)
    raise AssertionError(f"delivery {delivery_id} stayed {detail['status']}: {detail}")


def test_a_ready_document_is_announced_signed_with_ids_and_states_only(
    user: ApiUser, receiver: Receiver
) -> None:
    endpoint = register(user, f"{receiver.url}/in?team=7", ["document.ready"], description="ingest")
    secret = endpoint["secret"]
    assert secret.startswith("whsec_") and endpoint["enabled"] and endpoint["description"] == "ingest"
    listed = user.http.get("/api/v1/webhooks").json()["items"]
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]

    marker = f"confidential-{uuid.uuid4().hex}"
    document_id = user.upload("ready.txt", make.txt(f"A private note: {marker}.")).json()["id"]
    assert user.wait_for(document_id)["status"] == "ready"

    (request,) = receiver.wait_for(1)
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/in?team=7"
    assert verify_by_hand(secret, headers, body), "an implementation of the spec accepts the signature"
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "document.ready"
    assert payload["data"]["document_id"] == document_id and payload["data"]["status"] == "ready"
    assert payload["timestamp"].startswith(time.strftime("%Y-", time.gmtime()))
    assert marker.encode() not in body and b"private note" not in body, "never the document's text"

    (listed_delivery,) = deliveries(user, endpoint["id"])
    logged = wait_for_delivery(user, endpoint["id"], listed_delivery["id"], {"delivered", "dead"})
    assert logged["status"] == "delivered" and logged["attempts"] == 1 and logged["last_status_code"] == 204
    assert logged["message_id"] == headers["webhook-id"] and logged["last_duration_ms"] is not None
    assert logged["event_type"] == "document.ready" and logged["next_attempt_at"] is None
    time.sleep(1.5)  # a sweep or two: nothing is sent twice once delivered
    assert len(receiver.received) == 1


def test_failures_are_announced_to_the_events_subscribed(user: ApiUser, receiver: Receiver) -> None:
    register(user, receiver.url, ["document.failed", "job.failed", "document.deleted"])
    failing = user.upload("broken.png", make.undecodable_png()).json()["id"]
    assert user.wait_for(failing)["status"] == "failed"
    fine = user.upload("fine.txt", make.txt(f"Fine {uuid.uuid4()}")).json()["id"]
    assert user.wait_for(fine)["status"] == "ready"  # document.ready is not subscribed
    assert user.http.delete(f"/api/v1/documents/{fine}").status_code == 204

    requests = receiver.wait_for(3)
    time.sleep(1.5)
    events = sorted(
        (json.loads(r["body"])["type"], json.loads(r["body"])["data"]["document_id"]) for r in requests
    )
    assert events == sorted(
        [("job.failed", failing), ("document.failed", failing), ("document.deleted", fine)]
    )
    job_failed = next(json.loads(r["body"]) for r in requests if b'"job.failed"' in r["body"])
    assert job_failed["data"]["kind"] == "extract" and job_failed["data"]["status"] == "failed"
    assert len({r["headers"]["webhook-id"] for r in requests}) == 3


def test_a_receiver_that_fails_first_gets_the_same_message_again_after_its_retry_after(
    user: ApiUser, receiver: Receiver
) -> None:
    endpoint = register(user, receiver.url, ["document.ready"])
    receiver.script = [(500, {}, b"not now"), (503, {"retry-after": "2"}, b"")]
    test = user.http.post(f"/api/v1/webhooks/{endpoint['id']}/test")
    assert test.status_code == 202 and test.json()["event_type"] == "webhook.test"

    detail = wait_for_delivery(user, endpoint["id"], test.json()["id"], {"delivered", "dead"})
    assert detail["status"] == "delivered" and detail["attempts"] == 3
    log = detail["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 503, 204]
    assert log[0]["response_body"] == "not now" and log[0]["error"] == "HTTP 500"
    requests = receiver.received
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1, "one message, however often it is sent"
    assert all(verify_by_hand(endpoint["secret"], r["headers"], r["body"]) for r in requests)
    arrived = [int(r["headers"]["webhook-timestamp"]) for r in requests]
    assert arrived[2] - arrived[1] >= 2 - 1, "Retry-After: 2 kept the third attempt back (to the second)"
    assert json.loads(requests[0]["body"])["data"] == {"webhook_id": endpoint["id"]}


def test_dead_deliveries_disable_the_endpoint_until_its_owner_enables_it(
    user: ApiUser, receiver: Receiver
) -> None:
    endpoint = register(user, receiver.url, ["document.ready"])
    receiver.answer = (500, {}, b"")
    sent = [user.http.post(f"/api/v1/webhooks/{endpoint['id']}/test").json()["id"] for _ in range(2)]
    for delivery_id in sent:
        detail = wait_for_delivery(user, endpoint["id"], delivery_id, {"dead", "delivered"})
        assert detail["status"] == "dead" and detail["attempts"] == ATTEMPTS
        assert detail["next_attempt_at"] is None

    disabled = user.http.get(f"/api/v1/webhooks/{endpoint['id']}").json()
    assert not disabled["enabled"] and "2 deliveries in a row" in disabled["disabled_reason"]
    assert disabled["disabled_by"] == "failures" and disabled["dead_in_a_row"] == 2
    refused = user.http.post(f"/api/v1/webhooks/{endpoint['id']}/test")
    assert refused.status_code == 409 and refused.json()["code"] == "webhook_disabled"
    before = len(receiver.received)
    assert (
        user.wait_for(user.upload("quiet.txt", make.txt(f"Quiet {uuid.uuid4()}")).json()["id"])["status"]
        == "ready"
    )

    receiver.answer = (200, {}, b"ok")
    enabled = user.http.patch(f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}).json()
    assert enabled["enabled"] and enabled["disabled_reason"] is None and enabled["disabled_by"] is None
    assert enabled["dead_in_a_row"] == 0
    # The document.ready that waited while the endpoint was disabled goes out now.
    waited = receiver.wait_for(before + 1)[before:]
    assert [json.loads(r["body"])["type"] for r in waited] == ["document.ready"]

    redelivered = user.http.post(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{sent[0]}/redeliver")
    assert redelivered.status_code == 202, redelivered.text
    detail = wait_for_delivery(user, endpoint["id"], sent[0], {"delivered", "dead"})
    assert detail["status"] == "delivered" and detail["attempts"] == ATTEMPTS + 1
    # Sent again as the same message its dead attempts were (the two test events may have arrived in
    # either order the first time).
    last = receiver.received[-1]["headers"]["webhook-id"]
    earlier = [r["headers"]["webhook-id"] for r in receiver.received[:before]]
    assert last == detail["message_id"] and earlier.count(last) == ATTEMPTS


def test_a_rotated_secret_signs_beside_the_old_one(user: ApiUser, receiver: Receiver) -> None:
    endpoint = register(user, receiver.url, ["document.ready"])
    rotated = user.http.post(f"/api/v1/webhooks/{endpoint['id']}/rotate-secret").json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_expires_at"]
    user.http.post(f"/api/v1/webhooks/{endpoint['id']}/test")
    (request,) = receiver.wait_for(1)
    assert verify_by_hand(rotated["secret"], request["headers"], request["body"])
    assert verify_by_hand(endpoint["secret"], request["headers"], request["body"])


def test_a_shared_documents_events_reach_its_viewers_endpoints(user_factory, receiver: Receiver) -> None:
    owner, viewer = user_factory(None), user_factory(None)
    register(viewer, receiver.url, ["document.ready"])
    document_id = owner.upload("shared.txt", make.txt(f"Shared {uuid.uuid4()}")).json()["id"]
    granted = owner.http.put(
        f"/api/v1/documents/{document_id}/grants/{viewer.user_id}", json={"role": "viewer"}
    )
    assert granted.status_code in (200, 201), granted.text
    owner.wait_for(document_id)
    assert owner.http.post(f"/api/v1/documents/{document_id}/reprocess").status_code == 202
    owner.wait_for(document_id)
    ids = {json.loads(r["body"])["data"]["document_id"] for r in receiver.wait_for(1)}
    assert ids == {document_id}


def test_another_users_endpoints_do_not_exist_for_them(user_factory, receiver: Receiver) -> None:
    owner, stranger = user_factory(None), user_factory(None)
    endpoint = register(owner, receiver.url, ["document.ready"])
    test_id = owner.http.post(f"/api/v1/webhooks/{endpoint['id']}/test").json()["id"]
    base = f"/api/v1/webhooks/{endpoint['id']}"
    for method, path, body in [
        ("GET", base, None),
        ("PATCH", base, {"enabled": False}),
        ("DELETE", base, None),
        ("POST", f"{base}/rotate-secret", None),
        ("POST", f"{base}/test", None),
        ("GET", f"{base}/deliveries", None),
        ("GET", f"{base}/deliveries/{test_id}", None),
        ("POST", f"{base}/deliveries/{test_id}/redeliver", None),
    ]:
        response = stranger.http.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert stranger.http.get("/api/v1/webhooks").json()["items"] == []
    # Their events do not reach each other either.
    stranger_doc = stranger.upload("s.txt", make.txt(f"Stranger {uuid.uuid4()}")).json()["id"]
    stranger.wait_for(stranger_doc)
    time.sleep(1.5)
    assert all(json.loads(r["body"])["type"] == "webhook.test" for r in receiver.received)
    assert owner.http.get(base).json()["enabled"]


def test_keys_need_the_webhooks_scope(stack, user: ApiUser, receiver: Receiver) -> None:
    with as_key(stack, make_key(user, ["documents:read"])["key"]) as reader:
        refused = reader.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["document.ready"]})
        assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    with as_key(stack, make_key(user, ["webhooks"])["key"]) as hooks:
        made = hooks.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["document.ready"]})
        assert made.status_code == 201, made.text
        assert hooks.delete(f"/api/v1/webhooks/{made.json()['id']}").status_code == 204
    assert user.http.get("/api/v1/webhooks").json()["items"] == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "ftp://example.com/in", "events": ["document.ready"]}, 400, "invalid_webhook_url"),
        ({"url": "https://user:pw@example.com/in", "events": ["document.ready"]}, 400, "invalid_webhook_url"),
        ({"url": "not a url", "events": ["document.ready"]}, 400, "invalid_webhook_url"),
        ({"url": "https://example.com/in", "events": []}, 422, "validation_error"),
        ({"url": "https://example.com/in", "events": ["document.eaten"]}, 422, "validation_error"),
        ({"url": "https://example.com/in", "events": ["webhook.test"]}, 422, "validation_error"),
        ({"url": "https://example.com/" + "x" * 2100, "events": ["document.ready"]}, 422, "validation_error"),
        ({"events": ["document.ready"]}, 422, "validation_error"),
    ],
)
def test_a_bad_endpoint_is_a_problem_and_nothing_is_made(
    user: ApiUser, body: dict, status: int, code: str
) -> None:
    response = user.http.post("/api/v1/webhooks", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert user.http.get("/api/v1/webhooks").json()["items"] == []


def test_deleting_an_endpoint_stops_its_deliveries(user: ApiUser, receiver: Receiver) -> None:
    endpoint = register(user, receiver.url, ["document.ready"])
    receiver.answer = (500, {}, b"")
    delivery_id = user.http.post(f"/api/v1/webhooks/{endpoint['id']}/test").json()["id"]
    receiver.wait_for(1)
    assert user.http.delete(f"/api/v1/webhooks/{endpoint['id']}").status_code == 204
    count = len(receiver.received)
    time.sleep(4)  # past the retries' delays
    assert len(receiver.received) <= count + 1  # at most the attempt already under way
    gone = user.http.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/{delivery_id}")
    assert gone.status_code == 404
