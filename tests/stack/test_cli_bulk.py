"""Uploading a folder tree from the command line against the running product: once, again (nothing
sent twice), after a killed run and after Ctrl-C; and the documents list's content filter it relies on."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

WORKOPTI = str(Path(sys.executable).parent / "workopti")


def _command(stack: Stack, user: str, *args: str) -> list[str]:
    return [WORKOPTI, "submit", *args, "--api", stack.api_url, "--user", user]


def _workopti(stack: Stack, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(stack, user, *args), capture_output=True, text=True, timeout=300)


def _owned(user: ApiUser) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"scope": "owned", "limit": 100} | ({"cursor": cursor} if cursor else {})
        body = user.http.get("/api/v1/documents", params=params).json()
        items += body["items"]
        if not (cursor := body["next_cursor"]):
            return items


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


# --- the filter --------------------------------------------------------------------------------


def test_the_list_finds_documents_by_content_among_those_the_caller_may_read(
    user_factory: Callable[[str | None], ApiUser],
) -> None:
    alice, bob = user_factory(None), user_factory(None)
    mine, shared, elsewhere = (make.txt(f"{name} {uuid.uuid4()}") for name in ("mine", "shared", "elsewhere"))
    own = alice.upload("mine.txt", mine).json()
    bobs_copy = bob.upload("copy.txt", mine).json()  # the same bytes: bob's own document
    bobs_shared = bob.upload("shared.txt", shared).json()
    bob.upload("elsewhere.txt", elsewhere)
    grant = bob.http.put(
        f"/api/v1/documents/{bobs_shared['id']}/grants/{alice.user_id}", json={"role": "viewer"}
    )
    assert grant.status_code == 201, grant.text
    asked = [_sha(mine).upper(), _sha(shared), _sha(elsewhere), "0" * 64]

    owned = alice.http.get("/api/v1/documents", params={"sha256": asked, "scope": "owned"}).json()
    assert [(d["id"], d["sha256"], d["role"]) for d in owned["items"]] == [(own["id"], _sha(mine), "owner")]
    readable = alice.http.get("/api/v1/documents", params={"sha256": asked}).json()["items"]
    assert {d["id"]: d["role"] for d in readable} == {own["id"]: "owner", bobs_shared["id"]: "viewer"}
    assert bobs_copy["id"] not in {d["id"] for d in readable}  # bob's, never shared
    assert alice.http.get("/api/v1/documents", params={"sha256": "f" * 64}).json()["items"] == []

    too_many = [f"{n:064x}" for n in range(101)]
    for bad in (["xyz"], ["a" * 63], ["a" * 65], ["g" * 64], [""], too_many):
        body = _problem(alice.http.get("/api/v1/documents", params={"sha256": bad}), 422, "validation_error")
        assert body["errors"][0]["loc"][:2] == ["query", "sha256"]
    assert alice.http.get("/api/v1/documents", params={"sha256": too_many[:100]}).status_code == 200


# --- the command -------------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    """A folder tree; returns the files that should become documents (by path relative to root)."""
    tag = uuid.uuid4().hex[:8]
    good = {
        "invoice.pdf": make.text_pdf([f"INVOICE {tag}\nTotal due: EUR 12.00"]),
        "notes/today.txt": make.txt(f"Notes of today {tag}"),
        "notes/old/2019.txt": make.txt(f"Notes of 2019 {tag}"),
        "scans/letter.docx": make.docx([f"Dear reader {tag}"]),
    }
    other = {
        "notes/old/copy-of-today.txt": good["notes/today.txt"],  # the same bytes again
        "scans/tool.pdf": b"MZ" + b"\0" * 100,  # refused: a program, not a PDF
        ".hidden.txt": make.txt(f"hidden {tag}"),
        ".cache/kept.txt": make.txt(f"in a hidden folder {tag}"),
    }
    for name, content in (good | other).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    outside = root.parent / f"outside-{tag}.txt"
    outside.write_bytes(make.txt(f"outside {tag}"))
    (root / "notes" / "outside.txt").symlink_to(outside)
    return good


def test_a_tree_is_uploaded_once_and_a_second_run_sends_nothing(
    stack: Stack, tmp_path: Path, user_factory: Callable[[str | None], ApiUser]
) -> None:
    root = tmp_path / "tree"
    good = _tree(root)
    user = user_factory(None)

    first = _workopti(stack, user.user_id, str(root), "--recursive", "--pipeline", "extract", "--json")
    assert first.returncode == 1, first.stderr  # the refused file
    run = json.loads(first.stdout)
    outcomes = {Path(f["path"]).relative_to(root).as_posix(): f for f in run["files"]}
    assert set(outcomes) == set(good) | {"notes/old/copy-of-today.txt", "scans/tool.pdf"}
    assert {name for name, f in outcomes.items() if f["outcome"] == "uploaded"} == set(good)
    copy = outcomes["notes/old/copy-of-today.txt"]
    assert (
        copy["outcome"] == "duplicate" and copy["document_id"] == outcomes["notes/today.txt"]["document_id"]
    )
    refused = outcomes["scans/tool.pdf"]
    assert refused["outcome"] == "failed" and refused["error"]["status"] == 415
    assert refused["error"]["code"] == "unsupported_file_type"
    assert run["counts"] == {"uploaded": 4, "existing": 0, "duplicate": 1, "failed": 1, "interrupted": 0}
    left_out = {Path(left["path"]).relative_to(root).as_posix(): left["reason"] for left in run["left_out"]}
    assert left_out == {
        ".cache": "hidden",
        ".hidden.txt": "hidden",
        "notes/outside.txt": "link out of the folder",
    }
    documents = _owned(user)
    assert sorted(d["sha256"] for d in documents) == sorted(_sha(c) for c in good.values())
    by_content = {d["sha256"]: d["id"] for d in documents}
    assert all(by_content[_sha(good[name])] == outcomes[name]["document_id"] for name in good)

    again = _workopti(stack, user.user_id, str(root), "-r", "--pipeline", "extract", "--wait")
    assert again.returncode == 1, again.stderr
    assert (
        "6 files" in again.stdout
        and "4 already uploaded, 1 duplicate of another file, 1 failed" in again.stdout
    )
    assert "processed: 4 ready" in again.stdout, again.stdout
    assert "left out: 2 hidden, 1 link out of the folder" in again.stdout
    assert f"{root / 'scans' / 'tool.pdf'}: 415 unsupported_file_type" in again.stderr
    assert len(_owned(user)) == len(good)  # nothing new
    assert all(d["status"] == "ready" for d in _owned(user))


def test_a_folder_needs_recursive_and_parallel_is_bounded(stack: Stack, tmp_path: Path) -> None:
    refused = _workopti(stack, "cli-usage", str(tmp_path))
    assert refused.returncode == 2 and "--recursive" in refused.stderr
    too_many = _workopti(stack, "cli-usage", str(tmp_path), "-r", "--parallel", "1000")
    assert too_many.returncode == 2 and "--parallel" in too_many.stderr


def _many(root: Path, count: int) -> dict[str, bytes]:
    tag = uuid.uuid4().hex
    files = {
        f"part-{n // 10}/file-{n:03}.txt": make.txt(f"File {n} of a long run {tag}") for n in range(count)
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return files


def _start(stack: Stack, user: ApiUser, root: Path, logs: Path) -> subprocess.Popen[bytes]:
    args = _command(
        stack, user.user_id, str(root), "-r", "--parallel", "1", "--pipeline", "extract", "--json"
    )
    return subprocess.Popen(args, stdout=(logs / "out").open("wb"), stderr=(logs / "err").open("wb"))


def _when_uploaded(user: ApiUser, process: subprocess.Popen[bytes], at_least: int) -> None:
    deadline = time.monotonic() + 120
    while len(_owned(user)) < at_least:
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "nothing was uploaded"
        time.sleep(0.05)


def test_a_killed_run_finishes_when_started_again_and_every_file_is_there_once(
    stack: Stack, tmp_path: Path, user_factory: Callable[[str | None], ApiUser]
) -> None:
    root, logs = tmp_path / "many", tmp_path
    files = _many(root, 25)
    user = user_factory(None)
    process = _start(stack, user, root, logs)
    _when_uploaded(user, process, 3)
    process.kill()  # no chance to tidy up: an upload may be cut off half sent
    process.wait(timeout=30)
    before = len(_owned(user))
    assert 3 <= before < len(files)

    again = _workopti(stack, user.user_id, str(root), "-r", "--pipeline", "extract", "--json")
    assert again.returncode == 0, again.stderr
    counts = json.loads(again.stdout)["counts"]
    # An upload the server had fully received when the client died may still have become a document.
    assert counts["existing"] >= before and counts["uploaded"] > 0
    assert counts["existing"] + counts["uploaded"] == len(files)
    documents = _owned(user)
    assert sorted(d["sha256"] for d in documents) == sorted(_sha(c) for c in files.values())


def test_ctrl_c_stops_the_run_with_a_summary(
    stack: Stack, tmp_path: Path, user_factory: Callable[[str | None], ApiUser]
) -> None:
    root, logs = tmp_path / "many", tmp_path
    # Enough files that the run is surely still going when the signal arrives, however fast uploads are.
    files = _many(root, 150)
    user = user_factory(None)
    process = _start(stack, user, root, logs)
    _when_uploaded(user, process, 2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    run = json.loads((logs / "out").read_text())
    assert run["interrupted"] is True
    counts = run["counts"]
    assert counts["interrupted"] > 0 and counts["failed"] == 0
    assert sum(counts.values()) == len(files)
    # What it reports as uploaded is there; anything cut off is simply not (the next run sends it).
    uploaded = {f["sha256"] for f in run["files"] if f["outcome"] == "uploaded"}
    assert uploaded <= {d["sha256"] for d in _owned(user)}
    assert len(_owned(user)) in (len(uploaded), len(uploaded) + 1)
