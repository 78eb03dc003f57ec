"""API keys on the running product: made by a person signed in and shown once, used as
`Authorization: Bearer wo_...` within their scopes, listed without secrets, and refused at once when
revoked or expired. Which route needs which scope is checked for every route in test_access_matrix."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import httpx
import pytest

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack


def make_key(user: ApiUser, scopes: list[str], **body: object) -> dict:
    response = user.http.post("/api/v1/api-keys", json={"name": "robot", "scopes": scopes, **body})
    assert response.status_code == 201, response.text
    return response.json()


def as_key(stack: Stack, key: str) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def test_a_key_is_shown_once_and_acts_as_its_user_within_its_scopes(stack: Stack, user: ApiUser) -> None:
    document_id = user.upload("notes.txt", make.txt(f"Key notes {uuid.uuid4()}")).json()["id"]
    made = make_key(user, ["documents:read"])
    assert made["key"].startswith("wo_") and len(made["key"]) > 40
    assert made["prefix"] == made["key"][:11] and made["scopes"] == ["documents:read"]

    listed = user.http.get("/api/v1/api-keys").json()["items"]
    assert [k["id"] for k in listed] == [made["id"]] and "key" not in listed[0]
    assert listed[0]["last_used_at"] is None

    with as_key(stack, made["key"]) as robot:
        assert robot.get(f"/api/v1/documents/{document_id}").status_code == 200
        assert robot.get("/api/v1/auth/me").json()["subject"] == user.user_id
        refused = robot.post("/api/v1/documents", files={"file": ("x.txt", b"robot upload")})
        assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
        assert refused.json()["required"] == ["documents:write"]
        assert robot.get("/api/v1/search", params={"q": "notes"}).json()["code"] == "insufficient_scope"
        # A key never manages keys, whatever its scopes.
        assert robot.get("/api/v1/api-keys").json()["code"] == "insufficient_scope"
    assert user.http.get("/api/v1/api-keys").json()["items"][0]["last_used_at"] is not None


def test_a_revoked_key_is_refused_at_once(stack: Stack, user: ApiUser) -> None:
    made = make_key(user, ["documents:read", "search"])
    with as_key(stack, made["key"]) as robot:
        assert robot.get("/api/v1/documents").status_code == 200
        assert user.http.delete(f"/api/v1/api-keys/{made['id']}").status_code == 204
        refused = robot.get("/api/v1/documents")
        assert refused.status_code == 401 and refused.json()["code"] == "api_key_revoked"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert user.http.get("/api/v1/api-keys").json()["items"] == []
    assert user.http.delete(f"/api/v1/api-keys/{made['id']}").status_code == 404
    log = (stack.data_dir / "logs" / "api.log").read_text(errors="replace")
    assert "security event auth_failed: api_key_revoked" in log
    assert made["key"] not in log  # the key itself is never written down


def test_an_expired_or_unknown_key_is_refused(stack: Stack, user: ApiUser) -> None:
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).isoformat()
    made = make_key(user, ["documents:read"], expires_at=soon)
    time.sleep(3)
    with as_key(stack, made["key"]) as robot:
        assert robot.get("/api/v1/documents").json()["code"] == "api_key_expired"
    with as_key(stack, "wo_" + "A" * 43) as stranger:
        response = stranger.get("/api/v1/documents")
        assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


def test_someone_elses_key_cannot_be_seen_or_revoked(user_factory) -> None:
    owner, other = user_factory(None), user_factory(None)
    made = make_key(owner, ["search"])
    assert other.http.get("/api/v1/api-keys").json()["items"] == []
    response = other.http.delete(f"/api/v1/api-keys/{made['id']}")
    assert response.status_code == 404 and response.json()["code"] == "api_key_not_found"
    assert [k["id"] for k in owner.http.get("/api/v1/api-keys").json()["items"]] == [made["id"]]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "x", "scopes": []}, "validation_error"),
        ({"name": "x", "scopes": ["admin"]}, "validation_error"),
        ({"name": "   ", "scopes": ["search"]}, "validation_error"),
        ({"name": "x" * 101, "scopes": ["search"]}, "validation_error"),
        ({"name": "x", "scopes": ["search"], "expires_at": "2030-01-01T00:00:00"}, "validation_error"),
        ({"name": "x", "scopes": ["search"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_in_past"),
    ],
)
def test_a_bad_key_request_is_a_problem(user: ApiUser, body: dict, code: str) -> None:
    response = user.http.post("/api/v1/api-keys", json=body)
    assert response.status_code in (400, 422) and response.json()["code"] == code, response.text
    assert user.http.get("/api/v1/api-keys").json()["items"] == []
