"""Every endpoint x {owner, editor, viewer, stranger, anonymous}: who gets what.

The matrix is checked against the running API's OpenAPI document, so a new route without an entry here
fails the suite until someone decides who may call it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from cli.stack.stack import Stack
from testkit import documents as make
from testkit.webhooks import Receiver
from tests import zips
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

ROLES = ("owner", "editor", "viewer", "stranger", "anonymous")
WORD = f"zebrafinch{uuid.uuid4().hex[:6]}"  # a word only the shared document contains


@dataclass
class World:
    clients: dict[str, httpx.Client]
    owner: ApiUser
    users: dict[str, ApiUser]

    reuse: bool = False  # fresh_document hands out the shared one (calls that must be refused anyway)

    def fresh_document(self, word: str = "matrix") -> dict:
        """A ready document owned by `owner`, shared with editor (editor) and viewer (viewer)."""
        if self.reuse:
            return self.shared  # type: ignore[attr-defined]
        data = make.txt(f"Matrix document {uuid.uuid4()} about the {word}.")
        uploaded = self.owner.upload("matrix.txt", data)
        if uploaded.status_code == 429:  # the owner makes many documents here: wait as the API says
            time.sleep(int(uploaded.headers["Retry-After"]))
            uploaded = self.owner.upload("matrix.txt", data)
        assert uploaded.status_code == 202, uploaded.text
        document_id = uploaded.json()["id"]
        for role in ("editor", "viewer"):
            granted = self.owner.http.put(
                f"/api/v1/documents/{document_id}/grants/{self.users[role].user_id}", json={"role": role}
            )
            assert granted.status_code == 201, granted.text
        return self.owner.wait_for(document_id)


@pytest.fixture(scope="module")
def world(stack: Stack, user_factory) -> Iterator[World]:
    users = {role: user_factory(f"{role}-{uuid.uuid4().hex[:6]}") for role in ROLES if role != "anonymous"}
    clients = {role: user.http for role, user in users.items()}
    clients["anonymous"] = httpx.Client(base_url=stack.api_url, timeout=60)
    world = World(clients, users["owner"], users)
    world.shared = world.fresh_document(WORD)  # type: ignore[attr-defined]
    world.receiver = Receiver()  # type: ignore[attr-defined]
    yield world
    world.receiver.stop()  # type: ignore[attr-defined]


Call = Callable[[World, httpx.Client, str], httpx.Response]


@dataclass(frozen=True)
class Case:
    call: Call
    expected: dict[str, int]
    fresh: bool = False  # the call changes state: each role acts on its own new document


def _doc(world: World, fresh: bool) -> dict:
    return world.fresh_document() if fresh else world.shared  # type: ignore[attr-defined]


READ = {"owner": 200, "editor": 200, "viewer": 200, "stranger": 404, "anonymous": 401}
OWNER_ONLY = {"editor": 403, "viewer": 403, "stranger": 404, "anonymous": 401}
ANY_USER = {"owner": 200, "editor": 200, "viewer": 200, "stranger": 200, "anonymous": 401}
PUBLIC = dict.fromkeys(ROLES, 200)


def _conversation(world: World, fresh: bool = False) -> str:
    """A conversation of the owner's about the shared document; conversations are never shared."""
    found = getattr(world, "conversation", None)
    if found is None or fresh:
        answer = world.owner.http.post(
            "/api/v1/ask",
            json={"question": f"What is {WORD}?", "document_ids": [world.shared["id"]]},  # type: ignore[attr-defined]
        )
        assert answer.status_code == 200, answer.text
        found = answer.json()["conversation_id"]
        if not fresh:
            world.conversation = found  # type: ignore[attr-defined]
    return found


OWN_ONLY = {"owner": 200, "editor": 404, "viewer": 404, "stranger": 404, "anonymous": 401}


def _api_key(world: World, scopes: list[str] | None = None) -> dict:
    """A new key of the owner's, with every scope unless `scopes` says otherwise."""
    response = world.owner.http.post(
        "/api/v1/api-keys", json={"name": "matrix", "scopes": scopes if scopes is not None else ALL_SCOPES}
    )
    assert response.status_code == 201, response.text
    return response.json()


