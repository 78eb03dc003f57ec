"""The live event stream on the running product: a document's changes reach its readers as the workers
make them, a client that reconnects with Last-Event-ID misses nothing, and no one else hears a thing."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack


class Follower:
    """Reads a user's event stream on a thread of its own."""

    def __init__(self, user: ApiUser, *, last_event_id: str | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self.status: int | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        headers = dict(user.http.headers) | ({"Last-Event-ID": last_event_id} if last_event_id else {})
        self._http = httpx.Client(
            base_url=user.http.base_url, headers=headers, timeout=httpx.Timeout(60, read=None)
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self.connected.wait(30), "the stream did not open"

    def _read(self) -> None:
        try:
            with self._http.stream("GET", "/api/v1/events") as response:
                self.status = response.status_code
                event: dict[str, Any] = {}
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.connected.set()
                    elif line.startswith("id:"):
                        event["id"] = int(line.removeprefix("id:").strip())
                    elif line.startswith("event:"):
                        event["event"] = line.removeprefix("event:").strip()
                    elif line.startswith("data:"):
                        event["data"] = json.loads(line.removeprefix("data:"))
                    elif not line and "event" in event:
                        with self._changed:
                            self.events.append(event)
                            self._changed.notify_all()
                        event = {}
                    if self._stop.is_set():
                        return
        except httpx.HTTPError:
            pass
        finally:
            self.connected.set()

    def wait_for(self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float = 240) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: condition(self.events), timeout), self.events[-5:]

    def close(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._http.close()
        self._thread.join(10)
        return self.events


def about(document_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: event["data"].get("document_id") == document_id


def ready(document_id: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda events: any(
        e["event"] == "document.changed" and about(document_id)(e) and e["data"]["status"] == "ready"
        for e in events
    )


def test_a_documents_changes_reach_its_owner_as_they_happen(user: ApiUser) -> None:
    follower = Follower(user)
    document_id = user.upload("live.txt", make.txt(f"Live events {uuid.uuid4()}")).json()["id"]
    follower.wait_for(ready(document_id))
    events = [e for e in follower.close() if about(document_id)(e)]

    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    jobs = {(e["data"]["kind"], e["data"]["status"]) for e in events if e["event"] == "job.changed"}
    assert {("extract", "running"), ("extract", "succeeded"), ("ai", "succeeded")} <= jobs
    statuses = [e["data"]["status"] for e in events if e["event"] == "document.changed"]
    assert statuses[-1] == "ready" and "processing" in statuses
    revisions = [e["data"]["revision"] for e in events if e["event"] == "document.changed"]
    assert revisions == sorted(revisions)
    current = user.http.get(f"/api/v1/documents/{document_id}")
    assert (
        current.headers["ETag"].strip('W/"').endswith(str(revisions[-1]))
        or current.json()["status"] == "ready"
    )


def test_a_client_that_reconnects_with_last_event_id_misses_nothing(user: ApiUser) -> None:
    everything = Follower(user)  # stays connected throughout: what a reconnecting client must match
    first = Follower(user)
    document_id = user.upload("resume.txt", make.txt(f"Resumed events {uuid.uuid4()}")).json()["id"]
    first.wait_for(lambda events: any(about(document_id)(e) for e in events))
    before = first.close()  # the connection drops early in the document's processing
    time.sleep(1)  # events happen while nobody listens

    second = Follower(user, last_event_id=str(before[-1]["id"]))
    second.wait_for(ready(document_id))
    everything.wait_for(ready(document_id))
    after = second.close()
    full = everything.close()

    def ids(events: list[dict[str, Any]]) -> list[int]:
        return [e["id"] for e in events if about(document_id)(e)]

    last_needed = max(ids(after))
    assert ids(before) + ids(after) == [i for i in ids(full) if i <= last_needed]
    assert not set(ids(before)) & set(ids(after))


def test_only_those_who_may_read_a_document_hear_of_it(user_factory: Callable[[str | None], ApiUser]) -> None:
    owner, viewer, stranger = user_factory(None), user_factory(None), user_factory(None)
    document_id = owner.upload("shared.txt", make.txt(f"Shared events {uuid.uuid4()}")).json()["id"]
    assert owner.wait_for(document_id)["status"] == "ready"
    granted = owner.http.put(
        f"/api/v1/documents/{document_id}/grants/{viewer.user_id}", json={"role": "viewer"}
    )
    assert granted.status_code == 201

    listeners = {
        name: Follower(who) for name, who in (("owner", owner), ("viewer", viewer), ("stranger", stranger))
    }
    assert owner.http.post(f"/api/v1/documents/{document_id}/reprocess").status_code == 202
    for name in ("owner", "viewer"):
        listeners[name].wait_for(ready(document_id))
    assert owner.http.delete(f"/api/v1/documents/{document_id}").status_code == 204
    for name in ("owner", "viewer"):
        listeners[name].wait_for(lambda events: any(e["event"] == "document.deleted" for e in events))
    # The stranger's stream carried the same moments and heard none of it.
    heard = listeners["stranger"].close()
    assert not [e for e in heard if about(document_id)(e)]
    for name in ("owner", "viewer"):
        listeners[name].close()


def test_a_bad_last_event_id_is_a_problem(stack: Stack, user: ApiUser) -> None:
    for bad in ("yesterday", "-1", "1.5", "\u0663".encode(), str(2**63)):
        response = user.http.get("/api/v1/events", headers={"Last-Event-ID": bad})
        assert response.status_code == 400 and response.json()["code"] == "invalid_last_event_id", bad
    assert user.http.get("/api/v1/events", params={"after": 2**63}).status_code == 422
    anonymous = httpx.get(f"{stack.api_url}/api/v1/events")
    assert anonymous.status_code == 401
