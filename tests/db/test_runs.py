"""Runs against a real PostgreSQL: a document shows one succeeded run of each step, switched in together,
and nothing of a run that failed, was cancelled or is still going."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.db.outbox import pending
from shared.documents import service as documents
from shared.documents.access import Role
from shared.documents.errors import ResultsNotReady
from shared.jobs import actions, runs, service
from shared.jobs.errors import JobConflict, PermanentJobError
from shared.models import AiResult, BlobPurge, Chunk, Document, Job, Page
from shared.search.service import SearchMode, search
from tests.db.conftest import make_document, make_user

SETTINGS = JobSettings(JOB_MAX_ATTEMPTS=1, JOB_LEASE_SECONDS=30)
PIPELINE = ["extract", "embed", "ai"]


def _no_embeddings():
    raise AssertionError("keyword search embeds nothing")


def _write_outputs(session: Session, job: Job, word: str) -> None:
    """What each built-in step stores, tagged with its job, as the steps write it."""
    if job.kind == "extract":
        for page_no in (1, 2):
            session.add(
                Page(job_id=job.id, document_id=job.document_id, page_no=page_no, source="text_layer",
                     text=f"{word} page {page_no}")
            )  # fmt: skip
    elif job.kind == "embed":
        session.add(
            Chunk(job_id=job.id, document_id=job.document_id, model_key="local:all-MiniLM-L6-v2", chunk_no=0,
                  page_start=1, page_end=2, text=f"{word} chunk", token_count=2, embedding=[0.1] * 384)
        )  # fmt: skip
    else:
        session.add(
            AiResult(job_id=job.id, document_id=job.document_id, summary=f"{word} summary", fields={},
                     keywords=[word], provider="local", model="test")
        )  # fmt: skip
    session.flush()


def _succeed(session: Session, job: Job, word: str) -> None:
    claim = service.claim(session, job.id, "w", 60)
    assert claim is not None, f"{job.kind} was not claimable"
    _write_outputs(session, job, word)
    service.complete(session, claim)


def _run_to_the_end(session: Session, jobs: list[Job], word: str) -> None:
    by_kind = {job.kind: job for job in jobs}
    for kind in PIPELINE:
        if kind in by_kind:
            _succeed(session, by_kind[kind], word)


def _view(session: Session, document: Document) -> dict:
    session.expire_all()
    fresh = session.get(Document, document.id)
    view = documents.document_view(session, fresh, Role.OWNER)
    pages, _ = documents.page_views(session, fresh, after=0, limit=50, with_lines=False)
    try:
        summary = documents.results_view(session, fresh).summary
    except ResultsNotReady:
        summary = None
    return {
        "status": view.status,
        "jobs": {job.kind: job for job in view.jobs},
        "outputs": view.outputs,
        "pages": [page.text for page in pages],
        "summary": summary,
        "page_count": fresh.page_count,
    }


def _found(session: Session, owner_id: uuid.UUID, word: str) -> bool:
    hits = search(session, owner_id, word, limit=10, mode=SearchMode.KEYWORD, embeddings=_no_embeddings)
    return bool(hits)


@pytest.fixture
def ready(session: Session) -> tuple[Document, list[Job]]:
    """A document whose first run (the words 'alpha') has succeeded."""
    document = make_document(session, make_user(session), page_count=None)
    jobs = runs.start_run(session, document.id, PIPELINE, SETTINGS, reason="upload")
    _run_to_the_end(session, jobs, "alpha")
    return document, jobs


def test_a_first_run_shows_nothing_until_all_of_it_has_succeeded(session: Session) -> None:
    document = make_document(session, make_user(session), page_count=None)
    jobs = {
        job.kind: job for job in runs.start_run(session, document.id, PIPELINE, SETTINGS, reason="upload")
    }
    _succeed(session, jobs["extract"], "alpha")
    _succeed(session, jobs["embed"], "alpha")
    halfway = _view(session, document)
    assert halfway["status"] == "processing" and halfway["outputs"] == {}
    assert halfway["pages"] == [] and halfway["summary"] is None
    assert not _found(session, document.owner_id, "alpha")

    _succeed(session, jobs["ai"], "alpha")
    done = _view(session, document)
    assert done["status"] == "ready"
    assert done["outputs"] == {kind: job.id for kind, job in jobs.items()}
    assert done["pages"] == ["alpha page 1", "alpha page 2"] and done["summary"] == "alpha summary"
    assert done["page_count"] == 2  # published with the pages
    assert _found(session, document.owner_id, "alpha")


def test_a_rerun_builds_beside_the_shown_outputs_and_switches_them_at_once(session: Session, ready) -> None:
    document, first = ready
    second = {job.kind: job for job in actions.reprocess(session, document.id, PIPELINE, SETTINGS)}
    _succeed(session, second["extract"], "beta")
    _succeed(session, second["embed"], "beta")
    during = _view(session, document)
    assert during["status"] == "processing"
    assert during["pages"] == ["alpha page 1", "alpha page 2"] and during["summary"] == "alpha summary"
    assert during["jobs"]["extract"].id == second["extract"].id  # the new run is what is being watched
    assert _found(session, document.owner_id, "alpha") and not _found(session, document.owner_id, "beta")

    _succeed(session, second["ai"], "beta")
    after = _view(session, document)
    assert after["status"] == "ready" and after["outputs"] == {k: j.id for k, j in second.items()}
    assert after["pages"] == ["beta page 1", "beta page 2"] and after["summary"] == "beta summary"
    assert _found(session, document.owner_id, "beta") and not _found(session, document.owner_id, "alpha")
    old = [job.id for job in first]
    for table in (Page, Chunk, AiResult):  # the replaced outputs are gone, not just hidden
        assert session.scalar(select(func.count()).select_from(table).where(table.job_id.in_(old))) == 0


def test_a_rerun_that_fails_leaves_the_previous_outputs_and_says_why(session: Session, ready) -> None:
    document, first = ready
    second = {job.kind: job for job in actions.reprocess(session, document.id, PIPELINE, SETTINGS)}
    _succeed(session, second["extract"], "beta")
    claim = service.claim(session, second["embed"].id, "w", 60)
    _write_outputs(session, second["embed"], "beta")
    service.fail(session, claim, PermanentJobError("provider_rejected_input", "too long"), SETTINGS)
    assert _view(session, document)["status"] == "processing"  # its ai job still runs
    _succeed(session, second["ai"], "beta")

    after = _view(session, document)
    assert after["status"] == "failed"
    assert after["jobs"]["embed"].error.code == "provider_rejected_input"
    assert after["pages"] == ["alpha page 1", "alpha page 2"] and after["summary"] == "alpha summary"
    assert after["outputs"] == {job.kind: job.id for job in first}
    assert _found(session, document.owner_id, "alpha") and not _found(session, document.owner_id, "beta")
    assert session.scalar(select(func.count()).where(Chunk.job_id == second["embed"].id)) == 0


def test_a_failed_first_run_shows_nothing_and_a_retry_completes_it(session: Session) -> None:
    document = make_document(session, make_user(session))
    jobs = {
        job.kind: job for job in runs.start_run(session, document.id, PIPELINE, SETTINGS, reason="upload")
    }
    _succeed(session, jobs["extract"], "alpha")
    _succeed(session, jobs["ai"], "alpha")
    claim = service.claim(session, jobs["embed"].id, "w", 60)
    service.fail(session, claim, PermanentJobError("provider_rejected_input", "no"), SETTINGS)
    failed = _view(session, document)
    assert failed["status"] == "failed" and failed["outputs"] == {}
    assert failed["pages"] == [] and failed["summary"] is None
    assert not _found(session, document.owner_id, "alpha")  # no failed document's leftovers in search

    again = actions.retry(session, jobs["embed"].id, SETTINGS)
    assert again.id == jobs["embed"].id  # the run was never shown: it runs again in place
    _succeed(session, again, "alpha")
    done = _view(session, document)
    assert done["status"] == "ready" and done["pages"] == ["alpha page 1", "alpha page 2"]
    assert _found(session, document.owner_id, "alpha")


def test_retrying_a_shown_job_rebuilds_it_and_what_reads_it_in_a_new_run(session: Session, ready) -> None:
    document, first = ready
    by_kind = {job.kind: job for job in first}
    before = len(pending(session))
    ai = actions.retry(session, by_kind["ai"].id, SETTINGS)
    assert ai.id != by_kind["ai"].id and ai.status == "queued" and ai.depends_on_id == by_kind["extract"].id
    assert [m.args for m in pending(session)[before:]] == [(str(ai.id),)]
    during = _view(session, document)
    assert during["summary"] == "alpha summary" and during["jobs"]["ai"].id == ai.id
    assert during["jobs"]["extract"].id == by_kind["extract"].id  # not rebuilt: still shown

    with pytest.raises(JobConflict) as busy:
        actions.retry(session, by_kind["embed"].id, SETTINGS)
    assert busy.value.code == "document_busy"
    _succeed(session, ai, "beta")
    after = _view(session, document)
    assert after["summary"] == "beta summary" and after["pages"] == ["alpha page 1", "alpha page 2"]
    assert after["outputs"]["ai"] == ai.id and after["outputs"]["embed"] == by_kind["embed"].id

    with pytest.raises(JobConflict) as superseded:
        actions.retry(session, by_kind["ai"].id, SETTINGS)
    assert superseded.value.code == "job_superseded"

    extract = actions.retry(session, by_kind["extract"].id, SETTINGS)
    rebuilt = session.scalars(select(Job.kind).where(Job.run_id == extract.run_id)).all()
    assert sorted(rebuilt) == ["ai", "embed", "extract"]  # everything that read the pages


def test_a_smaller_pipeline_drops_the_outputs_it_no_longer_makes(session: Session, ready) -> None:
    document, _ = ready
    (extract,) = actions.reprocess(session, document.id, ["extract"], SETTINGS)
    assert _view(session, document)["summary"] == "alpha summary"  # until the new run succeeds
    _succeed(session, extract, "beta")
    after = _view(session, document)
    assert after["outputs"] == {"extract": extract.id} and list(after["jobs"]) == ["extract"]
    assert after["pages"] == ["beta page 1", "beta page 2"] and after["summary"] is None
    assert session.scalar(select(func.count()).where(Chunk.document_id == document.id)) == 0
    assert session.scalar(select(Document.pipeline).where(Document.id == document.id)) == ["extract"]


def test_reprocessing_is_refused_while_a_run_is_in_flight(session: Session, ready) -> None:
    document, _ = ready
    actions.reprocess(session, document.id, PIPELINE, SETTINGS)
    with pytest.raises(JobConflict) as busy:
        actions.reprocess(session, document.id, PIPELINE, SETTINGS)
    assert busy.value.code == "document_busy"


def test_cancelling_discards_the_partial_outputs_and_purges_blobs_after_a_grace(session: Session) -> None:
    document = make_document(session, make_user(session))
    jobs = {
        job.kind: job for job in runs.start_run(session, document.id, PIPELINE, SETTINGS, reason="upload")
    }
    claim = service.claim(session, jobs["extract"].id, "w", 60)
    _write_outputs(session, jobs["extract"], "half")
    actions.cancel(session, jobs["extract"].id, SETTINGS)
    assert session.scalar(select(func.count()).where(Page.job_id == claim.job_id)) == 0
    purge = session.scalar(select(BlobPurge).where(BlobPurge.prefix.contains(str(claim.job_id))))
    assert purge is not None and purge.prefix == f"documents/{document.id}/jobs/{claim.job_id}/"
    lag = session.scalar(select(BlobPurge.due_at - func.now()).where(BlobPurge.id == purge.id))
    assert lag.total_seconds() == pytest.approx(SETTINGS.lease_seconds, abs=1)
    assert _view(session, document)["status"] == "cancelled"


def test_a_new_run_ends_what_is_left_of_an_unfinished_one(session: Session, ready) -> None:
    document, _ = ready
    second = {job.kind: job for job in actions.reprocess(session, document.id, PIPELINE, SETTINGS)}
    _succeed(session, second["extract"], "beta")
    claim = service.claim(session, second["ai"].id, "w", 60)
    service.fail(session, claim, PermanentJobError("x", "y"), SETTINGS)
    actions.cancel(session, second["embed"].id, SETTINGS)  # the run has ended without switching in

    third = actions.reprocess(session, document.id, PIPELINE, SETTINGS)
    assert session.scalar(select(func.count()).where(Page.job_id == second["extract"].id)) == 0
    assert {job.kind for job in third} == set(PIPELINE)
    assert _view(session, document)["summary"] == "alpha summary"
