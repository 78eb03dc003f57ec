"""Runs on real workers, with provider calls the test holds open: cancelling a job while its step is at
work, and re-running a document while it keeps serving what it shows.

The product runs against the local Document Intelligence and OpenAI fakes, which can keep a call waiting
until the test lets it go. A cancelled job ends `cancelled`, nothing it made is kept, and its worker
(one process per queue) takes the next document while the abandoned call is still held; when the call
returns, the abandoned step writes nothing. A re-run leaves the document's text, results and search
hits those of the previous run until it has succeeded, then switches all of them at once; one that
fails leaves them in place.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from cli.stack.stack import Stack
from shared.config import DatabaseSettings
from testkit import documents as make
from testkit.fakes.document_intelligence import FakeDocumentIntelligence
from testkit.fakes.http import Hold
from testkit.fakes.openai_server import FakeOpenAI
from tests.conftest import ApiUser, running_stack

pytestmark = pytest.mark.stack

OUTPUT_TABLES = ("pages", "chunks", "ai_results")


@dataclass
class Cancelling:
    stack: Stack
    engine: Engine
    di: FakeDocumentIntelligence
    openai: FakeOpenAI


@pytest.fixture(scope="module")
def cancelling() -> Iterator[Cancelling]:
    with FakeDocumentIntelligence() as di, FakeOpenAI() as openai_fake:
        env = {
            "OCR_PROVIDER": "azure",
            "AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT": di.endpoint,
            "AZURE_DOCUMENT_INTELLIGENCE_KEY": di.key,
            "AZURE_DOCUMENT_INTELLIGENCE_POLLING_SECONDS": "0.2",
            "AZURE_DOCUMENT_INTELLIGENCE_PAGES_PER_REQUEST": "1",  # one call per page
            "EMBEDDINGS_PROVIDER": "openai",
            "LLM_PROVIDER": "openai",
            "OPENAI_API_KEY": openai_fake.api_key,
            "OPENAI_BASE_URL": openai_fake.base_url,
            "OPENAI_TIMEOUT_SECONDS": "300",
            "EMBEDDING_BATCH_SIZE": "2",  # several calls per document
            "CHUNK_TOKENS": "32",
            "CHUNK_OVERLAP_TOKENS": "0",
        }
        with running_stack("cancel", env) as stack:
            engine = create_engine(DatabaseSettings(DATABASE_URL=stack.env["DATABASE_URL"]).sqlalchemy_url())
            try:
                yield Cancelling(stack, engine, di, openai_fake)
            finally:
                engine.dispose()


def _words(seed: str, pages: int) -> list[str]:
    return [
        f"{seed} page {n}: the surveyor measured the northern boundary stones, the river ford, the old mill "
        f"race and the orchard wall, and wrote each distance into the parish ledger for the {seed} estate."
        for n in range(1, pages + 1)
    ]


CASES = {
    # kind: (the pipeline, the document, the hold, how many calls pass before the held one)
    "extract": ("extract", lambda seed: make.scanned_pdf(_words(seed, 3)[:3]), "di", 1),
    "embed": ("extract,embed", lambda seed: make.text_pdf(_words(seed, 4)), "embeddings", 1),
    "ai": ("extract,ai", lambda seed: make.text_pdf(_words(seed, 2)), "chat", 0),
}


def _hold(env: Cancelling, name: str) -> Hold:
    return env.di.hold if name == "di" else env.openai.holds[name]


def _job(owner: ApiUser, document_id: str, kind: str) -> dict:
    document = owner.http.get(f"/api/v1/documents/{document_id}").json()
    return next(job for job in document["jobs"] if job["kind"] == kind)


def _wait_running(owner: ApiUser, document_id: str, kind: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(owner, document_id, kind)
        if job["status"] == "running":
            return job
        assert job["status"] in ("waiting", "queued"), job
        time.sleep(0.2)
    raise AssertionError(f"the {kind} job of {document_id} did not start")


def _stored(engine: Engine, job_id: str) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE job_id = :job"), {"job": job_id}
            ).scalar_one()
            for table in OUTPUT_TABLES
        }


def _wait_for_line(log: Path, needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and needle in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared in {log}")


@pytest.mark.parametrize("kind", list(CASES))
def test_cancelling_a_running_job_stops_it_keeps_nothing_and_frees_its_worker(
    cancelling: Cancelling, kind: str
) -> None:
    pipeline, build, hold_name, skip = CASES[kind]
    owner = ApiUser(cancelling.stack.api_url, f"canceller-{kind}")
    hold = _hold(cancelling, hold_name)
    held_before = hold.held
    hold.arm(skip=skip)

    first = owner.upload("first.pdf", build("first"), data={"pipeline": pipeline}).json()["id"]
    job = _wait_running(owner, first, kind)
    hold.wait_until_held(held_before + 1)  # the step is inside a provider call that will not return
    stored_before = sum(_stored(cancelling.engine, job["id"]).values())

    cancelled = owner.http.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"

    # The same single worker process takes the next document while the first call is still held.
    second = owner.upload("second.pdf", build("second"), data={"pipeline": pipeline}).json()["id"]
    assert owner.wait_for(second, timeout=120)["status"] == "ready"
    assert hold.held == held_before + 1  # nothing released the first call in the meantime

    document = owner.wait_for(first)
    assert document["status"] == "cancelled" and document["outputs"] == {}
    final = _job(owner, first, kind)
    assert final["status"] == "cancelled" and final["error"]["code"] == "cancelled"
    assert _stored(cancelling.engine, job["id"]) == dict.fromkeys(OUTPUT_TABLES, 0)
    if kind != "ai":
        assert stored_before > 0  # it had written part of its work, which is gone

    hold.release()  # the abandoned call returns; the step notices and writes nothing more
    worker_log = cancelling.stack.data_dir / "logs" / f"worker-{_queue(kind)}.log"
    _wait_for_line(worker_log, f"job {job['id']} attempt 1: its abandoned step has stopped")
    assert _stored(cancelling.engine, job["id"]) == dict.fromkeys(OUTPUT_TABLES, 0)
    job_blobs = cancelling.stack.data_dir / "blobs" / "documents" / first / "jobs" / job["id"]
    deadline = time.monotonic() + 60
    while job_blobs.exists() and time.monotonic() < deadline:  # purged once the attempt surely stopped
        time.sleep(0.5)
    assert not job_blobs.exists()


def _queue(kind: str) -> str:
    return {"extract": "ocr", "embed": "embed", "ai": "ai"}[kind]


def _ready(owner: ApiUser, name: str, pipeline: str = "extract,embed,ai") -> dict:
    data = make.text_pdf([f"The {name} archive holds the harbour ledgers of the lighthouse keepers."])
    uploaded = owner.upload(f"{name}.pdf", data, data={"pipeline": pipeline})
    assert uploaded.status_code == 202, uploaded.text
    document = owner.wait_for(uploaded.json()["id"])
    assert document["status"] == "ready", document
    return document


def _serves(owner: ApiUser, document: dict, name: str) -> None:
    """The document's text, results and search hits are all there, whichever run they come from."""
    pages = owner.http.get(f"/api/v1/documents/{document['id']}/pages").json()["items"]
    assert pages and name in pages[0]["text"]
    assert owner.http.get(f"/api/v1/documents/{document['id']}/results").status_code == 200
    for mode in ("keyword", "semantic"):
        hits = owner.http.get("/api/v1/search", params={"q": f"{name} harbour ledgers", "mode": mode}).json()
        assert document["id"] in {hit["document_id"] for hit in hits["items"]}, mode


