"""Sending one webhook: signed so that an independent verifier accepts it, never to an address inside
our network, never following a redirect, reading only so much of the answer."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
from standardwebhooks import Webhook

from shared.errors import Invalid
from shared.webhooks.addresses import AddressRefused, check_url, resolve
from shared.webhooks.sender import RESPONSE_CAP, send
from testkit.webhooks import Receiver, verify_by_hand

SECRET = "whsec_" + base64.b64encode(b"a secret of thirty-two bytes!!!!").decode()
NEXT_SECRET = "whsec_" + base64.b64encode(b"the next secret, also 32 bytes..").decode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def test_a_webhook_is_signed_so_any_implementation_of_the_spec_verifies_it(receiver: Receiver) -> None:
    payload = {"type": "document.ready", "data": {"document_id": "d-1", "status": "ready"}}
    sent = send(f"{receiver.url}/hooks?team=1", [SECRET], "msg_1", payload, allow_private=True)

    assert sent.ok and sent.status == 204 and sent.error is None
    (request,) = receiver.received
    headers = request["headers"]
    assert request["path"] == "/hooks?team=1" and headers["webhook-id"] == "msg_1"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert verify_by_hand(SECRET, headers, request["body"])
    assert Webhook(SECRET).verify(request["body"], headers) == payload
    assert not verify_by_hand(NEXT_SECRET, headers, request["body"])
    tampered = request["body"].replace(b"ready", b"faile")
    assert not verify_by_hand(SECRET, headers, tampered)


def test_while_a_secret_rotates_both_sign(receiver: Receiver) -> None:
    send(receiver.url, [NEXT_SECRET, SECRET], "msg_2", {"type": "ping"}, allow_private=True)
    (request,) = receiver.received
    headers = request["headers"]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verify_by_hand(SECRET, headers, request["body"]) and verify_by_hand(
        NEXT_SECRET, headers, request["body"]
    )


def test_the_request_goes_to_the_address_that_was_checked_with_the_name_as_host(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    assert send(f"http://localhost:{port}/in", [SECRET], "msg_3", {}, allow_private=True).ok
    assert receiver.received[0]["headers"]["host"] == f"localhost:{port}"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # http outside local
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "https:///nohost",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.9/hook",
        "https://192.168.1.20/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT, shared address space
        "https://169.254.169.254/latest/meta-data",  # the cloud metadata service
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fd00:ec2::254]/hook",  # a unique-local address (AWS's IPv6 metadata service)
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "https://224.0.0.1/hook",
        "https://example.com:99999/hook",
    ],
)
def test_a_url_that_could_reach_inside_is_refused_when_registered(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_url(url, allow_private=False)
    assert refused.value.code in ("invalid_webhook_url", "webhook_address_refused")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "10.0.0.5", "169.254.169.254", "fd12::1"])
def test_a_name_that_resolves_inside_is_refused_when_sending(host: str) -> None:
    with pytest.raises(AddressRefused):
        resolve(host, 443, allow_private=False)
    assert resolve("127.0.0.1", 443, allow_private=True) == ["127.0.0.1"]  # ENVIRONMENT=local only


def test_a_public_address_is_allowed() -> None:
    assert resolve("93.184.215.14", 443, allow_private=False) == ["93.184.215.14"]
    assert check_url("https://hooks.example.com:8443/in", allow_private=False).port == 8443


def test_sending_to_an_inside_name_fails_without_a_request(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    sent = send(f"https://localhost:{port}/in", [SECRET], "msg_4", {}, allow_private=False)
    assert not sent.ok and sent.status is None and "address refused" in (sent.error or "")
    assert receiver.received == []


def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.answer = (307, {"location": f"{receiver.url}/elsewhere"}, b"")
    sent = send(f"{receiver.url}/in", [SECRET], "msg_5", {}, allow_private=True)
    assert not sent.ok and sent.status == 307 and "not followed" in (sent.error or "")
    assert [r["path"] for r in receiver.received] == ["/in"]


def test_only_so_much_of_the_answer_is_read_and_retry_after_is_kept(receiver: Receiver) -> None:
    receiver.answer = (503, {"retry-after": "120"}, b"x" * (RESPONSE_CAP * 20))
    sent = send(receiver.url, [SECRET], "msg_6", {}, allow_private=True)
    assert not sent.ok and sent.status == 503 and sent.retry_after == 120
    assert len(sent.body) <= 1000 and sent.error == "HTTP 503"


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(receiver: Receiver) -> None:
    receiver.delay = 2
    sent = send(receiver.url, [SECRET], "msg_7", {}, allow_private=True, timeout=0.5)
    assert not sent.ok and sent.status is None and "within 0.5 s" in (sent.error or "")
    assert sent.duration_ms < 2000


def test_the_body_is_the_payload_as_json(receiver: Receiver) -> None:
    payload = {"type": "job.failed", "data": {"job_id": "j", "detail": "ocr_rejected: ünreadable"}}
    send(receiver.url, [SECRET], "msg_8", payload, allow_private=True)
    assert json.loads(receiver.received[0]["body"]) == payload
    assert receiver.received[0]["headers"]["content-type"] == "application/json"