def _stream_opens(client: httpx.Client, path: str) -> httpx.Response:
    """The status of a stream that never ends by itself: read the head, then hang up."""
    with client.stream("GET", path) as response:
        if response.status_code >= 400:
            response.read()
        return response


def _zip(role: str) -> bytes:
    return zips.archive([(f"{role}.txt", f"{role} {uuid.uuid4()}".encode())])


def _batch(world: World, fresh: bool = False) -> str:
    """A batch of the owner's; batches are never shared."""
    found = getattr(world, "batch", None)
    if found is None or (fresh and not world.reuse):
        files = {"file": ("matrix.zip", _zip("owner"))}
        made = world.owner.http.post("/api/v1/batches", files=files, data={"pipeline": "extract"})
        if made.status_code == 429:  # the owner uploads a lot here: wait as the API says
            time.sleep(int(made.headers["Retry-After"]))
            made = world.owner.http.post("/api/v1/batches", files=files, data={"pipeline": "extract"})
        assert made.status_code == 201, made.text
        found = made.json()["id"]
        if not fresh:
            world.batch = found  # type: ignore[attr-defined]
    return found


def _webhook(world: World, fresh: bool = False) -> str:
    """An endpoint of the owner's, with a receiver that answers; endpoints are never shared."""
    found = getattr(world, "webhook", None)
    if found is None or (fresh and not world.reuse):
        made = world.owner.http.post(
            "/api/v1/webhooks",
            json={"url": world.receiver.url, "events": ["document.ready"]},  # type: ignore[attr-defined]
        )
        assert made.status_code == 201, made.text
        found = made.json()["id"]
        if not fresh:
            world.webhook = found  # type: ignore[attr-defined]
    return found


def _delivery(world: World) -> str:
    """A delivered test event of the owner's endpoint (one being sent could not be redelivered yet)."""
    found = getattr(world, "delivery", None)
    if found is None:
        webhook = _webhook(world)
        found = world.owner.http.post(f"/api/v1/webhooks/{webhook}/test").json()["id"]
        deadline = time.monotonic() + 30
        while (
            world.owner.http.get(f"/api/v1/webhooks/{webhook}/deliveries/{found}").json()["status"]
            != "delivered"
        ):
            assert time.monotonic() < deadline, "the test event was not delivered"
            time.sleep(0.2)
        world.delivery = found  # type: ignore[attr-defined]
    return found


def _job(document: dict, kind: str) -> str:
    return next(job["id"] for job in document["jobs"] if job["kind"] == kind)


SCHEMA_FIELDS = [{"name": "total", "type": "money"}]


def _schema(world: World, fresh: bool = False) -> str:
    """A schema of the owner's, shared with editor (editor) and viewer (viewer), as documents are."""
    found = getattr(world, "schema", None)
    if found is None or (fresh and not world.reuse):
        made = world.owner.http.post(
            "/api/v1/schemas", json={"name": f"matrix {uuid.uuid4().hex[:8]}", "fields": SCHEMA_FIELDS}
        )
        assert made.status_code == 201, made.text
        found = made.json()["id"]
        for role in ("editor", "viewer"):
            granted = world.owner.http.put(
                f"/api/v1/schemas/{found}/grants/{world.users[role].user_id}", json={"role": role}
            )
            assert granted.status_code == 201, granted.text
        if not fresh:
            world.schema = found  # type: ignore[attr-defined]
    return found


def _extraction(world: World) -> str:
    """The shared document's extraction with the shared schema (run once), as a path."""
    found = getattr(world, "extraction", None)
    if found is None:
        schema_id, document_id = _schema(world), world.shared["id"]  # type: ignore[attr-defined]
        ran = world.owner.http.post(f"/api/v1/schemas/{schema_id}/runs", json={"document_ids": [document_id]})
        assert ran.status_code == 202, ran.text
        deadline = time.monotonic() + 120
        while not any(
            item["schema_id"] == schema_id
            for item in world.owner.http.get(f"/api/v1/documents/{document_id}/extractions").json()["items"]
        ):
            assert time.monotonic() < deadline, "the schema run did not finish"
            time.sleep(0.3)
        found = f"/api/v1/documents/{document_id}/extractions/{schema_id}"
        world.extraction = found  # type: ignore[attr-defined]
    return found