def test_a_rerun_serves_the_previous_outputs_until_it_has_succeeded(cancelling: Cancelling) -> None:
    owner = ApiUser(cancelling.stack.api_url, "rerunner")
    document = _ready(owner, "quillon")
    before = document["outputs"]
    assert set(before) == {"extract", "embed", "ai"}

    hold = cancelling.openai.holds["chat"]
    held = hold.held
    hold.arm()
    rerun = owner.http.post(f"/api/v1/documents/{document['id']}/reprocess")
    assert rerun.status_code == 202, rerun.text
    assert rerun.json()["outputs"] == before
    busy = owner.http.post(f"/api/v1/documents/{document['id']}/reprocess")
    assert busy.status_code == 409 and busy.json()["code"] == "document_busy"
    hold.wait_until_held(held + 1)  # the new run's ai call is held
    deadline = time.monotonic() + 120
    while _job(owner, document["id"], "embed")["status"] != "succeeded" and time.monotonic() < deadline:
        time.sleep(0.2)

    during = owner.http.get(f"/api/v1/documents/{document['id']}").json()
    assert during["status"] == "processing" and during["outputs"] == before
    new_jobs = {job["kind"]: job for job in during["jobs"]}
    assert new_jobs["embed"]["status"] == "succeeded" and new_jobs["embed"]["id"] != before["embed"]
    _serves(owner, during, "quillon")
    stored = _stored(cancelling.engine, new_jobs["extract"]["id"])
    assert stored["pages"] > 0  # built beside the current pages, not over them

    hold.release()
    after = owner.wait_for(document["id"])
    assert after["status"] == "ready"
    assert after["outputs"] == {kind: job["id"] for kind, job in new_jobs.items()}
    _serves(owner, after, "quillon")
    for job_id in before.values():  # the replaced outputs are gone
        assert _stored(cancelling.engine, job_id) == dict.fromkeys(OUTPUT_TABLES, 0)


