"""Fair share: one user's many jobs wait in the database, not in front of everyone else's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.db.outbox import pending
from shared.jobs import dispatch, runs, service
from shared.jobs.errors import TransientJobError
from shared.models import Job
from tests.db.conftest import make_document, make_user

SETTINGS = JobSettings(DISPATCH_PER_USER=2, JOB_RETRY_BASE_SECONDS=60)


def _upload(session: Session, owner) -> Job:
    document = make_document(session, owner)
    (job,) = runs.start_run(session, document.id, ["extract"], SETTINGS, reason="upload")
    return job


def _published(session: Session, jobs: list[Job]) -> list[bool]:
    ids = [job.id for job in jobs]
    found = dict(session.execute(select(Job.id, Job.published_at).where(Job.id.in_(ids))).all())
    return [found[i] is not None for i in ids]


def test_a_busy_user_has_at_most_the_cap_in_the_broker(session: Session) -> None:
    busy, quiet = make_user(session), make_user(session)
    start = len(pending(session))
    many = [_upload(session, busy) for _ in range(6)]
    assert _published(session, many) == [True, True, False, False, False, False]
    single = _upload(session, quiet)
    assert _published(session, [single]) == [True]  # not behind the busy user's four held jobs
    sent = [m.args[0] for m in pending(session)[start:]]
    assert sent == [str(many[0].id), str(many[1].id), str(single.id)]


def test_a_finished_job_makes_room_for_the_owners_next(session: Session) -> None:
    owner = make_user(session)
    jobs = [_upload(session, owner) for _ in range(4)]
    service.complete(session, service.claim(session, jobs[0].id, "w", 60), cap=2)
    assert _published(session, jobs) == [True, True, True, False]
    claim = service.claim(session, jobs[1].id, "w", 60)
    service.fail(session, claim, TransientJobError("x", "y"), SETTINGS)  # retrying frees the slot too
    assert _published(session, jobs) == [True, True, True, True]


def test_the_sweeper_finds_held_jobs_of_every_owner(session: Session) -> None:
    a, b = make_user(session), make_user(session)
    for owner in (a, b):
        for _ in range(3):
            _upload(session, owner)
    held = dispatch.held_owners(session, 100)
    assert (a.id, "ocr") in held and (b.id, "ocr") in held