MATRIX: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/auth/dev-token"): Case(
        lambda w, c, r: c.post("/api/v1/auth/dev-token", json={"user_id": "someone"}), PUBLIC
    ),
    ("GET", "/api/v1/auth/me"): Case(lambda w, c, r: c.get("/api/v1/auth/me"), ANY_USER),
    ("POST", "/api/v1/documents"): Case(
        lambda w, c, r: c.post(
            "/api/v1/documents",
            files={"file": ("mine.txt", f"{r} {uuid.uuid4()}".encode())},
            data={"pipeline": "extract"},
        ),
        {"owner": 202, "editor": 202, "viewer": 202, "stranger": 202, "anonymous": 401},
    ),
    ("GET", "/api/v1/documents"): Case(lambda w, c, r: c.get("/api/v1/documents"), ANY_USER),
    ("POST", "/api/v1/batches"): Case(
        lambda w, c, r: c.post(
            "/api/v1/batches", files={"file": ("mine.zip", _zip(r))}, data={"pipeline": "extract"}
        ),
        {"owner": 201, "editor": 201, "viewer": 201, "stranger": 201, "anonymous": 401},
    ),
    ("GET", "/api/v1/batches"): Case(lambda w, c, r: c.get("/api/v1/batches"), ANY_USER),
    ("GET", "/api/v1/batches/{batch_id}"): Case(
        lambda w, c, r: c.get(f"/api/v1/batches/{_batch(w)}"), OWN_ONLY
    ),
    ("DELETE", "/api/v1/batches/{batch_id}"): Case(
        lambda w, c, r: c.delete(f"/api/v1/batches/{_batch(w, fresh=True)}"),
        OWN_ONLY | {"owner": 204},
        fresh=True,
    ),
    ("GET", "/api/v1/documents/{document_id}"): Case(
        lambda w, c, r: c.get(f"/api/v1/documents/{w.shared['id']}"), READ
    ),
    ("DELETE", "/api/v1/documents/{document_id}"): Case(
        lambda w, c, r: c.delete(f"/api/v1/documents/{_doc(w, True)['id']}"),
        OWNER_ONLY | {"owner": 204},
        fresh=True,
    ),
    ("POST", "/api/v1/documents/{document_id}/reprocess"): Case(
        lambda w, c, r: c.post(f"/api/v1/documents/{_doc(w, True)['id']}/reprocess"),
        {"owner": 202, "editor": 202, "viewer": 403, "stranger": 404, "anonymous": 401},
        fresh=True,
    ),
    ("GET", "/api/v1/pipeline"): Case(lambda w, c, r: c.get("/api/v1/pipeline"), ANY_USER),
    ("GET", "/api/v1/documents/{document_id}/pages"): Case(
        lambda w, c, r: c.get(f"/api/v1/documents/{w.shared['id']}/pages"), READ
    ),
    ("GET", "/api/v1/documents/{document_id}/results"): Case(
        lambda w, c, r: c.get(f"/api/v1/documents/{w.shared['id']}/results"), READ
    ),
    ("GET", "/api/v1/documents/{document_id}/file"): Case(
        lambda w, c, r: c.get(f"/api/v1/documents/{w.shared['id']}/file"), READ
    ),
    ("GET", "/api/v1/documents/{document_id}/file-url"): Case(
        lambda w, c, r: c.get(f"/api/v1/documents/{w.shared['id']}/file-url"), READ
    ),
    ("GET", "/api/v1/documents/{document_id}/grants"): Case(
        lambda w, c, r: c.get(f"/api/v1/documents/{w.shared['id']}/grants"), OWNER_ONLY | {"owner": 200}
    ),
    ("PUT", "/api/v1/documents/{document_id}/grants/{user_id}"): Case(
        lambda w, c, r: c.put(
            f"/api/v1/documents/{_doc(w, True)['id']}/grants/newcomer-{uuid.uuid4().hex[:6]}",
            json={"role": "viewer"},
        ),
        OWNER_ONLY | {"owner": 201},
        fresh=True,
    ),
    ("DELETE", "/api/v1/documents/{document_id}/grants/{user_id}"): Case(
        lambda w, c, r: c.delete(
            f"/api/v1/documents/{_doc(w, True)['id']}/grants/{w.users['viewer'].user_id}"
        ),
        OWNER_ONLY | {"owner": 204},
        fresh=True,
    ),
    ("GET", "/api/v1/jobs/{job_id}"): Case(
        lambda w, c, r: c.get(f"/api/v1/jobs/{_job(w.shared, 'ai')}"), READ
    ),
    ("POST", "/api/v1/jobs/{job_id}/retry"): Case(
        lambda w, c, r: c.post(f"/api/v1/jobs/{_job(_doc(w, True), 'ai')}/retry"),
        {"owner": 202, "editor": 202, "viewer": 403, "stranger": 404, "anonymous": 401},
        fresh=True,
    ),
    # The job has ended, so someone allowed to cancel gets 409: the role check passed, the state did not.
    ("POST", "/api/v1/jobs/{job_id}/cancel"): Case(
        lambda w, c, r: c.post(f"/api/v1/jobs/{_job(w.shared, 'ai')}/cancel"),
        {"owner": 409, "editor": 409, "viewer": 403, "stranger": 404, "anonymous": 401},
    ),
    ("GET", "/api/v1/search"): Case(lambda w, c, r: c.get("/api/v1/search", params={"q": WORD}), ANY_USER),
    ("POST", "/api/v1/ask"): Case(
        lambda w, c, r: c.post(
            "/api/v1/ask", json={"question": f"What is {WORD}?", "document_ids": [w.shared["id"]]}
        ),  # type: ignore[attr-defined]
        READ,
    ),
    ("GET", "/api/v1/conversations"): Case(lambda w, c, r: c.get("/api/v1/conversations"), ANY_USER),
    ("GET", "/api/v1/conversations/{conversation_id}"): Case(
        lambda w, c, r: c.get(f"/api/v1/conversations/{_conversation(w)}"), OWN_ONLY
    ),
    ("DELETE", "/api/v1/conversations/{conversation_id}"): Case(
        lambda w, c, r: c.delete(f"/api/v1/conversations/{_conversation(w, fresh=True)}"),
        OWN_ONLY | {"owner": 204},
        fresh=True,
    ),
    ("POST", "/api/v1/api-keys"): Case(
        lambda w, c, r: c.post("/api/v1/api-keys", json={"name": f"{r} key", "scopes": ["search"]}),
        {"owner": 201, "editor": 201, "viewer": 201, "stranger": 201, "anonymous": 401},
    ),
    ("GET", "/api/v1/api-keys"): Case(lambda w, c, r: c.get("/api/v1/api-keys"), ANY_USER),
    # Each role revokes the owner's key: only the owner finds it.
    ("DELETE", "/api/v1/api-keys/{key_id}"): Case(
        lambda w, c, r: c.delete(f"/api/v1/api-keys/{_api_key(w)['id']}"),
        OWN_ONLY | {"owner": 204},
        fresh=True,
    ),
    ("GET", "/api/v1/events"): Case(lambda w, c, r: _stream_opens(c, "/api/v1/events"), ANY_USER),
    ("POST", "/api/v1/webhooks"): Case(
        lambda w, c, r: c.post("/api/v1/webhooks", json={"url": w.receiver.url, "events": ["job.failed"]}),  # type: ignore[attr-defined]
        {"owner": 201, "editor": 201, "viewer": 201, "stranger": 201, "anonymous": 401},
    ),
    ("GET", "/api/v1/webhooks"): Case(lambda w, c, r: c.get("/api/v1/webhooks"), ANY_USER),
    ("GET", "/api/v1/webhooks/{webhook_id}"): Case(
        lambda w, c, r: c.get(f"/api/v1/webhooks/{_webhook(w)}"), OWN_ONLY
    ),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): Case(
        lambda w, c, r: c.patch(f"/api/v1/webhooks/{_webhook(w)}", json={"description": f"by {r}"}), OWN_ONLY
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Case(
        lambda w, c, r: c.delete(f"/api/v1/webhooks/{_webhook(w, fresh=True)}"),
        OWN_ONLY | {"owner": 204},
        fresh=True,
    ),
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): Case(
        lambda w, c, r: c.post(f"/api/v1/webhooks/{_webhook(w)}/rotate-secret"), OWN_ONLY
    ),
    ("POST", "/api/v1/webhooks/{webhook_id}/test"): Case(
        lambda w, c, r: c.post(f"/api/v1/webhooks/{_webhook(w)}/test"), OWN_ONLY | {"owner": 202}
    ),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Case(
        lambda w, c, r: c.get(f"/api/v1/webhooks/{_webhook(w)}/deliveries"), OWN_ONLY
    ),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}"): Case(
        lambda w, c, r: c.get(f"/api/v1/webhooks/{_webhook(w)}/deliveries/{_delivery(w)}"), OWN_ONLY
    ),
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): Case(
        lambda w, c, r: c.post(f"/api/v1/webhooks/{_webhook(w)}/deliveries/{_delivery(w)}/redeliver"),
        OWN_ONLY | {"owner": 202},
    ),
    ("GET", "/api/v1/usage"): Case(lambda w, c, r: c.get("/api/v1/usage"), ANY_USER),
    ("POST", "/api/v1/schemas"): Case(
        lambda w, c, r: c.post(
            "/api/v1/schemas", json={"name": f"{r} {uuid.uuid4().hex[:8]}", "fields": SCHEMA_FIELDS}
        ),
        {"owner": 201, "editor": 201, "viewer": 201, "stranger": 201, "anonymous": 401},
    ),
    ("GET", "/api/v1/schemas"): Case(lambda w, c, r: c.get("/api/v1/schemas"), ANY_USER),
    ("GET", "/api/v1/schemas/{schema_id}"): Case(
        lambda w, c, r: c.get(f"/api/v1/schemas/{_schema(w)}"), READ
    ),
    ("GET", "/api/v1/schemas/{schema_id}/versions"): Case(
        lambda w, c, r: c.get(f"/api/v1/schemas/{_schema(w)}/versions"), READ
    ),
    ("PUT", "/api/v1/schemas/{schema_id}"): Case(
        lambda w, c, r: c.put(
            f"/api/v1/schemas/{_schema(w)}",
            json={"name": f"matrix by {r}", "fields": [{"name": f"{r} total", "type": "money"}]},
        ),
        {"owner": 200, "editor": 200, "viewer": 403, "stranger": 404, "anonymous": 401},
    ),
    ("DELETE", "/api/v1/schemas/{schema_id}"): Case(
        lambda w, c, r: c.delete(f"/api/v1/schemas/{_schema(w, fresh=True)}"),
        OWNER_ONLY | {"owner": 204},
        fresh=True,
    ),
    # Each role runs the owner's schema on its own new document (shared with editor and viewer).
    ("POST", "/api/v1/schemas/{schema_id}/runs"): Case(
        lambda w, c, r: c.post(
            f"/api/v1/schemas/{_schema(w)}/runs", json={"document_ids": [_doc(w, fresh=True)["id"]]}
        ),
        {"owner": 202, "editor": 202, "viewer": 403, "stranger": 404, "anonymous": 401},
        fresh=True,
    ),
    ("GET", "/api/v1/documents/{document_id}/extractions"): Case(
        lambda w, c, r: c.get(f"/api/v1/documents/{w.shared['id']}/extractions"),
        READ,  # type: ignore[attr-defined]
    ),
    ("PATCH", "/api/v1/documents/{document_id}/extractions/{schema_id}/fields/{field_name}"): Case(
        lambda w, c, r: c.patch(f"{_extraction(w)}/fields/total", json={"action": "confirm"}),
        {"owner": 200, "editor": 200, "viewer": 403, "stranger": 404, "anonymous": 401},
    ),
    ("POST", "/api/v1/documents/{document_id}/extractions/{schema_id}/reviewed"): Case(
        lambda w, c, r: c.post(f"{_extraction(w)}/reviewed"),
        {"owner": 200, "editor": 200, "viewer": 403, "stranger": 404, "anonymous": 401},
    ),
    ("GET", "/api/v1/reviews"): Case(lambda w, c, r: c.get("/api/v1/reviews"), ANY_USER),
    ("GET", "/api/v1/schemas/{schema_id}/export"): Case(
        lambda w, c, r: c.get(f"/api/v1/schemas/{_schema(w)}/export", params={"format": "csv"}), READ
    ),
    ("GET", "/api/v1/schemas/{schema_id}/grants"): Case(
        lambda w, c, r: c.get(f"/api/v1/schemas/{_schema(w)}/grants"), OWNER_ONLY | {"owner": 200}
    ),
    ("PUT", "/api/v1/schemas/{schema_id}/grants/{user_id}"): Case(
        lambda w, c, r: c.put(
            f"/api/v1/schemas/{_schema(w, fresh=True)}/grants/newcomer-{uuid.uuid4().hex[:6]}",
            json={"role": "viewer"},
        ),
        OWNER_ONLY | {"owner": 201},
        fresh=True,
    ),
    ("DELETE", "/api/v1/schemas/{schema_id}/grants/{user_id}"): Case(
        lambda w, c, r: c.delete(
            f"/api/v1/schemas/{_schema(w, fresh=True)}/grants/{w.users['viewer'].user_id}"
        ),
        OWNER_ONLY | {"owner": 204},
        fresh=True,
    ),
    ("GET", "/health/live"): Case(lambda w, c, r: c.get("/health/live"), PUBLIC),
    ("GET", "/health/ready"): Case(lambda w, c, r: c.get("/health/ready"), PUBLIC),
    ("GET", "/health/status"): Case(lambda w, c, r: c.get("/health/status"), PUBLIC),
    ("GET", "/health/metrics"): Case(lambda w, c, r: c.get("/health/metrics"), PUBLIC),
}


