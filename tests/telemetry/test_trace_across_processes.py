"""One trace from the upload request to every job it caused, across the API and worker processes.

The product runs as usual, exporting over OTLP/HTTP to a receiver in this test. The owner may have one
job per queue in flight (DISPATCH_PER_USER=1), so the second document's jobs are held in the database
and published later by the first document's jobs finishing: their messages travel in the first
document's trace, yet their job spans must still continue the second upload's trace.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser, running_stack
from tests.telemetry.receiver import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.stack

KINDS = ("extract", "embed", "ai")
NOTE = b"Minutes of the harbour committee. The ferry timetable changes in May."


@dataclass
class Traced:
    stack: Stack
    receiver: OtlpReceiver
    documents: dict[str, str]  # name -> document id, in upload order
    jobs: dict[str, dict[str, ReceivedSpan]]  # document id -> kind -> its job span


def _job_spans(spans: list[ReceivedSpan], document_id: str) -> dict[str, ReceivedSpan]:
    return {
        span.attributes["workopti.job.kind"]: span
        for span in spans
        if span.name.startswith("job ") and span.attributes.get("workopti.document.id") == document_id
    }


@pytest.fixture(scope="module")
def traced() -> Iterator[Traced]:
    with OtlpReceiver() as receiver:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "DISPATCH_PER_USER": "1",
            "LOG_FORMAT": "json",
        }
        with running_stack("traced", env) as stack:
            owner = ApiUser(stack.api_url, "traced-user")
            # The scan takes seconds to OCR, so the note's extract is still held when its upload commits.
            scan = make.scanned_pdf(["The lighthouse keeper wrote down every passing ship."])
            uploads = {"scan": ("scan.pdf", scan), "note": ("note.txt", NOTE)}
            documents = {}
            for name, (filename, content) in uploads.items():
                response = owner.upload(filename, content)
                assert response.status_code == 202, response.text
                documents[name] = response.json()["id"]
            for document_id in documents.values():
                assert owner.wait_for(document_id)["status"] == "ready"
            # Finished spans leave each process in batches every 200 ms; wait until every job's has come.
            deadline = time.monotonic() + 60
            jobs: dict[str, dict[str, ReceivedSpan]] = {}
            while time.monotonic() < deadline:
                received = receiver.received()
                jobs = {d: _job_spans(received, d) for d in documents.values()}
                if all(set(found) == set(KINDS) for found in jobs.values()):
                    break
                time.sleep(0.2)
            owner.http.close()
            yield Traced(stack, receiver, documents, jobs)


def _upload_spans(traced: Traced) -> list[ReceivedSpan]:
    return [
        span
        for span in traced.receiver.received()
        if span.kind == "SERVER" and span.name == "POST /api/v1/documents"
    ]


def _ancestors(traced: Traced, span: ReceivedSpan) -> list[str]:
    by_id = {s.span_id: s for s in traced.receiver.received()}
    found = []
    while span.parent_id is not None and span.parent_id in by_id:
        span = by_id[span.parent_id]
        found.append(span.span_id)
    return found


def test_every_job_continues_the_trace_of_its_upload_request(traced: Traced) -> None:
    uploads = {span.trace_id: span for span in _upload_spans(traced)}
    assert len(uploads) == 2, "one server span per upload, each its own trace"
    for document_id, jobs in traced.jobs.items():
        assert set(jobs) == set(KINDS), f"document {document_id}: job spans received for {sorted(jobs)}"
        trace_ids = {span.trace_id for span in jobs.values()}
        assert len(trace_ids) == 1, f"document {document_id}: its jobs are spread over {trace_ids}"
        (trace_id,) = trace_ids
        request = uploads[trace_id]  # KeyError: the jobs' trace holds no upload request
        assert request.service == "workopti-api"
        assert request.attributes["http.response.status_code"] == 202
        for kind, span in jobs.items():
            assert span.service == "workopti-worker"
            # The jobs were created inside the request (its endpoint span): their parent is in it.
            assert request.span_id in _ancestors(traced, span), kind
            assert span.attributes["workopti.job.outcome"] == "succeeded"
    traces = [next(iter(jobs.values())).trace_id for jobs in traced.jobs.values()]
    assert len(set(traces)) == 2, "two uploads, two traces"


def test_a_held_job_published_by_another_documents_job_stays_in_its_own_trace(traced: Traced) -> None:
    scan, note = (traced.jobs[traced.documents[name]] for name in ("scan", "note"))
    note_extract = note["extract"]
    # The note's extract was held and published when the scan's extract finished, from inside the scan's
    # job: the delivery (the Celery task span it links to) is in the scan's trace ...
    delivery_traces = {trace_id for trace_id, _ in note_extract.links}
    assert delivery_traces == {scan["extract"].trace_id}
    # ... and the job itself still continues the note's upload.
    assert note_extract.trace_id != scan["extract"].trace_id
    assert note_extract.trace_id == note["ai"].trace_id


def test_the_work_inside_a_job_is_traced_under_it(traced: Traced) -> None:
    received = traced.receiver.received()
    extract = traced.jobs[traced.documents["note"]]["extract"]
    children = [span for span in received if span.parent_id == extract.span_id]
    statements = [
        span
        for span in children
        if span.kind == "CLIENT" and span.attributes.get("db.system") == "postgresql"
    ]
    assert statements, "the job's SQL statements are its children"
    # The scan's extract released its own embed and ai jobs: their messages left from inside it.
    scan_extract = traced.jobs[traced.documents["scan"]]["extract"]
    assert any(span.kind == "PRODUCER" and span.parent_id == scan_extract.span_id for span in received)


def test_json_log_lines_of_a_job_carry_its_trace_id(traced: Traced) -> None:
    note = traced.documents["note"]
    extract = traced.jobs[note]["extract"]
    lines = (traced.stack.data_dir / "logs" / "worker-ocr.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    started = [r for r in records if "(extract) attempt 1 started" in r.get("message", "")
               and r.get("trace_id") == extract.trace_id]  # fmt: skip
    assert len(started) == 1, "the worker's JSON line for the note's extract names the note's trace"
    assert started[0]["span_id"] == extract.span_id
    assert started[0]["service"] == "worker"
