"""ZIP batches through the real product: hostile archives built here (tests/zips.py), each refused entry
listed with its code while the good ones become documents that reach `ready`; an archive refused whole
leaves no row and no blob behind; another user's batch does not exist for them."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from cli.stack.stack import Stack
from testkit import documents as make
from tests import zips
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack


def _post(user: ApiUser, filename: str, data: bytes, **fields: str) -> httpx.Response:
    return user.http.post(
        "/api/v1/batches", files={"file": (filename, data, "application/zip")}, data=fields or None
    )


def _problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["detail"], body
    return body


def _note(words: str) -> bytes:
    return make.txt(f"{words} {uuid.uuid4()}")


def test_a_zip_becomes_a_document_per_good_entry_and_names_each_refusal(user: ApiUser, stack: Stack) -> None:
    members = [
        ("minutes.txt", _note("Minutes of the harbour board meeting")),
        ("reports/annual.pdf", make.text_pdf([f"Annual report of the harbour {uuid.uuid4()}"])),
        ("folder/", b""),
        ("__MACOSX/._minutes.txt", b"\x00\x05\x16\x07 resource fork"),
        ("../escape.txt", _note("climbs out")),
        ("/etc/passwd.txt", _note("absolute")),
        ("C:/boot.txt", _note("drive letter")),
        ("..\\..\\windows.txt", _note("backslashes")),
        ("twice.txt", _note("first of two")),
        ("twice.txt", _note("second of two")),
        ("inner.zip", zips.archive([("inside.txt", _note("inside"))])),
        ("disguised.txt", zips.archive([("inside.txt", _note("disguised"))])),
        ("bomb.txt", zips.zeros(5 * zips.MIB)),
        ("huge.txt", zips.zeros(11 * zips.MIB)),
        ("locked.txt", _note("encrypted")),
        ("empty.txt", b""),
        ("setup.pdf", b"MZ\x90\x00" + bytes(2048)),
        ("damaged.txt", _note("damaged ") * 200),
    ]
    data = zips.damaged(zips.encrypted(zips.archive(members), "locked.txt"), "damaged.txt")
    response = _post(user, "harbour.zip", data)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert response.headers["Location"].endswith(f"/api/v1/batches/{batch['id']}")
    assert batch["filename"] == "harbour.zip" and batch["size_bytes"] == len(data)
    assert len(batch["sha256"]) == 64

    refused = {entry["name"]: entry["code"] for entry in batch["refused"]}
    assert refused == {
        "../escape.txt": "unsafe_name",
        "/etc/passwd.txt": "unsafe_name",
        "C:/boot.txt": "unsafe_name",
        "..\\..\\windows.txt": "unsafe_name",
        "twice.txt": "duplicate_name",
        "inner.zip": "nested_archive",
        "disguised.txt": "nested_archive",
        "bomb.txt": "ratio_exceeded",
        "huge.txt": "too_large",
        "locked.txt": "encrypted",
        "empty.txt": "empty_file",
        "setup.pdf": "unsupported_type",
        "damaged.txt": "corrupt_entry",
    }
    assert len(batch["refused"]) == 14  # both copies of twice.txt
    assert all(entry["reason"] for entry in batch["refused"])
    assert batch["counts"] == {"entries": 16, "created": 2, "existing": 0, "refused": 14}

    # The answer names every created document, and nothing else.
    assert sorted(d["filename"] for d in batch["documents"]) == ["annual.pdf", "minutes.txt"]
    assert {(e["name"], e["created"]) for e in batch["entries"]} == {
        ("minutes.txt", True),
        ("reports/annual.pdf", True),
    }
    by_name = {d["filename"]: d for d in batch["documents"]}
    assert {e["document_id"] for e in batch["entries"]} == {d["id"] for d in batch["documents"]}
    assert by_name["annual.pdf"]["content_type"] == "application/pdf"
    assert [job["kind"] for job in by_name["minutes.txt"]["jobs"]] == ["extract", "embed", "ai"]
    for document in batch["documents"]:
        assert user.wait_for(document["id"])["status"] == "ready"
    listed = {d["id"] for d in user.http.get("/api/v1/documents").json()["items"]}
    assert listed == {d["id"] for d in batch["documents"]}

    again = user.http.get(f"/api/v1/batches/{batch['id']}")
    assert again.status_code == 200, again.text
    shown = again.json()
    assert {d["status"] for d in shown["documents"]} == {"ready"}
    assert shown["refused"] == batch["refused"] and shown["counts"] == batch["counts"]
    source = stack.data_dir / "blobs" / "batches" / batch["id"] / "source.zip"
    assert source.read_bytes() == data  # the archive is kept as it came


def test_bytes_already_uploaded_answer_with_that_document_in_every_batch(user: ApiUser) -> None:
    earlier = _note("Uploaded on its own first")
    first = user.upload("earlier.txt", earlier)
    assert first.status_code == 202, first.text
    data = zips.archive([("again.txt", earlier), ("new.txt", _note("New in the batch"))])
    batch = _post(user, "mixed.zip", data, pipeline="extract").json()
    assert batch["counts"] == {"entries": 2, "created": 1, "existing": 1, "refused": 0}
    entries = {e["name"]: e for e in batch["entries"]}
    assert entries["again.txt"] == {"name": "again.txt", "document_id": first.json()["id"], "created": False}
    assert entries["new.txt"]["created"] is True
    created = next(d for d in batch["documents"] if d["id"] == entries["new.txt"]["document_id"])
    assert [job["kind"] for job in created["jobs"]] == ["extract"]

    # The same archive again: a second batch listing the same documents, none made anew.
    second = _post(user, "mixed-again.zip", data).json()
    assert second["id"] != batch["id"]
    assert second["counts"] == {"entries": 2, "created": 0, "existing": 2, "refused": 0}
    assert {d["id"] for d in second["documents"]} == {d["id"] for d in batch["documents"]}

    # The same bytes twice in one archive are one document, named by both entries.
    same = _note("Twice under two names")
    twice = _post(user, "twice.zip", zips.archive([("a.txt", same), ("b.txt", same)])).json()
    assert twice["counts"] == {"entries": 2, "created": 1, "existing": 1, "refused": 0}
    assert len(twice["documents"]) == 1
    assert {e["document_id"] for e in twice["entries"]} == {twice["documents"][0]["id"]}


def test_another_users_batch_does_not_exist_for_them(user_factory) -> None:
    owner, stranger = user_factory(None), user_factory(None)
    batch = _post(owner, "private.zip", zips.archive([("private.txt", _note("Private"))])).json()
    path = f"/api/v1/batches/{batch['id']}"
    _problem(stranger.http.get(path), 404, "batch_not_found")
    _problem(stranger.http.delete(path), 404, "batch_not_found")
    _problem(owner.http.get(f"/api/v1/batches/{uuid.uuid4()}"), 404, "batch_not_found")
    assert stranger.http.get("/api/v1/batches").json() == {"items": [], "next_cursor": None}
    assert owner.http.get(path).status_code == 200


def test_batches_are_listed_newest_first_in_pages(user: ApiUser) -> None:
    ids = [
        _post(user, f"{i}.zip", zips.archive([(f"{i}.txt", _note(f"listing {i}"))])).json()["id"]
        for i in range(3)
    ]
    seen, cursor = [], None
    while True:
        body = user.http.get("/api/v1/batches", params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
        assert body.status_code == 200, body.text
        seen += [item["id"] for item in body.json()["items"]]
        assert all(set(item) >= {"counts", "filename", "sha256"} for item in body.json()["items"])
        cursor = body.json()["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    _problem(user.http.get("/api/v1/batches", params={"cursor": "garbage!"}), 400, "invalid_cursor")


def test_deleting_a_batch_removes_its_archive_and_keeps_its_documents(user: ApiUser, stack: Stack) -> None:
    import time

    batch = _post(user, "gone.zip", zips.archive([("stays.txt", _note("Stays after the batch"))])).json()
    source = stack.data_dir / "blobs" / "batches" / batch["id"]
    assert source.is_dir()
    assert user.http.delete(f"/api/v1/batches/{batch['id']}").status_code == 204
    _problem(user.http.get(f"/api/v1/batches/{batch['id']}"), 404, "batch_not_found")
    document = batch["documents"][0]["id"]
    assert user.http.get(f"/api/v1/documents/{document}").status_code == 200
    deadline = time.monotonic() + 30
    while source.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not source.exists()


def test_a_zip_sent_as_a_document_points_at_batches(user: ApiUser) -> None:
    body = _problem(
        user.upload("bundle.zip", zips.archive([("a.txt", b"a note")])), 415, "archive_use_batches"
    )
    assert "/api/v1/batches" in body["detail"]


def _stored_files(stack: Stack) -> set[Path]:
    roots = [stack.data_dir / "blobs", stack.data_dir / "spool"]
    return {p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


REFUSED_WHOLE = [
    ("not-a-zip", "report.zip", lambda: make.text_pdf(["I am a PDF"]), 415, "not_a_zip"),
    ("truncated", "cut.zip", lambda: zips.archive([("a.txt", _note("cut") * 100)])[:-40], 422, "corrupt_archive"),
    ("empty-archive", "empty.zip", lambda: zips.archive([]), 400, "empty_archive"),
    ("only-folders", "folders.zip", lambda: zips.archive([("a/", b""), ("a/b/", b"")]), 400, "empty_archive"),
    ("too-many-entries", "many.zip", lambda: zips.many_entries(1001), 413, "too_many_entries"),
    ("declares-2gb", "large.zip",
     lambda: zips.declaring_size(zips.archive([("a.txt", b"small"), ("b.txt", _note("b"))]), "a.txt", 2**31),
     413, "archive_too_large"),
    ("empty-file", "nothing.zip", lambda: b"", 400, "empty_file"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filename", "content", "status", "code"),
    [r[1:] for r in REFUSED_WHOLE],
    ids=[r[0] for r in REFUSED_WHOLE],
)
def test_an_archive_refused_whole_leaves_no_rows_and_no_blobs(
    user: ApiUser, stack: Stack, engine: Engine, filename: str, content, status: int, code: str
) -> None:
    counts = "SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM documents)"
    with engine.connect() as connection:
        before = tuple(connection.execute(text(counts)).one())
    before_files = _stored_files(stack)
    _problem(_post(user, filename, content()), status, code)
    with engine.connect() as connection:
        assert tuple(connection.execute(text(counts)).one()) == before
    assert _stored_files(stack) - before_files == set()
    assert user.http.get("/api/v1/batches").json()["items"] == []
