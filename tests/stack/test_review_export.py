"""Reviewing extracted values, the review queue and exports, against the real stack.

Results are written straight into the database for documents the test uploads (a current job of the
schemas kind with its result), so each field's state is known: what a review and an export do with it
does not depend on what an extractor happens to find.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

FIELDS = [
    {"name": "supplier", "type": "text"},
    {"name": "total", "type": "money"},
    {"name": "due date", "type": "date"},
    {"name": "paid", "type": "boolean"},
    {"name": "terms", "type": "enum", "values": ["net 30", "net 60"]},
    {
        "name": "lines",
        "type": "list",
        "fields": [{"name": "item", "type": "text"}, {"name": "qty", "type": "number"}],
    },
]


def _found(name: str, value: Any, confidence: float, status: str, raw: str | None = None) -> dict:
    quote = raw or (json.dumps(value) if value is not None else None)
    evidence = [{"page_no": 1, "quote": quote, "bbox": None}] if quote else []
    return {
        "name": name,
        "value": value,
        "confidence": confidence,
        "status": status,
        "evidence": evidence,
        "raw": raw,
    }


FOUND = [
    _found("supplier", '=HYPERLINK("http://evil")', 0.9, "found", "=HYPERLINK"),
    _found("total", {"amount": "100.00", "currency": "EUR"}, 0.3, "needs_review", "EUR 100"),
    _found("due date", None, 0.0, "not_found"),
    _found("paid", True, 0.8, "found", "paid: yes"),
    _found("terms", None, 0.5, "needs_review", "net thirty"),
    _found("lines", [{"item": "Bolts", "qty": 2.0}], 0.9, "found", "Bolts 2"),
]


def _extracted(engine: Engine, document_id: str, schema_id: str, fields: list[dict] = FOUND) -> None:
    """The document's current extraction with the schema (version 1), as a job of the schemas kind
    leaves it."""
    job_id = uuid.uuid4()
    with engine.begin() as db:
        db.execute(
            text("UPDATE jobs SET current = false WHERE document_id = :d AND kind = 'schemas' AND current"),
            {"d": document_id},
        )
        db.execute(
            text(
                "INSERT INTO jobs (id, document_id, run_id, kind, queue, status, current, max_attempts, "
                "progress, finished_at) VALUES (:id, :d, :run, 'schemas', 'ai', 'succeeded', true, 3, 1, now())"
            ),
            {"id": job_id, "d": document_id, "run": uuid.uuid4()},
        )
        db.execute(
            text(
                "INSERT INTO extraction_results (job_id, schema_id, document_id, schema_version, provider, "
                "model, fields) VALUES (:job, :schema, :d, 1, 'local', 'patterns', CAST(:fields AS jsonb))"
            ),
            {"job": job_id, "schema": schema_id, "d": document_id, "fields": json.dumps(fields)},
        )


def _document(owner: ApiUser, shared: dict[str, ApiUser] | None = None, name: str = "invoice.txt") -> str:
    uploaded = owner.upload(name, make.txt(f"Invoice {uuid.uuid4()} from ACME, total EUR 100."))
    assert uploaded.status_code == 202, uploaded.text
    document_id = uploaded.json()["id"]
    for role, user in (shared or {}).items():
        granted = owner.http.put(
            f"/api/v1/documents/{document_id}/grants/{user.user_id}", json={"role": role}
        )
        assert granted.status_code == 201, granted.text
    assert owner.wait_for(document_id)["status"] == "ready"
    return document_id


def _schema(owner: ApiUser, name: str | None = None) -> dict:
    made = owner.http.post(
        "/api/v1/schemas", json={"name": name or f"Invoices {uuid.uuid4().hex[:6]}", "fields": FIELDS}
    )
    assert made.status_code == 201, made.text
    return made.json()


def _field(extraction: dict, name: str) -> dict:
    return next(field for field in extraction["fields"] if field["name"] == name)


@pytest.fixture(scope="module")
def people(user_factory) -> dict[str, ApiUser]:
    return {
        role: user_factory(f"review-{role}-{uuid.uuid4().hex[:6]}")
        for role in ("owner", "editor", "viewer", "stranger")
    }


def test_correct_and_confirm_keep_the_found_value_and_the_history(
    people: dict[str, ApiUser], engine: Engine
) -> None:
    owner, editor = people["owner"], people["editor"]
    schema = _schema(owner)
    document_id = _document(owner, {"editor": editor, "viewer": people["viewer"]})
    _extracted(engine, document_id, schema["id"])
    path = f"/api/v1/documents/{document_id}/extractions/{schema['id']}/fields"

    corrected = editor.http.patch(f"{path}/total", json={"action": "correct", "value": "1.234,50 €"})
    assert corrected.status_code == 200, corrected.text
    total = _field(corrected.json(), "total")
    assert total["status"] == "corrected"
    assert total["value"] == {"amount": "1234.50", "currency": "EUR"}
    assert total["found_value"] == {"amount": "100.00", "currency": "EUR"}
    assert total["reviewed_at"] and total["reviewed_by"] == editor.user_id  # who, as people know them
    again = owner.http.patch(
        f"{path}/total", json={"action": "correct", "value": {"amount": "1200", "currency": "usd"}}
    )
    assert _field(again.json(), "total")["value"] == {"amount": "1200.00", "currency": "USD"}

    confirmed = owner.http.patch(f"{path}/paid", json={"action": "confirm"})
    assert _field(confirmed.json(), "paid")["status"] == "confirmed"
    assert _field(confirmed.json(), "paid")["value"] is True
    absent = owner.http.patch(f"{path}/due%20date", json={"action": "correct", "value": None})
    assert _field(absent.json(), "due date") | {"status": "corrected", "value": None} == _field(
        absent.json(), "due date"
    )
    rows = owner.http.patch(
        f"{path}/lines", json={"action": "correct", "value": [{"item": "Nuts", "qty": "3"}]}
    )
    assert _field(rows.json(), "lines")["value"] == [{"item": "Nuts", "qty": 3.0}]

    # What the document shows everywhere is the same view.
    listed = owner.http.get(f"/api/v1/documents/{document_id}/extractions")
    if listed.status_code == 200:
        shown = next(item for item in listed.json()["items"] if item["schema_id"] == schema["id"])
        assert _field(shown, "total")["value"] == {"amount": "1200.00", "currency": "USD"}

    with engine.connect() as db:
        stored = db.execute(
            text("SELECT fields FROM extraction_results WHERE document_id = :d"), {"d": document_id}
        ).scalar_one()
        history = db.execute(
            text(
                "SELECT r.action, r.value, u.subject FROM extraction_reviews r JOIN users u ON u.id = r.user_id "
                "WHERE r.document_id = :d AND r.field = 'total' ORDER BY r.id"
            ),
            {"d": document_id},
        ).all()
    assert stored == FOUND  # the machine's word is never rewritten
    assert [(action, value, who) for action, value, who in history] == [
        ("corrected", {"amount": "1234.50", "currency": "EUR"}, editor.user_id),
        ("corrected", {"amount": "1200.00", "currency": "USD"}, owner.user_id),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total", "a lot"),
        ("total", {"amount": "12", "currency": "XXY"}),
        ("due date", "2026-02-30"),
        ("paid", "perhaps"),
        ("terms", "net 90"),
        ("supplier", 12),
        ("lines", [{"colour": "red"}]),
    ],
)
def test_a_value_not_of_the_fields_type_is_refused(
    people: dict[str, ApiUser], engine: Engine, field: str, value: Any
) -> None:
    owner = people["owner"]
    schema = _schema(owner)
    document_id = _document(owner)
    _extracted(engine, document_id, schema["id"])
    refused = owner.http.patch(
        f"/api/v1/documents/{document_id}/extractions/{schema['id']}/fields/{field}",
        json={"action": "correct", "value": value},
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "invalid_value"
    assert refused.json()["field"] == field


def test_who_may_review_and_what_must_exist(people: dict[str, ApiUser], engine: Engine) -> None:
    owner = people["owner"]
    schema = _schema(owner)
    document_id = _document(owner, {"editor": people["editor"], "viewer": people["viewer"]})
    base = f"/api/v1/documents/{document_id}/extractions/{schema['id']}"
    confirm = {"action": "confirm"}
    assert owner.http.patch(f"{base}/fields/total", json=confirm).json()["code"] == "extraction_not_found"
    _extracted(engine, document_id, schema["id"])
    assert people["stranger"].http.patch(f"{base}/fields/total", json=confirm).status_code == 404
    assert people["stranger"].http.post(f"{base}/reviewed").status_code == 404
    assert people["viewer"].http.patch(f"{base}/fields/total", json=confirm).status_code == 403
    assert people["viewer"].http.post(f"{base}/reviewed").status_code == 403
    missing = owner.http.patch(f"{base}/fields/colour", json=confirm)
    assert (missing.status_code, missing.json()["code"]) == (404, "field_not_found")
    assert owner.http.patch(f"{base}/fields/TOTAL", json=confirm).status_code == 200  # names ignore case
    assert owner.http.patch(f"{base}/fields/total", json={"action": "delete"}).status_code == 422


def test_the_queue_shows_what_waits_and_drops_what_was_reviewed(
    people: dict[str, ApiUser], engine: Engine
) -> None:
    owner, editor, viewer = people["owner"], people["editor"], people["viewer"]
    schema = _schema(owner)
    other = _schema(owner)
    first = _document(owner, {"editor": editor, "viewer": viewer}, "first.txt")
    second = _document(owner, {"editor": editor, "viewer": viewer}, "second.txt")
    _extracted(engine, first, schema["id"])
    _extracted(engine, second, schema["id"])
    settled = [dict(field, status="found", confidence=0.99) for field in FOUND]
    quiet = _document(owner, {"editor": editor}, "quiet.txt")
    _extracted(engine, quiet, schema["id"], settled)

    def queue(user: ApiUser, **params: Any) -> list[dict]:
        answer = user.http.get("/api/v1/reviews", params={"schema_id": schema["id"], **params})
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    items = queue(editor)
    assert [item["document_id"] for item in items] == [second, first]  # newest first
    assert (items[0]["filename"], items[0]["schema_name"], items[0]["version"]) == (
        "second.txt",
        schema["name"],
        1,
    )
    assert (items[0]["needs_review"], items[0]["fields"]) == (2, ["total", "terms"])
    assert queue(viewer) == []  # a viewer cannot review
    assert queue(people["stranger"]) == []
    page = owner.http.get("/api/v1/reviews", params={"schema_id": schema["id"], "limit": 1}).json()
    assert [item["document_id"] for item in page["items"]] == [second]
    rest = owner.http.get(
        "/api/v1/reviews", params={"schema_id": schema["id"], "limit": 1, "cursor": page["next_cursor"]}
    ).json()
    assert [item["document_id"] for item in rest["items"]] == [first]
    assert rest["next_cursor"] is None
    assert owner.http.get("/api/v1/reviews", params={"schema_id": other["id"]}).json()["items"] == []

    base = f"/api/v1/documents/{first}/extractions/{schema['id']}"
    owner.http.patch(f"{base}/fields/total", json={"action": "confirm"})
    assert [item["fields"] for item in queue(owner) if item["document_id"] == first] == [["terms"]]
    reviewed = editor.http.post(f"/api/v1/documents/{second}/extractions/{schema['id']}/reviewed")
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "reviewed"
    assert reviewed.json()["reviewed_at"]
    owner.http.patch(f"{base}/fields/terms", json={"action": "correct", "value": "net 30"})
    assert queue(owner) == []
    # A new extraction of a reviewed document waits again.
    _extracted(engine, second, schema["id"])
    assert [item["document_id"] for item in queue(owner)] == [second]


def _export(user: ApiUser, schema_id: str, fmt: str) -> Any:
    answer = user.http.get(f"/api/v1/schemas/{schema_id}/export", params={"format": fmt})
    assert answer.status_code == 200, answer.text
    return answer


def test_exports_hold_the_corrected_values_and_the_review_states(
    people: dict[str, ApiUser], engine: Engine, tmp_path: Path
) -> None:
    owner, viewer = people["owner"], people["viewer"]
    schema = _schema(owner, f"Exports {uuid.uuid4().hex[:6]} é")
    document_id = _document(owner, {"viewer": viewer}, "=evil.txt")
    _extracted(engine, document_id, schema["id"])
    base = f"/api/v1/documents/{document_id}/extractions/{schema['id']}/fields"
    owner.http.patch(
        f"{base}/total", json={"action": "correct", "value": {"amount": "-5.5", "currency": "EUR"}}
    )
    owner.http.patch(f"{base}/paid", json={"action": "confirm"})
    mine = _document(viewer, None, "viewers.txt")  # a document the owner cannot read: not in their export
    _extracted(engine, mine, schema["id"])

    answer = _export(owner, schema["id"], "csv")
    assert answer.headers["content-type"].startswith("text/csv")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and "filename*=UTF-8''Exports" in disposition
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 1
    row = rows[0]
    assert list(row)[:3] == ["document_id", "filename", "schema_version"]
    assert list(row)[3:7] == ["supplier", "supplier__review", "total__amount", "total__currency"]
    assert row["document_id"] == document_id
    assert row["filename"] == "'=evil.txt"
    assert row["supplier"] == '\'=HYPERLINK("http://evil")'
    assert (row["total__amount"], row["total__currency"], row["total__review"]) == (
        "-5.50",
        "EUR",
        "corrected",
    )
    assert (row["due date"], row["due date__review"]) == ("", "not_found")
    assert (row["paid"], row["paid__review"]) == ("true", "confirmed")
    assert (row["terms"], row["terms__review"]) == ("", "needs_review")
    assert json.loads(row["lines"]) == [{"item": "Bolts", "qty": 2.0}]

    lines = _export(owner, schema["id"], "jsonl").text.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["total"] == {"amount": "-5.50", "currency": "EUR"}
    assert record["total__review"] == "corrected"
    assert record["supplier"] == '=HYPERLINK("http://evil")'  # JSON is data, not a spreadsheet
    assert record["lines"] == [{"item": "Bolts", "qty": 2.0}]

    workbook = tmp_path / "export.xlsx"
    workbook.write_bytes(_export(owner, schema["id"], "xlsx").content)
    openpyxl = pytest.importorskip("openpyxl")
    sheet = openpyxl.load_workbook(workbook).active
    header, *cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == list(row)
    shown = dict(zip(header, cells[0], strict=True))
    assert shown["supplier"] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2, column=header.index("supplier") + 1).data_type == "s"  # text, not a formula
    assert shown["total__amount"] == -5.5 and shown["total__review"] == "corrected"

    # A viewer of the schema exports what they may read: the shared document and their own.
    shared = owner.http.put(
        f"/api/v1/schemas/{schema['id']}/grants/{viewer.user_id}", json={"role": "viewer"}
    )
    assert shared.status_code == 201, shared.text
    viewer_rows = list(csv.DictReader(io.StringIO(_export(viewer, schema["id"], "csv").text)))
    assert {r["document_id"] for r in viewer_rows} == {document_id, mine}
    assert people["stranger"].http.get(f"/api/v1/schemas/{schema['id']}/export").status_code == 404
    assert (
        owner.http.get(f"/api/v1/schemas/{schema['id']}/export", params={"format": "pdf"}).status_code == 422
    )


def test_workopti_export_by_name(
    people: dict[str, ApiUser], engine: Engine, stack: Stack, tmp_path: Path
) -> None:
    owner = people["owner"]
    schema = _schema(owner, f"Cli export {uuid.uuid4().hex[:6]}")
    document_id = _document(owner)
    _extracted(engine, document_id, schema["id"])
    env = {"PATH": "/usr/bin:/bin", "WORKOPTI_API_URL": stack.api_url, "WORKOPTI_USER": owner.user_id}

    def workopti(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "cli.main", "export", *args], env=env, capture_output=True, timeout=120
        )

    written = tmp_path / "out.csv"
    done = workopti(schema["name"].upper(), "--format", "csv", "--output", str(written))
    assert done.returncode == 0, done.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(written.read_text())))
    assert [r["document_id"] for r in rows] == [document_id]
    assert rows[0]["total__review"] == "needs_review"

    to_stdout = workopti(schema["id"], "--format", "jsonl")
    assert to_stdout.returncode == 0, to_stdout.stderr.decode()
    assert json.loads(to_stdout.stdout.decode().splitlines()[0])["document_id"] == document_id

    unknown = workopti("no such schema", "--output", str(tmp_path / "none.csv"))
    assert unknown.returncode == 2
    assert "no schema named" in unknown.stderr.decode()
    assert not (tmp_path / "none.csv").exists()
