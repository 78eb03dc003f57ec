"""Faults on the real stack: a worker killed mid-job, the broker losing its messages, a file no step can
read, and people retrying and cancelling jobs."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest
import redis
from sqlalchemy import Engine, text

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser

# A product of its own, PostgreSQL included, rather than the session's: these tests kill its database,
# workers and Redis.
pytestmark = [pytest.mark.stack, pytest.mark.own_stack]


def _job(owner: ApiUser, document_id: str, kind: str) -> dict:
    document = owner.http.get(f"/api/v1/documents/{document_id}").json()
    return next(job for job in document["jobs"] if job["kind"] == kind)


def _wait_job(owner: ApiUser, document_id: str, kind: str, predicate, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job = _job(owner, document_id, kind)
        if predicate(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"{kind} job never reached the expected state: {job}")


def _pool_children(stack: Stack, service: str) -> list[psutil.Process]:
    main = psutil.Process(stack.supervisor.processes[service].pid)
    return main.children(recursive=True)


def test_a_worker_killed_mid_ocr_still_ends_succeeded_exactly_once(
    user: ApiUser, stack: Stack, engine: Engine
) -> None:
    pages = make.sample_pages(6)
    document_id = user.upload("long-scan.pdf", make.scanned_pdf(pages)).json()["id"]
    _wait_job(user, document_id, "extract", lambda j: j["status"] == "running" and j["progress"] > 0)

    children = _pool_children(stack, "worker-ocr")
    assert children, "the OCR worker has no pool process"
    for child in children:
        os.kill(child.pid, signal.SIGKILL)

    document = user.wait_for(document_id, timeout=300)
    assert document["status"] == "ready", document
    extract = next(job for job in document["jobs"] if job["kind"] == "extract")
    assert extract["status"] == "succeeded" and extract["attempts"] == 2
    history = user.http.get(f"/api/v1/jobs/{extract['id']}").json()["events"]
    assert [e["status"] for e in history].count("succeeded") == 1
    assert any(e["status"] == "queued" and "stopped responding" in (e["detail"] or "") for e in history)

    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT page_no, count(*) FROM pages WHERE document_id = :id GROUP BY page_no ORDER BY page_no"
            ),
            {"id": document_id},
        ).all()
        chunk_numbers = (
            connection.execute(
                text("SELECT chunk_no FROM chunks WHERE document_id = :id ORDER BY chunk_no"),
                {"id": document_id},
            )
            .scalars()
            .all()
        )
    assert [(n, c) for n, c in rows] == [(n, 1) for n in range(1, 7)]
    assert chunk_numbers == list(range(len(chunk_numbers))) and chunk_numbers
    texts = user.http.get(f"/api/v1/documents/{document_id}/pages").json()["items"]
    for page, expected in zip(texts, pages, strict=True):
        assert make.character_error_rate(expected, page["text"]) < 0.05


def test_jobs_whose_messages_were_flushed_from_redis_still_finish(user: ApiUser, stack: Stack) -> None:
    worker = psutil.Process(stack.supervisor.processes["worker-ocr"].pid)
    group = [worker, *worker.children(recursive=True)]
    for process in group:
        process.suspend()  # nothing consumes the ocr queue while we upload and flush
    try:
        ids = [
            user.upload(f"f{i}.txt", make.txt(f"flushed message {i} {time.time()}")).json()["id"]
            for i in range(3)
        ]
        client = redis.Redis.from_url(stack.env["REDIS_URL"])
        assert client.llen("ocr") >= 1
        client.flushall()
        assert client.llen("ocr") == 0
    finally:
        for process in group:
            process.resume()
    for document_id in ids:
        assert user.wait_for(document_id, timeout=120)["status"] == "ready"
    republished = [
        e
        for document_id in ids
        for e in user.http.get(f"/api/v1/jobs/{_job(user, document_id, 'extract')['id']}").json()["events"]
        if e["detail"] == "message republished"
    ]
    assert republished, "the sweeper should have republished at least one lost message"


def test_an_unreadable_file_fails_with_a_reason_while_the_others_finish(user: ApiUser) -> None:
    broken = user.upload("broken.png", make.undecodable_png())
    assert broken.status_code == 202, broken.text
    healthy = user.upload("fine.txt", make.txt(f"healthy neighbour {time.time()}"))
    document = user.wait_for(broken.json()["id"])
    assert document["status"] == "failed"
    extract, embed, ai = document["jobs"]
    assert extract["status"] == "failed" and extract["attempts"] == 1  # permanent: not retried
    assert extract["error"]["code"] and len(extract["error"]["message"]) > 10
    assert embed["status"] == ai["status"] == "cancelled"
    assert embed["error"]["code"] == "upstream_failed"
    assert user.wait_for(healthy.json()["id"])["status"] == "ready"
    assert user.http.get(f"/api/v1/documents/{broken.json()['id']}/pages").json()["items"] == []


def test_retry_and_cancel_work_over_http(user: ApiUser) -> None:
    document_id = user.upload("r.txt", make.txt(f"retry me {time.time()}")).json()["id"]
    assert user.wait_for(document_id)["status"] == "ready"
    ai = _job(user, document_id, "ai")

    conflict = user.http.post(f"/api/v1/jobs/{ai['id']}/cancel")
    assert conflict.status_code == 409 and conflict.json()["code"] == "job_finished"

    retried = user.http.post(f"/api/v1/jobs/{ai['id']}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "queued"
    assert user.wait_for(document_id)["status"] == "ready"
    again = _job(user, document_id, "ai")
    assert again["status"] == "succeeded" and again["finished_at"] > ai["finished_at"]
    assert user.http.get(f"/api/v1/documents/{document_id}/results").status_code == 200

    extract = _job(user, document_id, "extract")
    rerun = user.http.post(f"/api/v1/jobs/{extract['id']}/retry")
    assert rerun.status_code == 202
    # Cancel whatever of the re-run has not finished yet; the document ends cancelled or ready.
    embed = _job(user, document_id, "embed")
    response = user.http.post(f"/api/v1/jobs/{embed['id']}/cancel")
    assert response.status_code in (200, 409)
    final = user.wait_for(document_id)
    if response.status_code == 200:
        assert final["status"] == "cancelled"
        assert _job(user, document_id, "embed")["error"]["code"] == "cancelled"
    else:
        assert final["status"] == "ready"


def test_an_upload_while_redis_is_down_is_accepted_and_still_processed(user: ApiUser, stack: Stack) -> None:
    """The row is the truth: a publish that fails after commit is repaired by the sweeper once the
    broker is back (here the supervisor restarts the killed Redis, as a container platform would)."""
    redis_process = stack.supervisor.processes["redis"]
    old_pid = redis_process.pid
    os.kill(old_pid, signal.SIGKILL)
    response = user.upload("while-down.txt", make.txt(f"uploaded while the broker was down {time.time()}"))
    assert response.status_code == 202, response.text
    document = user.wait_for(response.json()["id"], timeout=180)
    assert document["status"] == "ready"
    assert redis_process.pid != old_pid  # it really was restarted


def test_a_database_outage_is_a_503_then_everything_recovers(user: ApiUser, stack: Stack) -> None:
    postgres = stack.supervisor.processes["postgres"]
    os.kill(postgres.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    outage = None
    while time.monotonic() < deadline:
        outage = user.http.get("/api/v1/documents")
        if outage.status_code == 503:
            break
        time.sleep(0.1)
    assert outage is not None and outage.status_code == 503, outage.text
    assert outage.json()["code"] == "database_unavailable" and outage.headers["Retry-After"]
    ready = user.http.get("/health/ready")
    assert ready.status_code in (200, 503)  # the supervisor may already have restarted it

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and user.http.get("/health/ready").status_code != 200:
        time.sleep(0.5)
    response = user.upload("after-outage.txt", make.txt(f"after the outage {time.time()}"))
    assert response.status_code == 202, response.text
    assert user.wait_for(response.json()["id"], timeout=180)["status"] == "ready"