def test_every_route_has_an_entry(stack: Stack) -> None:
    spec = httpx.get(f"{stack.api_url}/openapi.json").json()
    routes = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    assert routes - MATRIX.keys() == set(), "add the new routes to MATRIX"
    assert MATRIX.keys() - routes == set(), "MATRIX names routes that no longer exist"


ALL_SCOPES = ["documents:read", "documents:write", "search", "webhooks"]
# The scope an API key needs for each route; None: any key; SESSION: no key at all (a person signs in).
SESSION = "session"
SCOPE_OF: dict[tuple[str, str], str | None] = {
    ("POST", "/api/v1/auth/dev-token"): None,
    ("GET", "/api/v1/auth/me"): None,
    ("GET", "/api/v1/pipeline"): None,
    ("GET", "/api/v1/usage"): None,
    ("POST", "/api/v1/schemas"): "documents:write",
    ("POST", "/api/v1/schemas/{schema_id}/runs"): "documents:write",
    ("GET", "/api/v1/documents/{document_id}/extractions"): "documents:read",
    (
        "PATCH",
        "/api/v1/documents/{document_id}/extractions/{schema_id}/fields/{field_name}",
    ): "documents:write",
    ("POST", "/api/v1/documents/{document_id}/extractions/{schema_id}/reviewed"): "documents:write",
    ("GET", "/api/v1/reviews"): "documents:read",
    ("GET", "/api/v1/schemas/{schema_id}/export"): "documents:read",
    ("GET", "/api/v1/schemas"): "documents:read",
    ("GET", "/api/v1/schemas/{schema_id}"): "documents:read",
    ("GET", "/api/v1/schemas/{schema_id}/versions"): "documents:read",
    ("PUT", "/api/v1/schemas/{schema_id}"): "documents:write",
    ("DELETE", "/api/v1/schemas/{schema_id}"): "documents:write",
    ("GET", "/api/v1/schemas/{schema_id}/grants"): "documents:read",
    ("PUT", "/api/v1/schemas/{schema_id}/grants/{user_id}"): "documents:write",
    ("DELETE", "/api/v1/schemas/{schema_id}/grants/{user_id}"): "documents:write",
    ("POST", "/api/v1/api-keys"): SESSION,
    ("GET", "/api/v1/api-keys"): SESSION,
    ("DELETE", "/api/v1/api-keys/{key_id}"): SESSION,
    ("POST", "/api/v1/documents"): "documents:write",
    ("GET", "/api/v1/documents"): "documents:read",
    ("POST", "/api/v1/batches"): "documents:write",
    ("GET", "/api/v1/batches"): "documents:read",
    ("GET", "/api/v1/batches/{batch_id}"): "documents:read",
    ("DELETE", "/api/v1/batches/{batch_id}"): "documents:write",
    ("GET", "/api/v1/documents/{document_id}"): "documents:read",
    ("DELETE", "/api/v1/documents/{document_id}"): "documents:write",
    ("POST", "/api/v1/documents/{document_id}/reprocess"): "documents:write",
    ("GET", "/api/v1/documents/{document_id}/pages"): "documents:read",
    ("GET", "/api/v1/documents/{document_id}/results"): "documents:read",
    ("GET", "/api/v1/documents/{document_id}/file"): "documents:read",
    ("GET", "/api/v1/documents/{document_id}/file-url"): "documents:read",
    ("GET", "/api/v1/documents/{document_id}/grants"): "documents:read",
    ("PUT", "/api/v1/documents/{document_id}/grants/{user_id}"): "documents:write",
    ("DELETE", "/api/v1/documents/{document_id}/grants/{user_id}"): "documents:write",
    ("GET", "/api/v1/jobs/{job_id}"): "documents:read",
    ("POST", "/api/v1/jobs/{job_id}/retry"): "documents:write",
    ("POST", "/api/v1/jobs/{job_id}/cancel"): "documents:write",
    ("GET", "/api/v1/search"): "search",
    ("GET", "/api/v1/events"): "documents:read",
    ("POST", "/api/v1/ask"): "search",
    ("GET", "/api/v1/conversations"): "search",
    ("GET", "/api/v1/conversations/{conversation_id}"): "search",
    ("DELETE", "/api/v1/conversations/{conversation_id}"): "search",
    ("POST", "/api/v1/webhooks"): "webhooks",
    ("GET", "/api/v1/webhooks"): "webhooks",
    ("GET", "/api/v1/webhooks/{webhook_id}"): "webhooks",
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): "webhooks",
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): "webhooks",
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): "webhooks",
    ("POST", "/api/v1/webhooks/{webhook_id}/test"): "webhooks",
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): "webhooks",
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}"): "webhooks",
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): "webhooks",
    ("GET", "/health/live"): None,
    ("GET", "/health/ready"): None,
    ("GET", "/health/status"): None,
    ("GET", "/health/metrics"): None,
}
# Routes that answer without a user: a key changes nothing there.
_PUBLIC_ROUTES = {route for route, case in MATRIX.items() if case.expected["anonymous"] != 401}


