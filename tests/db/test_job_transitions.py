"""The job state machine against a real PostgreSQL: claims, fencing, release, retry, failure, recovery."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
import uuid

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.db.outbox import attach_outbox, pending
from shared.jobs import actions, recovery, runs, service
from shared.jobs.backoff import retry_delay
from shared.jobs.errors import ClaimLost, JobConflict, PermanentJobError, TransientJobError
from shared.jobs.states import DocumentStatus, JobStatus, derive_document_status
from shared.models import Document, Job, JobEvent, Page, User
from tests.db.conftest import make_document, make_user

SETTINGS = JobSettings(JOB_MAX_ATTEMPTS=3, JOB_RETRY_BASE_SECONDS=10, JOB_RETRY_MAX_SECONDS=60)


def _pipeline(session: Session, kinds=("extract", "embed", "ai")) -> tuple[Document, dict]:
    document = make_document(session, make_user(session))
    jobs = runs.start_run(session, document.id, kinds, SETTINGS, reason="upload")
    return document, {job.kind: job for job in jobs}


def _job(session: Session, job_id: uuid.UUID) -> Job:
    return session.get(Job, job_id, populate_existing=True)


def _status(session: Session, document: Document) -> str:
    return session.scalar(select(Document.status).where(Document.id == document.id))


def test_a_new_pipeline_queues_extract_and_holds_the_rest(session: Session) -> None:
    _, jobs = _pipeline(session)
    assert jobs["extract"].status == "queued"
    assert jobs["embed"].status == jobs["ai"].status == "waiting"
    assert jobs["embed"].depends_on_id == jobs["extract"].id
    assert jobs["ai"].depends_on_id == jobs["extract"].id
    messages = pending(session)
    assert [(m.queue, m.args) for m in messages] == [("ocr", (str(jobs["extract"].id),))]
    assert messages[0].task == "workopti.jobs.extract"


def test_a_run_needs_what_its_first_step_reads(session: Session) -> None:
    document = make_document(session, make_user(session))
    with pytest.raises(JobConflict) as refused:
        runs.start_run(session, document.id, ["embed"], SETTINGS, reason="upload")
    assert refused.value.code == "input_missing"


def test_a_job_is_claimed_once_however_often_it_is_delivered(session: Session) -> None:
    document, jobs = _pipeline(session)
    extract = jobs["extract"]
    first = service.claim(session, extract.id, "w1", 60)
    second = service.claim(session, extract.id, "w2", 60)
    assert first is not None and first.attempt == 1 and first.worker == "w1"
    assert second is None
    job = _job(session, extract.id)
    assert job.status == "running" and job.attempts == 1 and job.worker == "w1"
    assert job.lease_expires_at is not None and job.wait_ms is not None
    assert _status(session, document) == "processing"


def test_claiming_an_unknown_or_waiting_job_does_nothing(session: Session) -> None:
    _, jobs = _pipeline(session)
    assert service.claim(session, uuid.uuid4(), "w", 60) is None
    assert service.claim(session, jobs["embed"].id, "w", 60) is None  # still waiting


def test_success_releases_the_jobs_that_waited_and_publishes_them(session: Session) -> None:
    document, jobs = _pipeline(session)
    claim = service.claim(session, jobs["extract"].id, "w", 60)
    before = len(pending(session))
    released = service.complete(session, claim)
    assert set(released) == {jobs["embed"].id, jobs["ai"].id}
    queues = sorted(m.queue for m in pending(session)[before:])
    assert queues == ["ai", "embed"]
    assert _job(session, jobs["extract"].id).status == "succeeded"
    assert _job(session, jobs["extract"].id).run_ms is not None
    assert _status(session, document) == "processing"

    for kind in ("embed", "ai"):
        service.complete(session, service.claim(session, jobs[kind].id, "w", 60))
    assert _status(session, document) == "ready"


def test_a_stale_attempt_cannot_complete_or_write(session: Session) -> None:
    _, jobs = _pipeline(session)
    claim = service.claim(session, jobs["extract"].id, "w", 60)
    stale = dataclasses.replace(claim, attempt=claim.attempt + 1)
    with pytest.raises(ClaimLost):
        service.complete(session, stale)
    with pytest.raises(ClaimLost):
        service.report_progress(session, stale, 0.5, 60)
    assert not service.renew_lease(session, stale, 60)
    assert service.renew_lease(session, claim, 60)


def test_a_transient_failure_backs_off_then_comes_back(session: Session) -> None:
    document, jobs = _pipeline(session)
    extract = jobs["extract"]
    claim = service.claim(session, extract.id, "w", 60)
    status = service.fail(session, claim, TransientJobError("storage_unavailable", "down"), SETTINGS)
    assert status is JobStatus.RETRYING
    job = _job(session, extract.id)
    assert job.error_code == "storage_unavailable" and job.next_attempt_at is not None
    now = session.scalar(select(Job.updated_at).where(Job.id == extract.id))
    assert dt.timedelta(seconds=5) <= job.next_attempt_at - now <= dt.timedelta(seconds=10)
    assert _status(session, document) == "processing"

    assert not recovery.requeue_retry(session, extract.id)  # backoff has not passed
    session.execute(
        update(Job).where(Job.id == extract.id).values(next_attempt_at=now - dt.timedelta(seconds=1))
    )
    assert extract.id in recovery.due_retries(session, 10)
    assert recovery.requeue_retry(session, extract.id)
    assert _job(session, extract.id).status == "queued"
    second = service.claim(session, extract.id, "w", 60)
    assert second.attempt == 2


def test_a_retry_waits_at_least_as_long_as_the_provider_asked(session: Session) -> None:
    _, jobs = _pipeline(session)
    claim = service.claim(session, jobs["extract"].id, "w", 60)
    throttled = TransientJobError("ocr_rate_limited", "busy", retry_after=45)
    assert service.fail(session, claim, throttled, SETTINGS) is JobStatus.RETRYING
    job = _job(session, jobs["extract"].id)
    assert job.next_attempt_at - job.updated_at >= dt.timedelta(seconds=45)  # backoff alone: 5-10 s


def test_the_last_attempt_fails_the_job_cancels_the_rest_and_removes_partial_pages(session: Session) -> None:
    document, jobs = _pipeline(session)
    extract = jobs["extract"]
    session.execute(update(Job).where(Job.id == extract.id).values(attempts=2))
    claim = service.claim(session, extract.id, "w", 60)
    assert claim.attempt == 3
    session.add(Page(job_id=extract.id, document_id=document.id, page_no=1, text="half", source="ocr"))
    session.flush()
    status = service.fail(session, claim, TransientJobError("boom", "still down"), SETTINGS)
    assert status is JobStatus.FAILED
    assert _job(session, extract.id).finished_at is not None
    for kind in ("embed", "ai"):
        child = _job(session, jobs[kind].id)
        assert child.status == "cancelled" and child.error_code == "upstream_failed"
    assert session.scalar(select(Page).where(Page.document_id == document.id)) is None
    assert _status(session, document) == "failed"


def test_a_permanent_failure_does_not_retry(session: Session) -> None:
    document, jobs = _pipeline(session)
    claim = service.claim(session, jobs["extract"].id, "w", 60)
    status = service.fail(session, claim, PermanentJobError("corrupt_file", "unreadable"), SETTINGS)
    assert status is JobStatus.FAILED
    assert _job(session, jobs["extract"].id).attempts == 1
    assert _status(session, document) == "failed"


def test_cancel_stops_the_job_and_what_waits_on_it(session: Session) -> None:
    document, jobs = _pipeline(session)
    claim = service.claim(session, jobs["extract"].id, "w", 60)
    actions.cancel(session, jobs["extract"].id, SETTINGS)
    assert _job(session, jobs["embed"].id).status == "cancelled"
    with pytest.raises(ClaimLost):  # the running attempt notices at its next write
        service.report_progress(session, claim, 0.5, 60)
    with pytest.raises(JobConflict) as conflict:
        actions.cancel(session, jobs["extract"].id, SETTINGS)
    assert conflict.value.code == "job_finished"
    assert _status(session, document) == "cancelled"


def test_retry_reruns_an_ended_job_and_resets_what_follows(session: Session) -> None:
    document, jobs = _pipeline(session)
    claim = service.claim(session, jobs["extract"].id, "w", 60)
    service.fail(session, claim, PermanentJobError("corrupt_file", "unreadable"), SETTINGS)

    with pytest.raises(JobConflict) as early:
        actions.retry(session, jobs["embed"].id, SETTINGS)
    assert early.value.code == "dependency_not_done"

    before = len(pending(session))
    job = actions.retry(session, jobs["extract"].id, SETTINGS)
    assert job.status == "queued" and job.attempts == 0 and job.error_code is None
    assert [m.queue for m in pending(session)[before:]] == ["ocr"]
    for kind in ("embed", "ai"):
        assert _job(session, jobs[kind].id).status == "waiting"
    assert _status(session, document) == "queued"
    with pytest.raises(JobConflict) as active:
        actions.retry(session, jobs["extract"].id, SETTINGS)
    assert active.value.code == "job_active"


def test_a_job_whose_worker_died_is_requeued_then_failed_when_out_of_attempts(session: Session) -> None:
    _, jobs = _pipeline(session)
    extract = jobs["extract"].id
    service.claim(session, extract, "w-dead", 60)
    assert recovery.recover_expired(session, extract) is None  # the lease is still good
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    session.execute(update(Job).where(Job.id == extract).values(lease_expires_at=past))
    assert extract in recovery.expired_leases(session, 10)
    assert recovery.recover_expired(session, extract) is JobStatus.QUEUED
    job = _job(session, extract)
    assert job.status == "queued" and job.error_code == "worker_lost" and "w-dead" in job.error_message

    session.execute(update(Job).where(Job.id == extract).values(attempts=2))
    service.claim(session, extract, "w-dead-again", 60)
    session.execute(update(Job).where(Job.id == extract).values(lease_expires_at=past))
    assert recovery.recover_expired(session, extract) is JobStatus.FAILED
    assert _job(session, extract).status == "failed"
    assert _job(session, jobs["embed"].id).status == "cancelled"


def test_lost_messages_are_republished_only_when_stale(session: Session) -> None:
    _, jobs = _pipeline(session)
    extract = jobs["extract"].id
    assert extract not in recovery.stale_queued(session, "ocr", 30, 100)
    session.execute(
        update(Job)
        .where(Job.id == extract)
        .values(published_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    )
    assert extract in recovery.stale_queued(session, "ocr", 30, 100)
    before = len(pending(session))
    assert recovery.republish(session, extract)
    assert [m.args for m in pending(session)[before:]] == [(str(extract),)]
    details = session.scalars(select(JobEvent.detail).where(JobEvent.job_id == extract)).all()
    assert "message republished" in details


def test_every_transition_is_in_the_history(session: Session) -> None:
    _, jobs = _pipeline(session)
    extract = jobs["extract"].id
    claim = service.claim(session, extract, "w", 60)
    service.fail(session, claim, TransientJobError("x", "y"), SETTINGS)
    events = session.scalars(
        select(JobEvent.status).where(JobEvent.job_id == extract).order_by(JobEvent.id)
    ).all()
    assert events == ["queued", "running", "retrying"]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], DocumentStatus.READY),
        (["queued", "waiting"], DocumentStatus.QUEUED),
        (["running", "waiting"], DocumentStatus.PROCESSING),
        (["succeeded", "queued"], DocumentStatus.PROCESSING),
        (["retrying", "waiting"], DocumentStatus.PROCESSING),
        (["succeeded", "succeeded"], DocumentStatus.READY),
        (["succeeded", "failed", "cancelled"], DocumentStatus.FAILED),
        (["succeeded", "cancelled"], DocumentStatus.CANCELLED),
    ],
)
def test_document_status_is_derived_from_its_jobs(statuses: list[str], expected: DocumentStatus) -> None:
    assert derive_document_status(JobStatus(s) for s in statuses) is expected


def test_retry_delay_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempt in range(1, 10):
        ceiling = min(60, 5 * 2 ** (attempt - 1))
        delays = [retry_delay(attempt, base=5, cap=60, rng=rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len({round(d, 6) for d in delays}) > 40  # jittered, not a fixed schedule


def test_two_jobs_finishing_at_once_leave_the_document_ready(db_engine: Engine) -> None:
    """Without the per-document lock, each transaction sees the other job still running (write skew):
    the document stays 'processing' forever and the run never switches in."""
    with Session(db_engine, expire_on_commit=False) as setup:
        attach_outbox(setup)
        owner = make_user(setup)
        document = make_document(setup, owner)
        jobs = {
            j.kind: j
            for j in runs.start_run(setup, document.id, ["extract", "embed", "ai"], SETTINGS, reason="upload")
        }
        service.complete(setup, service.claim(setup, jobs["extract"].id, "w", 60))
        claims = [service.claim(setup, jobs[k].id, "w", 60) for k in ("embed", "ai")]
        setup.commit()
    try:
        for _ in range(5):
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def finish(
                claim: service.Claim, barrier: threading.Barrier = barrier, errors: list = errors
            ) -> None:
                try:
                    with Session(db_engine) as s:
                        attach_outbox(s)
                        barrier.wait()
                        service.complete(s, claim)
                        s.commit()
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=finish, args=(c,)) for c in claims]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors
            with Session(db_engine) as check:
                assert check.scalar(select(Document.status).where(Document.id == document.id)) == "ready"
                current = check.scalars(select(Job.id).where(Job.document_id == document.id, Job.current))
                assert set(current) == {jobs["extract"].id, *(c.job_id for c in claims)}
                # a new run of both, each running, for the next round
                attach_outbox(check)
                again = runs.start_run(check, document.id, ["embed", "ai"], SETTINGS, reason="retry")
                claims = [service.claim(check, job.id, "w", 60) for job in again]
                check.commit()
    finally:
        with Session(db_engine) as cleanup:
            cleanup.execute(delete(User).where(User.id == owner.id))
            cleanup.commit()
