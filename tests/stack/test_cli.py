"""The command line against the running product: submit with --wait, then status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from cli.stack.stack import Stack
from tests import documents as make

pytestmark = pytest.mark.stack


def _workopti(stack: Stack, *args: str, user: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "workopti"), *args, "--api", stack.api_url, "--user", user],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_submit_waits_and_prints_the_results(stack: Stack, tmp_path: Path) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(make.text_pdf([f"INVOICE No. INV-7 {uuid.uuid4().hex[:6]}\nTotal due: EUR 99.00"]))
    notes = tmp_path / "notes.txt"
    notes.write_text(f"Notes about the garden {uuid.uuid4()}")
    user = f"cli-{uuid.uuid4().hex[:6]}"

    result = _workopti(stack, "submit", str(invoice), str(notes), "--wait", "--json", user=user)
    assert result.returncode == 0, result.stderr
    documents = json.loads(result.stdout)
    assert [d["filename"] for d in documents] == ["invoice.pdf", "notes.txt"]
    assert all(d["status"] == "ready" for d in documents)
    assert documents[0]["results"]["classification"]["label"] == "invoice"

    shown = _workopti(stack, "status", documents[1]["id"], user=user)
    assert shown.returncode == 0, shown.stderr
    assert "notes.txt" in shown.stdout and "ready" in shown.stdout and "succeeded" in shown.stdout

    human = _workopti(stack, "submit", str(notes), "--wait", user=user)
    assert human.returncode == 0 and "notes.txt" in human.stdout and "summary" in human.stdout


def test_submit_reports_a_refused_file_and_exits_non_zero(stack: Stack, tmp_path: Path) -> None:
    bogus = tmp_path / "tool.pdf"
    bogus.write_bytes(b"MZ" + b"\0" * 100)
    result = _workopti(stack, "submit", str(bogus), user="cli-refused")
    assert result.returncode == 1
    assert "unsupported_file_type" in result.stderr


def test_status_of_someone_elses_document_is_not_found(stack: Stack, tmp_path: Path) -> None:
    notes = tmp_path / "private.txt"
    notes.write_text(f"private {uuid.uuid4()}")
    owner = _workopti(stack, "submit", str(notes), "--json", user="cli-owner")
    document_id = json.loads(owner.stdout)[0]["id"]
    other = _workopti(stack, "status", document_id, user="cli-stranger")
    assert other.returncode == 1 and "404" in other.stderr


def test_reembed_queues_the_library_and_the_workers_redo_it(stack: Stack, tmp_path: Path) -> None:
    notes = tmp_path / "reembed.txt"
    notes.write_text(f"A note to embed again {uuid.uuid4()}")
    user = f"cli-{uuid.uuid4().hex[:6]}"
    document = json.loads(_workopti(stack, "submit", str(notes), "--wait", "--json", user=user).stdout)[0]
    embed_id = next(j["id"] for j in document["jobs"] if j["kind"] == "embed")

    result = subprocess.run(
        [str(Path(sys.executable).parent / "workopti"), "reembed", "--all"],
        env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        "local:all-MiniLM-L6-v2" in result.stdout and "ix_chunks_hnsw_local_all_minilm_l6_v2" in result.stdout
    )

    deadline = time.monotonic() + 120
    events: list[dict] = []
    while time.monotonic() < deadline:
        events = _job_events(stack, user, embed_id)
        if any("re-embedding" in (e["detail"] or "") for e in events) and events[-1]["status"] == "succeeded":
            break
        time.sleep(0.5)
    statuses = [e["status"] for e in events]
    assert statuses[-3:] == ["queued", "running", "succeeded"], events
    assert any("re-embedding with local:all-MiniLM-L6-v2" in (e["detail"] or "") for e in events)


def _job_events(stack: Stack, user: str, job_id: str) -> list[dict]:
    import httpx

    token = httpx.post(f"{stack.api_url}/api/v1/auth/dev-token", json={"user_id": user}).json()[
        "access_token"
    ]
    response = httpx.get(
        f"{stack.api_url}/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}
    )
    return response.json()["events"]