def test_every_route_names_the_scope_a_key_needs() -> None:
    assert SCOPE_OF.keys() == MATRIX.keys()


@pytest.mark.parametrize(
    "route",
    [r for r in MATRIX if SCOPE_OF[r] is not None],
    ids=[f"{m} {p}" for m, p in MATRIX if SCOPE_OF[(m, p)]],
)
def test_a_key_without_the_routes_scope_is_refused(
    world: World, stack: Stack, route: tuple[str, str]
) -> None:
    scope = SCOPE_OF[route]
    key = _api_key(world, [s for s in ALL_SCOPES if s != scope])
    world.reuse = True  # refused before acting: the shared document serves
    try:
        with httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {key['key']}"}) as robot:
            response = MATRIX[route].call(world, robot, "owner")
    finally:
        world.reuse = False
    world.owner.http.delete(f"/api/v1/api-keys/{key['id']}")  # a user's keys are limited in number
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_scope"


@pytest.mark.parametrize(
    "route",
    [r for r in MATRIX if SCOPE_OF[r] != SESSION and r not in _PUBLIC_ROUTES],
    ids=[f"{m} {p}" for m, p in MATRIX if SCOPE_OF[(m, p)] != SESSION and (m, p) not in _PUBLIC_ROUTES],
)
def test_a_key_with_the_scope_acts_as_its_owner(world: World, stack: Stack, route: tuple[str, str]) -> None:
    key = _api_key(world, [SCOPE_OF[route]] if SCOPE_OF[route] else ["documents:read"])
    with httpx.Client(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {key['key']}"}, timeout=60
    ) as robot:
        response = MATRIX[route].call(world, robot, "owner")
    world.owner.http.delete(f"/api/v1/api-keys/{key['id']}")
    assert response.status_code == MATRIX[route].expected["owner"], response.text


