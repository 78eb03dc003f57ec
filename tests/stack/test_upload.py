"""Uploads through the real API: what is accepted, what is refused, and that a refusal stores nothing."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import STACK_ENV, ApiUser

pytestmark = pytest.mark.stack

INVOICE = (
    "INVOICE No. INV-2024-0042\nDate: 12 March 2024\nTotal due: EUR 1,234.56\nContact: billing@acme.example"
)


def _problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status and body["title"] and body["type"].endswith(code)
    return body


def _stored_files(stack: Stack) -> set[Path]:
    roots = [stack.data_dir / "blobs", stack.data_dir / "spool"]
    return {p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("report.pdf", lambda: make.text_pdf(["A text page about accepted uploads."]), "application/pdf"),
        ("scan.png", lambda: make.png("A picture of some text"), "image/png"),
        ("photo.jpg", lambda: make.jpeg("A photo of some text"), "image/jpeg"),
        ("pages.tiff", lambda: make.tiff(["Frame one", "Frame two"]), "image/tiff"),
        (
            "letter.docx",
            lambda: make.docx(["Dear reader,", "This is a letter."]),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", lambda: make.txt("Plain notes.\nSecond line."), "text/plain"),
        ("no-extension", lambda: make.txt("Text without an extension."), "text/plain"),
    ],
)
def test_each_accepted_type_is_taken_at_once(
    user: ApiUser, filename: str, content: Callable[[], bytes], content_type: str
) -> None:
    data = content()
    response = user.upload(filename, data)
    assert response.status_code == 202, response.text
    body = response.json()
    assert response.headers["Location"].endswith(f"/api/v1/documents/{body['id']}")
    assert body["content_type"] == content_type  # from the bytes, not the name or the client's header
    assert body["size_bytes"] == len(data)
    assert len(body["sha256"]) == 64
    assert body["status"] in ("queued", "processing")
    assert [job["kind"] for job in body["jobs"]] == ["extract", "embed", "ai"]
    assert body["jobs"][0]["status"] in ("queued", "running", "succeeded")


def test_the_same_bytes_twice_return_the_first_document(user: ApiUser) -> None:
    data = make.txt(f"unique {uuid.uuid4()}")
    first = user.upload("a.txt", data)
    again = user.upload("renamed.txt", data)
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    listed = user.http.get("/api/v1/documents").json()["items"]
    assert [d["id"] for d in listed] == [first.json()["id"]]


def test_another_user_uploading_the_same_bytes_gets_their_own_document(user_factory) -> None:
    data = make.txt(f"shared bytes {uuid.uuid4()}")
    alice, bob = user_factory(None), user_factory(None)
    assert alice.upload("x.txt", data).json()["id"] != bob.upload("x.txt", data).json()["id"]


def test_an_idempotency_key_replays_and_refuses_other_bytes(user: ApiUser) -> None:
    key = str(uuid.uuid4())
    data = make.txt(f"keyed {uuid.uuid4()}")
    first = user.upload("k.txt", data, headers={"Idempotency-Key": key})
    replay = user.upload("k.txt", data, headers={"Idempotency-Key": key})
    assert first.status_code == 202 and replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    other = user.upload("k.txt", make.txt(f"different {uuid.uuid4()}"), headers={"Idempotency-Key": key})
    _problem(other, 422, "idempotency_key_reused")


def test_the_pipeline_can_be_chosen(user: ApiUser) -> None:
    response = user.upload("p.txt", make.txt(f"pipeline {uuid.uuid4()}"), data={"pipeline": "extract,ai"})
    assert response.status_code == 202
    assert [job["kind"] for job in response.json()["jobs"]] == ["extract", "ai"]
    bad = user.upload("q.txt", make.txt(f"pipeline {uuid.uuid4()}"), data={"pipeline": "ai,translate"})
    _problem(bad, 400, "invalid_pipeline")


def _truncated_pdf() -> bytes:
    data = make.text_pdf(["This PDF will be cut in half."])
    return data[: len(data) // 2]


def _truncated_png() -> bytes:
    data = make.png("cut")
    return data[: len(data) - 200]


REFUSED = [
    ("empty.pdf", lambda: b"", 400, "empty_file"),
    ("cut.pdf", _truncated_pdf, 422, "corrupt_file"),
    ("cut.png", _truncated_png, 422, "corrupt_file"),
    ("locked.pdf", lambda: make.encrypted_pdf("secret text"), 422, "encrypted_pdf"),
    ("setup.pdf", lambda: b"MZ\x90\x00" + os.urandom(2048), 415, "unsupported_file_type"),
    ("tool.pdf", lambda: b"\x7fELF\x02\x01\x01" + os.urandom(2048), 415, "unsupported_file_type"),
    ("page.png", lambda: b"<!DOCTYPE html><html><body>hi</body></html>", 415, "unsupported_file_type"),
    ("image.gif", lambda: b"GIF89a" + os.urandom(100), 415, "unsupported_file_type"),
    ("archive.docx", lambda: _zip_without_word(), 415, "archive_use_batches"),
    ("real.png", lambda: make.text_pdf(["I am a PDF"]), 415, "extension_mismatch"),
    ("../../etc/passwd.pdf", lambda: make.text_pdf(["traversal"]), 400, "invalid_filename"),
    ("..\\..\\boot.ini.txt", lambda: make.txt("windows traversal"), 400, "invalid_filename"),
    ("big.txt", lambda: b"a" * (10 * 1024 * 1024 + 1), 413, "file_too_large"),
]


def _zip_without_word() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    return buffer.getvalue()


@pytest.mark.parametrize(("filename", "content", "status", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_uploads_are_refused_with_a_problem_and_store_nothing(
    user: ApiUser, stack: Stack, engine: Engine, filename: str, content, status: int, code: str
) -> None:
    before_files = _stored_files(stack)
    with engine.connect() as connection:
        before_rows = connection.execute(text("SELECT count(*) FROM documents")).scalar_one()
    response = user.upload(filename, content())
    _problem(response, status, code)
    assert user.http.get("/api/v1/documents").json()["items"] == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar_one() == before_rows
    new_files = _stored_files(stack) - before_files
    assert not [p for p in new_files if p.name.startswith("upload-")]  # the spooled upload was removed
    # Every stored original belongs to a document, or to one being deleted (its purge is pending).
    with engine.connect() as connection:
        known = {str(i) for i in connection.execute(text("SELECT id FROM documents")).scalars()}
        known |= {
            p.split("/")[1] for p in connection.execute(text("SELECT prefix FROM blob_purges")).scalars()
        }
    originals = {p.parent.name for p in (stack.data_dir / "blobs").rglob("original")}
    assert originals <= known


def test_an_upload_without_a_file_part_or_not_multipart_is_refused(user: ApiUser) -> None:
    no_file = user.http.post("/api/v1/documents", data={"pipeline": "extract"}, files={"other": ("a", b"x")})
    _problem(no_file, 400, "file_missing")
    raw = user.http.post(
        "/api/v1/documents", content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
    )
    _problem(raw, 415, "multipart_required")


def test_a_declared_oversized_body_is_refused_before_it_is_read(user: ApiUser, stack: Stack) -> None:
    """Only the headers are sent: the answer must come without waiting for 200 MB that never arrive."""
    import socket

    host, port = stack.options.api_host, stack.options.api_port
    request = (
        f"POST /api/v1/documents HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: {user.http.headers['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request.encode())
        received = b""
        while chunk := conn.recv(65536):  # the server closes the connection after answering
            received += chunk
    answer = received.decode()
    status_line, _, rest = answer.partition("\r\n")
    assert " 413 " in status_line, answer
    assert "application/problem+json" in rest and '"code":"file_too_large"' in rest


def test_requests_without_a_valid_token_are_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.api_url) as anonymous:
        missing = anonymous.get("/api/v1/documents")
        body = _problem(missing, 401, "missing_token")
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        assert body["instance"] == "/api/v1/documents"
        _problem(
            anonymous.get("/api/v1/documents", headers={"Authorization": "Bearer nope"}), 401, "invalid_token"
        )
        _problem(
            anonymous.get("/api/v1/documents", headers={"Authorization": "Basic eDp5"}), 401, "invalid_token"
        )
        upload = anonymous.post("/api/v1/documents", files={"file": ("a.txt", b"hello")})
        _problem(upload, 401, "missing_token")
        bad_user = anonymous.post("/api/v1/auth/dev-token", json={"user_id": "a b/c"})
        _problem(bad_user, 400, "invalid_user_id")


def test_invalid_parameters_are_problems_too(user: ApiUser) -> None:
    _problem(user.http.get("/api/v1/documents", params={"limit": 0}), 422, "validation_error")
    _problem(user.http.get("/api/v1/documents/not-a-uuid"), 422, "validation_error")
    _problem(user.http.get("/api/v1/documents", params={"cursor": "garbage!"}), 400, "invalid_cursor")
    _problem(user.http.get("/api/v1/documents", params={"status": "lost"}), 422, "validation_error")
    _problem(user.http.get(f"/api/v1/documents/{uuid.uuid4()}"), 404, "document_not_found")
    _problem(user.http.get("/api/v1/no-such-route"), 404, "not_found")


def test_documents_are_listed_newest_first_in_pages(user: ApiUser) -> None:
    ids = [user.upload(f"{i}.txt", make.txt(f"listing {i} {uuid.uuid4()}")).json()["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = user.http.get("/api/v1/documents", params=params).json()
        seen += [d["id"] for d in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    for status in ("queued", "processing", "ready"):
        filtered = user.http.get("/api/v1/documents", params={"status": status}).json()["items"]
        assert all(d["status"] == status for d in filtered)


def test_uploading_too_fast_is_refused_with_when_to_retry(user: ApiUser) -> None:
    # The suite's stack allows QUOTA_UPLOADS_PER_MINUTE uploads a minute per user.
    limit = int(STACK_ENV["QUOTA_UPLOADS_PER_MINUTE"])
    statuses = [
        user.upload(f"{i}.txt", make.txt(f"quota {i} {uuid.uuid4()}")).status_code for i in range(limit)
    ]
    assert set(statuses) == {202}
    refused = user.upload("one-more.txt", make.txt(f"one more {uuid.uuid4()}"))
    body = _problem(refused, 429, "too_many_uploads")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and body["retry_after"] == int(
        refused.headers["Retry-After"]
    )
    assert user.http.get("/api/v1/documents").status_code == 200  # other requests still work
