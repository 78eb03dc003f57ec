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
from testkit import documents as make

ROOT = Path(__file__).resolve().parents[2]

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
        # The suite's own job kind (JOB_KIND_MODULES) lives in tests/, which an installed command
        # finds only on the path, as a deployment's kinds would be installed.
        env={**os.environ, **stack.env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        "local:all-MiniLM-L6-v2" in result.stdout and "ix_chunks_hnsw_local_all_minilm_l6_v2" in result.stdout
    )

    deadline = time.monotonic() + 300  # --all re-embeds every document of the session's product
    current: dict = {}
    while time.monotonic() < deadline:
        current = _get(stack, user, f"/api/v1/documents/{document['id']}")
        embed = next(j for j in current["jobs"] if j["kind"] == "embed")
        if embed["id"] != embed_id and current["outputs"].get("embed") == embed["id"]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the document was not re-embedded: {current}")
    events = _get(stack, user, f"/api/v1/jobs/{embed['id']}")["events"]
    assert [e["status"] for e in events] == ["queued", "running", "succeeded"], events
    assert events[0]["detail"] == "re-embedding with local:all-MiniLM-L6-v2"
    assert current["outputs"]["extract"] == document["outputs"]["extract"]  # the text was not redone


def test_reprocess_runs_the_document_again_and_waits_for_it(stack: Stack, tmp_path: Path) -> None:
    notes = tmp_path / "again.txt"
    notes.write_text(f"A note to process twice {uuid.uuid4()}")
    user = f"cli-{uuid.uuid4().hex[:6]}"
    first = json.loads(_workopti(stack, "submit", str(notes), "--wait", "--json", user=user).stdout)[0]
    again = _workopti(stack, "reprocess", first["id"], "--pipeline", "extract", "--wait", "--json", user=user)
    assert again.returncode == 0, again.stderr
    document = json.loads(again.stdout)
    assert document["status"] == "ready" and document["pipeline"] == ["extract"]
    assert (
        set(document["outputs"]) == {"extract"}
        and document["outputs"]["extract"] != first["outputs"]["extract"]
    )
    stranger = _workopti(stack, "reprocess", first["id"], user="cli-stranger")
    assert stranger.returncode == 1 and "404" in stranger.stderr


def _get(stack: Stack, user: str, path: str) -> dict:
    import httpx

    token = httpx.post(f"{stack.api_url}/api/v1/auth/dev-token", json={"user_id": user}).json()[
        "access_token"
    ]
    return httpx.get(f"{stack.api_url}{path}", headers={"Authorization": f"Bearer {token}"}).json()


def test_ask_prints_the_answer_and_its_citations_and_follows_up(stack: Stack, tmp_path: Path) -> None:
    user = f"cli-{uuid.uuid4().hex[:6]}"
    fleet = tmp_path / "fleet.pdf"
    fleet.write_bytes(
        make.text_pdf(
            [
                "Harbour timetable. The harbour office opens at six in the morning on weekdays.",
                "The ferry Nordlys carries 320 passengers between Bodø and Moskenes. "
                "The ferry Nordlys also takes 40 cars on its lower deck.",
            ]
        )
    )
    submitted = _workopti(stack, "submit", str(fleet), "--wait", "--json", user=user)
    assert submitted.returncode == 0, submitted.stderr
    document_id = json.loads(submitted.stdout)[0]["id"]

    human = _workopti(stack, "ask", "How many passengers does the ferry Nordlys carry?", user=user)
    assert human.returncode == 0, human.stderr
    assert "320 passengers" in human.stdout and "fleet.pdf, page 2:" in human.stdout
    assert "--conversation" in human.stderr

    first = _workopti(
        stack,
        "ask",
        "How many passengers does the ferry Nordlys carry?",
        "--doc",
        document_id,
        "--json",
        user=user,
    )
    answer = json.loads(first.stdout)
    assert answer["grounded"] and answer["citations"][0]["page_no"] == 2
    follow_up = _workopti(
        stack, "ask", "And how many cars?", "--conversation", answer["conversation_id"], "--json", user=user
    )
    assert any("40 cars" in c["quote"] for c in json.loads(follow_up.stdout)["citations"])

    stranger = _workopti(stack, "ask", "Who?", "--doc", document_id, user=f"cli-{uuid.uuid4().hex[:6]}")
    assert stranger.returncode == 1 and "document_not_found" in stranger.stderr