def test_a_rerun_that_fails_leaves_what_the_document_showed(cancelling: Cancelling) -> None:
    owner = ApiUser(cancelling.stack.api_url, "failing-rerunner")
    document = _ready(owner, "gambrel")
    before = document["outputs"]
    cancelling.openai.fail_next("refusal", endpoint="chat")  # a refusal is final: no attempt can succeed

    assert owner.http.post(f"/api/v1/documents/{document['id']}/reprocess").status_code == 202
    after = owner.wait_for(document["id"])
    assert after["status"] == "failed"
    ai = next(job for job in after["jobs"] if job["kind"] == "ai")
    assert ai["status"] == "failed" and ai["error"]["code"] == "ai_refused"
    assert after["outputs"] == before
    _serves(owner, after, "gambrel")
    assert _stored(cancelling.engine, ai["id"]) == dict.fromkeys(OUTPUT_TABLES, 0)


def test_a_schemas_job_is_cancelled_mid_extraction_and_retried_to_completion(cancelling: Cancelling) -> None:
    owner = ApiUser(cancelling.stack.api_url, "schema-canceller")
    document = _ready(owner, "bollard")
    made = owner.http.post(
        "/api/v1/schemas",
        json={
            "name": "Held extraction",
            "fields": [{"name": "archive name", "type": "text", "description": "what the archive is called"}],
        },
    )
    assert made.status_code == 201, made.text
    hold = cancelling.openai.holds["chat"]
    held = hold.held
    hold.arm()
    run = owner.http.post(
        f"/api/v1/schemas/{made.json()['id']}/runs", json={"document_ids": [document["id"]]}
    )
    assert run.status_code == 202, run.text
    (job,) = run.json()["jobs"]
    assert job["kind"] == "schemas"
    hold.wait_until_held(held + 1)  # the extraction's chat call is held

    cancelled = owner.http.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    assert owner.http.get(f"/api/v1/documents/{document['id']}/extractions").json()["items"] == []
    shown = owner.wait_for(document["id"])
    assert shown["outputs"] == document["outputs"]  # what the document showed is still served

    hold.release()  # the abandoned call returns now, into a step that may no longer write

    retried = owner.http.post(f"/api/v1/jobs/{job['id']}/retry")
    assert retried.status_code == 202, retried.text
    deadline = time.monotonic() + 120
    while (again := owner.http.get(f"/api/v1/jobs/{retried.json()['id']}").json())["status"] != "succeeded":
        assert time.monotonic() < deadline and again["status"] in ("queued", "running"), again
        time.sleep(0.3)
    (extraction,) = owner.http.get(f"/api/v1/documents/{document['id']}/extractions").json()["items"]
    assert extraction["provider"] == "openai" and extraction["fields"][0]["name"] == "archive name"
    with cancelling.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT count(*) FROM extraction_results WHERE document_id = :document"),
            {"document": document["id"]},
        ).scalar_one()
    assert rows == 1  # the retried attempt's; the cancelled one wrote nothing
