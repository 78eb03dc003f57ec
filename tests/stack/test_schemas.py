"""Extraction schemas on the running product: defined, read, versioned by edits (older versions stay
readable), listed with the caller's role, shared like documents, deleted; a bad definition is a 422
problem naming the field. Which route each role and key scope may call is in test_access_matrix."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

FIELDS: list[dict[str, Any]] = [
    {"name": "invoice number", "type": "text", "description": "the supplier's reference", "required": True},
    {"name": "net amount", "type": "money"},
    {
        "name": "line items",
        "type": "list",
        "fields": [{"name": "description", "type": "text"}, {"name": "quantity", "type": "number"}],
    },
]


def create(user: ApiUser, **body: Any) -> dict:
    response = user.http.post(
        "/api/v1/schemas", json={"name": f"Invoices {uuid.uuid4().hex[:6]}", "fields": FIELDS} | body
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_editing_makes_a_version_and_the_old_one_stays_readable(user: ApiUser) -> None:
    made = create(user, name="Supplier invoices", apply_to_label="Invoice")
    assert made["version"] == made["current_version"] == 1 and made["role"] == "owner"
    assert made["apply_to_label"] == "invoice" and made["review_threshold"] == 0.6
    assert [f["name"] for f in made["fields"]] == ["invoice number", "net amount", "line items"]
    assert made["fields"][2]["fields"][1] == {
        "name": "quantity", "type": "number", "description": "", "required": False, "values": None, "fields": None,
    }  # fmt: skip
    path = f"/api/v1/schemas/{made['id']}"
    assert user.http.get(path).json() == made

    changed = [*FIELDS, {"name": "status", "type": "enum", "values": ["open", "paid"]}]
    edited = user.http.put(
        path, json={"name": "Supplier invoices", "fields": changed, "review_threshold": 0.8}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["review_threshold"] == 0.8
    assert edited.json()["apply_to_label"] is None  # a replacement: what is not sent is gone

    first = user.http.get(path, params={"version": 1}).json()
    assert first["version"] == 1 and first["current_version"] == 2
    assert len(first["fields"]) == 3 and first["review_threshold"] == 0.6
    assert len(user.http.get(path).json()["fields"]) == 4

    # A new name alone changes the schema, not its definition.
    renamed = user.http.put(
        path, json={"name": "Invoices", "fields": changed, "review_threshold": 0.8}
    ).json()
    assert renamed["name"] == "Invoices" and renamed["version"] == 2

    versions = user.http.get(f"{path}/versions").json()["items"]
    assert [(v["version"], v["field_count"], v["created_by"]) for v in versions] == [
        (2, 4, user.user_id),
        (1, 3, user.user_id),
    ]
    missing = user.http.get(path, params={"version": 3})
    assert missing.status_code == 404 and missing.json()["code"] == "schema_version_not_found"


def test_the_list_shows_own_and_shared_schemas_with_the_callers_role(user_factory) -> None:
    owner, reader = user_factory(None), user_factory(None)
    shared = create(owner, name="B shared")
    mine = create(reader, name="A mine")
    assert (
        owner.http.put(
            f"/api/v1/schemas/{shared['id']}/grants/{reader.user_id}", json={"role": "viewer"}
        ).status_code
        == 201
    )
    listed = reader.http.get("/api/v1/schemas").json()
    assert [(s["id"], s["role"], s["field_count"]) for s in listed["items"]] == [
        (mine["id"], "owner", 3),
        (shared["id"], "viewer", 3),
    ]
    first = reader.http.get("/api/v1/schemas", params={"limit": 1}).json()
    assert [s["id"] for s in first["items"]] == [mine["id"]] and first["next_cursor"]
    rest = reader.http.get("/api/v1/schemas", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [s["id"] for s in rest["items"]] == [shared["id"]] and rest["next_cursor"] is None
    assert [s["id"] for s in owner.http.get("/api/v1/schemas").json()["items"]] == [shared["id"]]


def test_sharing_gives_viewers_and_editors_their_rights_and_strangers_nothing(user_factory) -> None:
    owner, editor, viewer, stranger = (user_factory(None) for _ in range(4))
    made = create(owner)
    path = f"/api/v1/schemas/{made['id']}"
    for who, role in ((editor, "editor"), (viewer, "viewer")):
        assert owner.http.put(f"{path}/grants/{who.user_id}", json={"role": role}).status_code == 201
    body = {"name": made["name"], "fields": FIELDS[:2]}

    assert viewer.http.get(path).json()["role"] == "viewer"
    refused = viewer.http.put(path, json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_role"
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert viewer.http.delete(path).status_code == 403

    edited = editor.http.put(path, json=body)
    assert edited.status_code == 200 and edited.json()["version"] == 2 and edited.json()["role"] == "editor"
    assert editor.http.delete(path).status_code == 403
    assert editor.http.get(f"{path}/grants").status_code == 403

    for call in (stranger.http.get(path), stranger.http.put(path, json=body), stranger.http.delete(path)):
        assert call.status_code == 404 and call.json()["code"] == "schema_not_found"
    assert stranger.http.get(f"{path}/versions").status_code == 404
    assert stranger.http.get(f"/api/v1/schemas/{uuid.uuid4()}").json()["code"] == "schema_not_found"

    grants = owner.http.get(f"{path}/grants").json()["items"]
    assert sorted((g["user_id"], g["role"]) for g in grants) == sorted(
        [(editor.user_id, "editor"), (viewer.user_id, "viewer")]
    )
    promoted = owner.http.put(f"{path}/grants/{viewer.user_id}", json={"role": "editor"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "editor"
    assert owner.http.delete(f"{path}/grants/{viewer.user_id}").status_code == 204
    assert viewer.http.get(path).status_code == 404
    assert owner.http.delete(f"{path}/grants/{viewer.user_id}").json()["code"] == "grant_not_found"
    assert owner.http.put(f"{path}/grants/{owner.user_id}", json={"role": "viewer"}).json()["code"] == (
        "grant_to_owner"
    )
    assert owner.http.put(f"{path}/grants/someone", json={"role": "owner"}).status_code == 422


def test_deleting_a_schema_takes_its_versions_and_grants(user_factory) -> None:
    owner, viewer = user_factory(None), user_factory(None)
    made = create(owner)
    path = f"/api/v1/schemas/{made['id']}"
    owner.http.put(f"{path}/grants/{viewer.user_id}", json={"role": "viewer"})
    assert owner.http.delete(path).status_code == 204
    for who in (owner, viewer):
        assert who.http.get(path).status_code == 404
        assert who.http.get(f"{path}/versions").status_code == 404
        assert who.http.get("/api/v1/schemas").json()["items"] == []
    assert owner.http.delete(path).status_code == 404
    create(owner, name=made["name"])  # the name is free again


def test_a_name_is_unique_per_owner_ignoring_case(user_factory) -> None:
    owner, other = user_factory(None), user_factory(None)
    create(owner, name="Receipts")
    taken = owner.http.post("/api/v1/schemas", json={"name": "receipts", "fields": FIELDS})
    assert taken.status_code == 409 and taken.json()["code"] == "schema_name_taken"
    create(other, name="Receipts")
    second = create(owner, name="Claims")
    renamed = owner.http.put(f"/api/v1/schemas/{second['id']}", json={"name": "RECEIPTS", "fields": FIELDS})
    assert renamed.status_code == 409


@pytest.mark.parametrize(
    ("fields", "loc", "words"),
    [
        (
            [{"name": "Total", "type": "money"}, {"name": "total", "type": "money"}],
            ["body", "fields"],
            "'total'",
        ),
        ([{"name": " ", "type": "text"}], ["body", "fields", 0, "name"], "at least 1 character"),
        ([{"name": "amount", "type": "currency"}], ["body", "fields", 0, "type"], "'amount'"),
        ([{"name": "status", "type": "enum"}], ["body", "fields", 0, "values"], "'status'"),
        ([{"name": "note", "type": "text", "values": ["a"]}], ["body", "fields", 0, "values"], "'note'"),
        ([{"name": "lines", "type": "list"}], ["body", "fields", 0, "fields"], "'lines'"),
        (
            [{"name": "lines", "type": "list", "fields": [{"name": "sub", "type": "list"}]}],
            ["body", "fields", 0, "fields", 0, "type"],
            "'sub' cannot be a list",
        ),
        ([{"name": f"f{i}", "type": "text"} for i in range(101)], ["body", "fields"], "at most 100"),
        ([], ["body", "fields"], "at least 1"),
    ],
)
def test_a_bad_definition_is_a_problem_naming_the_field(
    user: ApiUser, fields: list[dict[str, Any]], loc: list[Any], words: str
) -> None:
    response = user.http.post("/api/v1/schemas", json={"name": "Bad", "fields": fields})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert any(e["loc"] == loc and words in e["msg"] for e in problem["errors"]), problem["errors"]
    assert user.http.get("/api/v1/schemas").json()["items"] == []


def test_apply_to_label_must_be_a_label_the_deployment_knows(user: ApiUser) -> None:
    response = user.http.post(
        "/api/v1/schemas", json={"name": "Menus", "fields": FIELDS, "apply_to_label": "menu"}
    )
    assert response.status_code == 422 and response.headers["content-type"].startswith(
        "application/problem+json"
    )
    problem = response.json()
    assert problem["code"] == "unknown_label" and "invoice" in problem["labels"]
    assert problem["errors"][0]["loc"] == ["body", "apply_to_label"]
    made = create(user, apply_to_label="receipt")
    edit = {"name": made["name"], "fields": FIELDS, "apply_to_label": "menu"}
    assert user.http.put(f"/api/v1/schemas/{made['id']}", json=edit).json()["code"] == "unknown_label"
    assert user.http.get(f"/api/v1/schemas/{made['id']}").json()["apply_to_label"] == "receipt"
