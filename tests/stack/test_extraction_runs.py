"""Running schemas on the real workers: a run extracts a schema's fields from a document (a job of its
own kind on the ai queue) with verbatim evidence; a schema attached to a label is applied to every
document its owner's classification gives that label; editing a schema makes the next extraction use
the new version; another user sees none of it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from testkit import documents
from testkit.extraction_set import extraction_set
from testkit.webhooks import Receiver
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

INVOICE = next(doc for doc in extraction_set(per_layout=1) if doc.layout == "labels")
FIELDS = [
    {"name": "invoice number", "type": "text", "description": "the invoice's own number or reference"},
    {"name": "invoice date", "type": "date", "description": "the date the invoice was issued"},
    {"name": "total amount", "type": "money", "description": "the gross total to pay, tax included"},
    {
        "name": "purchase order number",
        "type": "text",
        "description": "the customer's purchase order reference",
    },
    {
        "name": "delivery method",
        "type": "enum",
        "description": "how the goods were sent",
        "values": ["courier", "pigeon"],
    },
]


def _schema(user: ApiUser, name: str, fields: list[dict[str, Any]] = FIELDS, **extra: object) -> dict:
    made = user.http.post("/api/v1/schemas", json={"name": name, "fields": fields, **extra})
    assert made.status_code == 201, made.text
    return made.json()


def _upload_invoice(user: ApiUser, salt: str = "") -> str:
    pages = [INVOICE.pages[0] + (f"\nNote: {salt}" if salt else ""), *INVOICE.pages[1:]]
    uploaded = user.upload(f"{INVOICE.name}.pdf", documents.text_pdf(pages))
    assert uploaded.status_code == 202, uploaded.text
    document_id = uploaded.json()["id"]
    assert user.wait_for(document_id)["status"] == "ready"
    return document_id


def _extractions(user: ApiUser, document_id: str, count: int = 1, timeout: float = 120) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document = user.wait_for(document_id)
        items = user.http.get(f"/api/v1/documents/{document_id}/extractions").json()["items"]
        if document["status"] == "ready" and len(items) >= count:
            return items
        time.sleep(0.5)
    raise AssertionError(f"no extraction for {document_id} within {timeout} s")


def test_a_run_extracts_the_schemas_fields_with_verbatim_evidence(user: ApiUser) -> None:
    schema = _schema(user, f"Invoices {uuid.uuid4().hex[:6]}")
    document_id = _upload_invoice(user, uuid.uuid4().hex)
    assert user.http.get(f"/api/v1/documents/{document_id}/extractions").json()["items"] == []

    run = user.http.post(f"/api/v1/schemas/{schema['id']}/runs", json={"document_ids": [document_id]})
    assert run.status_code == 202, run.text
    (job,) = run.json()["jobs"]
    assert job["kind"] == "schemas" and run.json()["waiting"] == []

    (extraction,) = _extractions(user, document_id)
    assert extraction["schema_id"] == schema["id"] and extraction["version"] == 1
    assert extraction["provider"] == "local" and extraction["model"].startswith("patterns+")
    fields = {field["name"]: field for field in extraction["fields"]}
    assert [f["name"] for f in extraction["fields"]] == [f["name"] for f in FIELDS]
    truth = INVOICE.truth
    assert fields["invoice number"]["value"] == truth["invoice number"]
    assert fields["total amount"]["value"] == truth["total amount"]
    assert fields["invoice date"]["value"] == truth["invoice date"]
    assert fields["delivery method"]["status"] == "not_found" and fields["delivery method"]["value"] is None
    pages = {
        page["page_no"]: page["text"]
        for page in user.http.get(f"/api/v1/documents/{document_id}/pages").json()["items"]
    }
    for field in extraction["fields"]:
        assert 0 <= field["confidence"] <= 1
        for evidence in field["evidence"]:
            assert evidence["quote"] and evidence["quote"] in pages[evidence["page_no"]], field
    assert any(field["evidence"] for field in extraction["fields"])
    jobs = user.http.get(f"/api/v1/documents/{document_id}").json()["jobs"]
    assert [j["kind"] for j in jobs if j["kind"] == "schemas"] == ["schemas"]


def test_a_schema_attached_to_a_label_is_applied_to_documents_classified_with_it(user: ApiUser) -> None:
    document_id = _upload_invoice(user, uuid.uuid4().hex)
    label = user.http.get(f"/api/v1/documents/{document_id}/results").json()["classification"]["label"]
    schema = _schema(user, f"By label {uuid.uuid4().hex[:6]}", apply_to_label=label)

    # Classified again (a reprocess): the schema of its label follows without being asked for.
    assert user.http.post(f"/api/v1/documents/{document_id}/reprocess").status_code == 202
    (extraction,) = _extractions(user, document_id)
    assert extraction["schema_id"] == schema["id"]
    kinds = [job["kind"] for job in user.http.get(f"/api/v1/documents/{document_id}").json()["jobs"]]
    assert kinds.count("schemas") == 1


def test_an_edited_schema_is_read_at_its_new_version_by_the_next_run(user: ApiUser) -> None:
    schema = _schema(user, f"Versions {uuid.uuid4().hex[:6]}")
    document_id = _upload_invoice(user, uuid.uuid4().hex)
    user.http.post(f"/api/v1/schemas/{schema['id']}/runs", json={"document_ids": [document_id]})
    assert _extractions(user, document_id)[0]["version"] == 1

    edited = user.http.put(
        f"/api/v1/schemas/{schema['id']}", json={"name": schema["name"], "fields": FIELDS[:2]}
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    user.http.post(f"/api/v1/schemas/{schema['id']}/runs", json={"document_ids": [document_id]})
    deadline = time.monotonic() + 120
    while (extraction := _extractions(user, document_id)[0])["version"] != 2:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert [f["name"] for f in extraction["fields"]] == ["invoice number", "invoice date"]


def test_runs_and_results_respect_who_may_see_what(user_factory) -> None:
    owner, viewer, stranger = user_factory(None), user_factory(None), user_factory(None)
    schema = _schema(owner, f"Private {uuid.uuid4().hex[:6]}")
    document_id = _upload_invoice(owner, uuid.uuid4().hex)
    granted = owner.http.put(
        f"/api/v1/documents/{document_id}/grants/{viewer.user_id}", json={"role": "viewer"}
    )
    assert granted.status_code == 201
    owner.http.post(f"/api/v1/schemas/{schema['id']}/runs", json={"document_ids": [document_id]})
    assert len(_extractions(owner, document_id)) == 1

    assert len(viewer.http.get(f"/api/v1/documents/{document_id}/extractions").json()["items"]) == 1
    hidden = stranger.http.get(f"/api/v1/documents/{document_id}/extractions")
    assert hidden.status_code == 404
    # The schema is not theirs to use, the document not theirs to extract.
    for client in (viewer, stranger):
        refused = client.http.post(
            f"/api/v1/schemas/{schema['id']}/runs", json={"document_ids": [document_id]}
        )
        assert refused.status_code == 404, refused.text
    own = _schema(viewer, f"Viewer's {uuid.uuid4().hex[:6]}")
    refused = viewer.http.post(f"/api/v1/schemas/{own['id']}/runs", json={"document_ids": [document_id]})
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_role"
    nothing = owner.http.post(f"/api/v1/schemas/{schema['id']}/runs", json={})
    assert nothing.status_code == 400 and nothing.json()["code"] == "no_documents"


def test_a_completed_extraction_is_announced_to_webhooks_without_its_values(user: ApiUser) -> None:
    receiver = Receiver()
    try:
        hook = user.http.post(
            "/api/v1/webhooks", json={"url": receiver.url, "events": ["extraction.completed"]}
        )
        assert hook.status_code == 201, hook.text
        schema = _schema(user, f"Announced {uuid.uuid4().hex[:6]}")
        document_id = _upload_invoice(user, uuid.uuid4().hex)
        user.http.post(f"/api/v1/schemas/{schema['id']}/runs", json={"document_ids": [document_id]})
        (extraction,) = _extractions(user, document_id)

        (request,) = receiver.wait_for(1)
        payload = json.loads(request["body"])
        assert payload["type"] == "extraction.completed"
        assert payload["data"]["document_id"] == document_id
        (announced,) = payload["data"]["schemas"]
        assert announced == {
            "schema_id": schema["id"],
            "version": 1,
            "needs_review": extraction["needs_review"],
        }
        assert INVOICE.truth["invoice number"].encode() not in request["body"], "values are read with the API"
    finally:
        receiver.stop()


def test_a_run_by_label_extracts_the_callers_documents_with_that_label_and_no_others(user_factory) -> None:
    owner, neighbour = user_factory(None), user_factory(None)
    invoice_id = _upload_invoice(owner, uuid.uuid4().hex)
    label = owner.http.get(f"/api/v1/documents/{invoice_id}/results").json()["classification"]["label"]
    letter = owner.upload(
        "letter.pdf",
        documents.text_pdf(
            [
                "Dear Ms Okafor,\nthank you for your kind letter of last week. We were delighted to hear from "
                "you and hope to visit the museum together in the spring.\nWith warm regards,\nPeter"
            ]
        ),
    ).json()["id"]
    assert owner.wait_for(letter)["status"] == "ready"
    assert owner.http.get(f"/api/v1/documents/{letter}/results").json()["classification"]["label"] != label
    neighbours_invoice = _upload_invoice(neighbour, uuid.uuid4().hex)
    schema = _schema(owner, f"By label run {uuid.uuid4().hex[:6]}")

    run = owner.http.post(f"/api/v1/schemas/{schema['id']}/runs", json={"label": label})
    assert run.status_code == 202, run.text
    assert [job["document_id"] for job in run.json()["jobs"]] == [invoice_id]
    (extraction,) = _extractions(owner, invoice_id)
    assert extraction["schema_id"] == schema["id"]
    assert owner.http.get(f"/api/v1/documents/{letter}/extractions").json()["items"] == []
    theirs = neighbour.http.get(f"/api/v1/documents/{neighbours_invoice}/extractions").json()["items"]
    assert theirs == []