@pytest.mark.parametrize("route", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
@pytest.mark.parametrize("role", ROLES)
def test_who_may_call_what(world: World, route: tuple[str, str], role: str) -> None:
    case = MATRIX[route]
    response = case.call(world, world.clients[role], role)
    assert response.status_code == case.expected[role], (role, route, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"]


def test_lists_and_search_show_exactly_what_each_role_may_see(world: World) -> None:
    shared_id = world.shared["id"]  # type: ignore[attr-defined]
    for role, user in world.users.items():
        listed = [d["id"] for d in user.http.get("/api/v1/documents", params={"limit": 100}).json()["items"]]
        hits = [h["document_id"] for h in user.http.get("/api/v1/search", params={"q": WORD}).json()["items"]]
        visible = role in ("owner", "editor", "viewer")
        assert (shared_id in listed) is visible, role
        assert (shared_id in hits) is visible, role
    shared_view = (
        world.users["viewer"]
        .http.get("/api/v1/documents", params={"scope": "shared", "limit": 100})
        .json()["items"]
    )
    assert [d["role"] for d in shared_view if d["id"] == shared_id] == ["viewer"]
    owned = world.users["viewer"].http.get("/api/v1/documents", params={"scope": "owned"}).json()["items"]
    assert shared_id not in [d["id"] for d in owned]


def test_a_revoked_grant_takes_effect_at_once(world: World) -> None:
    document = world.fresh_document()
    viewer = world.users["viewer"]
    path = f"/api/v1/documents/{document['id']}"
    etag = viewer.http.get(path).headers["ETag"]
    assert world.owner.http.delete(f"{path}/grants/{viewer.user_id}").status_code == 204
    assert viewer.http.get(path, headers={"If-None-Match": etag}).status_code == 404
    grants = world.owner.http.get(f"{path}/grants").json()["items"]
    assert [(g["user_id"], g["role"]) for g in grants] == [(world.users["editor"].user_id, "editor")]


def test_promotion_changes_the_etag_and_the_rights(world: World) -> None:
    document = world.fresh_document()
    viewer = world.users["viewer"]
    path = f"/api/v1/documents/{document['id']}"
    before = viewer.http.get(path)
    assert before.json()["role"] == "viewer"
    promoted = world.owner.http.put(f"{path}/grants/{viewer.user_id}", json={"role": "editor"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "editor"
    after = viewer.http.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.json()["role"] == "editor"
    assert viewer.http.post(f"/api/v1/jobs/{_job(document, 'ai')}/retry").status_code == 202


def test_grants_are_validated(world: World) -> None:
    path = f"/api/v1/documents/{world.shared['id']}/grants"  # type: ignore[attr-defined]
    assert world.owner.http.put(f"{path}/someone", json={"role": "owner"}).status_code == 422
    assert (
        world.owner.http.put(f"{path}/{world.owner.user_id}", json={"role": "viewer"}).json()["code"]
        == "grant_to_owner"
    )
    assert (
        world.owner.http.delete(f"{path}/nobody-{uuid.uuid4().hex[:6]}").json()["code"] == "grant_not_found"
    )


def test_denied_access_leaves_a_security_event(world: World, stack: Stack) -> None:
    import time

    log = stack.data_dir / "logs" / "api.log"
    stranger, viewer = world.users["stranger"], world.users["viewer"]

    def events(user: ApiUser) -> list[str]:
        text = log.read_text()
        return [
            line
            for line in text.splitlines()
            if "security event access_denied" in line and user.user_id in line
        ]

    def settle(user: ApiUser, expected: int) -> list[str]:
        deadline = time.monotonic() + 10
        while len(found := events(user)) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        return found

    document = world.shared  # type: ignore[attr-defined]
    before_stranger, before_viewer = len(events(stranger)), len(events(viewer))
    assert stranger.http.get(f"/api/v1/documents/{document['id']}").status_code == 404
    assert viewer.http.post(f"/api/v1/jobs/{_job(document, 'ai')}/retry").status_code == 403
    assert "document_not_found" in settle(stranger, before_stranger + 1)[-1]
    assert "insufficient_role" in settle(viewer, before_viewer + 1)[-1]
    # A document that does not exist is a plain 404, not an access attempt.
    assert stranger.http.get(f"/api/v1/documents/{uuid.uuid4()}").status_code == 404
    time.sleep(1)
    assert len(events(stranger)) == before_stranger + 1
