"""Runs: the jobs started together to (re)build some of a document's outputs, and the switch that makes
their outputs the ones the document shows.

Every job stores its outputs tagged with its own id, beside what earlier runs made. Per kind, the
document shows the outputs of exactly one succeeded job, the `current` one. A run's outputs become
current all at once, in the transaction in which its last job succeeds; the outputs they replace, and
those of kinds that were read from the replaced ones without being rebuilt, are discarded in that same
transaction. Until then the earlier outputs keep serving. So a reader never sees the pages of one run
with the chunks of another, a summary of text that no longer exists, or anything of a run that failed:
a failed re-run leaves the earlier outputs in place, and a document whose only run failed shows nothing.

One run per document is in flight at a time, the newest (`documents.run_id`). Starting a run ends what
is left of an unfinished earlier one and discards its outputs.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import cast

from sqlalchemy import Boolean, Table, bindparam, case, func, insert, null, or_, select, update
from sqlalchemy.orm import Session, aliased

from shared.config import JobSettings
from shared.db.outbox import enqueue
from shared.events import service as events
from shared.jobs.dispatch import dispatch, queue_time
from shared.jobs.errors import JobConflict
from shared.jobs.kinds import catalog
from shared.jobs.states import TERMINAL_STATUSES, JobStatus, derive_document_status
from shared.jobs.step import JobRef, job_prefix
from shared.jobs.transitions import descendants, lock_document, record_event, release
from shared.messaging.tasks import purge_message
from shared.models import BlobPurge, Document, Job, JobEvent

log = logging.getLogger(__name__)


# --- what the document shows ---------------------------------------------------------------------


def latest_run(session: Session, document_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(select(Document.run_id).where(Document.id == document_id))


def overview(session: Session, document_id: uuid.UUID) -> tuple[list[Job], dict[str, Job]]:
    """(the jobs a person sees, per kind the job whose outputs are current). A person sees, per kind,
    the newest run's job, else the current one: what is being done, or what was done."""
    # The newest run's id comes back with each row: one statement for both.
    newest_run = select(Document.run_id).where(Document.id == document_id).scalar_subquery()
    found = session.execute(
        select(Job, newest_run).where(
            Job.document_id == document_id, or_(Job.run_id == newest_run, Job.current)
        )
    ).all()
    run_id = found[0][1] if found else None
    rows = [job for job, _ in found]
    newest = [job for job in rows if job.run_id == run_id]
    current = {job.kind: job for job in rows if job.current}
    rebuilding = {job.kind for job in newest}
    shown = newest + [job for kind, job in current.items() if kind not in rebuilding]
    order = {name: position for position, name in enumerate(catalog().names())}
    return sorted(shown, key=lambda job: (order.get(job.kind, len(order)), job.kind)), current


def shown_jobs(session: Session, document_id: uuid.UUID) -> list[Job]:
    return overview(session, document_id)[0]


def current_jobs(session: Session, document_id: uuid.UUID) -> Sequence[Job]:
    return session.scalars(select(Job).where(Job.document_id == document_id, Job.current)).all()


def in_flight(session: Session, document_id: uuid.UUID) -> bool:
    """Whether the newest run still has jobs to run."""
    run_id = latest_run(session, document_id)
    unfinished = select(Job.id).where(
        Job.run_id == run_id, Job.status.not_in([status.value for status in TERMINAL_STATUSES])
    )
    return session.scalar(select(unfinished.exists())) or False


def refresh_document(session: Session, document_id: uuid.UUID) -> None:
    """Re-derive the document's status from the jobs it shows and bump its revision (its ETag)."""
    status = derive_document_status(JobStatus(job.status) for job in shown_jobs(session, document_id))
    before = aliased(Document)
    previous = session.scalar(
        update(Document)
        .where(Document.id == document_id, before.id == Document.id)
        .values(status=status.value, revision=Document.revision + 1, updated_at=func.now())
        .returning(before.status)  # the joined row is read as it was before this update
    )
    events.document_changed(session, document_id, entered=status.value if previous != status.value else None)


# --- starting ------------------------------------------------------------------------------------


def start_run(
    session: Session,
    document_id: uuid.UUID,
    kinds: Iterable[str],
    settings: JobSettings,
    *,
    reason: str,
    publish: bool = True,
) -> list[Job]:
    """A new run of `kinds`, now the document's newest: the jobs that can start are queued (published
    after commit, or held for the sweeper's dispatch when not `publish`), the rest wait on them. A kind
    whose parent is not part of the run reads the parent's current outputs, which must exist."""
    known = catalog()
    ordered = known.order(kinds)
    if not ordered:
        raise ValueError("a run needs at least one job kind")
    if not lock_document(session, document_id):
        raise ValueError(f"document {document_id} does not exist")
    previous = latest_run(session, document_id)
    current: dict[str, Job] = {}
    if previous is not None:  # a document's first run (its upload's) has nothing to end or read
        supersede(session, previous, settings)
        current = {job.kind: job for job in current_jobs(session, document_id)}

    run_id = uuid.uuid4()
    by_kind: dict[str, Job] = {}
    for name in ordered:
        kind = known.get(name)
        parent = by_kind.get(kind.follows) if kind.follows else None
        upstream = parent or (current.get(kind.follows) if kind.follows else None)
        if kind.follows is not None and upstream is None:
            raise JobConflict(
                f"The {name} step reads what {kind.follows} made of this document, which it does not "
                f"have yet; run {kind.follows} too.",
                code="input_missing",
            )
        job = Job(
            id=uuid.uuid4(),
            document_id=document_id,
            run_id=run_id,
            kind=name,
            queue=kind.queue,
            status=(JobStatus.WAITING if parent else JobStatus.QUEUED).value,
            depends_on_id=upstream.id if upstream else None,
            max_attempts=settings.max_attempts,
            attempts=0,
            progress=0.0,
        )
        if parent is None:
            job.queued_at = queue_time()  # held: dispatch publishes it when the owner has room
        by_kind[name] = job
        session.add(job)
    session.flush()
    session.execute(update(Document).where(Document.id == document_id).values(run_id=run_id))
    for job in by_kind.values():
        record_event(session, job.id, JobStatus(job.status), 0, None, reason)
    if publish:
        queued = [job.queue for job in by_kind.values() if job.status == JobStatus.QUEUED.value]
        release(session, document_id, queued, settings.dispatch_per_user)
    if previous is not None:  # a new document is `queued` already
        refresh_document(session, document_id)
    return list(by_kind.values())


# A job that can start joins its owner's line now (held: dispatch publishes it when the owner has room).
_NEW_JOBS = insert(cast(Table, Job.__table__)).values(
    queued_at=case((bindparam("joins_line", type_=Boolean), queue_time()), else_=null())
)
_NEW_JOB_EVENTS = insert(cast(Table, JobEvent.__table__))


def start_first_run(
    session: Session,
    document_id: uuid.UUID,
    owner_id: uuid.UUID,
    run_id: uuid.UUID,
    kinds: Iterable[str],
    settings: JobSettings,
    *,
    reason: str,
) -> list[uuid.UUID]:
    """`start_run` for a document this transaction has just inserted with `run_id` as its run: there is
    nothing to lock (no one else sees the row yet), end or read, so the jobs, their history, their live
    events and the dispatch of those that can start take a few statements however many kinds there
    are. Returns the jobs' ids."""
    known = catalog()
    rows: list[dict[str, object]] = []
    by_kind: dict[str, uuid.UUID] = {}
    for name in known.order(kinds):
        kind = known.get(name)
        parent = by_kind.get(kind.follows) if kind.follows else None
        if kind.follows is not None and parent is None:
            raise JobConflict(
                f"The {name} step reads what {kind.follows} made of this document, which it does not "
                f"have yet; run {kind.follows} too.",
                code="input_missing",
            )
        by_kind[name] = uuid.uuid4()
        rows.append(
            {
                "id": by_kind[name],
                "document_id": document_id,
                "run_id": run_id,
                "kind": name,
                "queue": kind.queue,
                "status": (JobStatus.WAITING if parent else JobStatus.QUEUED).value,
                "depends_on_id": parent,
                "max_attempts": settings.max_attempts,
                "attempts": 0,
                "progress": 0.0,
                "joins_line": parent is None,
            }
        )
    if not rows:
        raise ValueError("a run needs at least one job kind")
    # Core statements of one shape whatever the rows: compiled once per process, sent as one batch.
    session.execute(_NEW_JOBS, rows)
    session.execute(
        _NEW_JOB_EVENTS,
        [{"job_id": row["id"], "status": row["status"], "attempt": 0, "detail": reason} for row in rows],
    )
    events.run_started(session, run_id, list(by_kind), reason)
    for queue in sorted({str(row["queue"]) for row in rows if row["status"] == JobStatus.QUEUED.value}):
        dispatch(session, owner_id, queue, settings.dispatch_per_user)
    return list(by_kind.values())


def supersede(session: Session, run_id: uuid.UUID, settings: JobSettings) -> None:
    """A newer run replaces `run_id`: what of it has not ended stops, and outputs it made that were
    never shown are discarded. A run that completed was switched in, so it has nothing to give up."""
    jobs = session.scalars(select(Job).where(Job.run_id == run_id)).all()
    if all(job.status == JobStatus.SUCCEEDED.value for job in jobs):
        return
    freed: set[str] = set()
    for job in jobs:
        if not JobStatus(job.status).terminal:
            if job.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value):
                freed.add(job.queue)
            end(session, job, JobStatus.CANCELLED, "superseded", "A newer run of this document replaced it.")
        if not job.current:
            discard(session, job, grace_seconds=settings.lease_seconds)
    if freed and jobs:
        release(session, jobs[0].document_id, freed, settings.dispatch_per_user)


# --- ending --------------------------------------------------------------------------------------


def end(session: Session, job: Job, status: JobStatus, code: str, message: str) -> None:
    """Move a job that has not ended to `status` (cancelled or failed) with a reason."""
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(
            status=status.value,
            error_code=code,
            error_message=message,
            finished_at=func.now(),
            lease_expires_at=None,
            next_attempt_at=None,
            updated_at=func.now(),
        )
    )
    record_event(session, job.id, status, job.attempts, None, message)


def end_failed(session: Session, job: Job, *, grace_seconds: float = 0) -> None:
    """A job that will not succeed leaves nothing behind, and what waited on it will not run."""
    discard(session, job, grace_seconds=grace_seconds)
    cancel_descendants(session, job, "upstream_failed", f"Skipped because the {job.kind} job failed.")


def cancel_descendants(session: Session, job: Job, code: str, message: str) -> None:
    for child in descendants(session, job.id, job.run_id):
        if not JobStatus(child.status).terminal:
            end(session, child, JobStatus.CANCELLED, code, message)


def discard(session: Session, job: Job, *, grace_seconds: float = 0) -> None:
    """Remove what `job` stored: its rows now, through its step; its blobs through a purge record, after
    `grace_seconds` when an attempt may still be finishing a write."""
    known = catalog()
    if job.kind not in known:
        log.warning(
            "job %s is of kind %r, which no loaded declaration names; its outputs stay", job.id, job.kind
        )
        return
    step = known.step(job.kind)
    step.discard(session, JobRef(job.id, job.document_id))
    if not step.stores_blobs:
        return
    purge = BlobPurge(
        prefix=job_prefix(job.document_id, job.id), due_at=func.now() + dt.timedelta(seconds=grace_seconds)
    )
    session.add(purge)
    session.flush()
    if grace_seconds <= 0:
        enqueue(session, purge_message(purge.id))


# --- switching -----------------------------------------------------------------------------------


def finish_if_complete(session: Session, document_id: uuid.UUID, run_id: uuid.UUID) -> bool:
    """Switch the run's outputs in once every one of its jobs has succeeded; True if it did."""
    unfinished = session.scalar(
        select(func.count()).where(Job.run_id == run_id, Job.status != JobStatus.SUCCEEDED.value)
    )
    if unfinished:
        return False
    switch(session, document_id, run_id)
    return True


def start_wanted(
    session: Session, document_id: uuid.UUID, run_id: uuid.UUID, settings: JobSettings
) -> list[Job]:
    """After a run completed: a run of the kinds that read what it rebuilt (or were part of it) and
    that the document wants (their `wanted` function says so), e.g. an extraction with the schemas the
    document was given or its new classification calls for. Started in the same transaction, so the
    document goes on `processing` rather than showing `ready` in between."""
    known = catalog()
    ran = set(session.scalars(select(Job.kind).where(Job.run_id == run_id)))
    rebuilt = set(ran)
    for name in ran:
        if name in known:
            rebuilt.update(known.descendants(name))
    follow: list[str] = []
    for kind in known:
        # A kind that ran may be wanted again: what it read may have changed while it ran.
        if kind.wanted is None or kind.name not in rebuilt:
            continue
        wants = known.wanted(kind.name)
        if wants is not None and wants(session, document_id):
            follow.append(kind.name)
    if not follow:
        return []
    return start_run(session, document_id, follow, settings, reason="follows the completed run")


def switch(session: Session, document_id: uuid.UUID, run_id: uuid.UUID) -> None:
    known = catalog()
    run_jobs = session.scalars(select(Job).where(Job.run_id == run_id)).all()
    replaced = {job.kind for job in run_jobs}
    for name in list(replaced):
        if name in known:
            replaced.update(known.descendants(name))
    old = session.scalars(
        select(Job).where(
            Job.document_id == document_id, Job.current, Job.kind.in_(replaced), Job.run_id != run_id
        )
    ).all()
    for job in old:
        discard(session, job)
    if old:  # before the new ones are marked: one current job per kind, checked row by row
        session.execute(update(Job).where(Job.id.in_([job.id for job in old])).values(current=False))
    session.execute(update(Job).where(Job.run_id == run_id).values(current=True, updated_at=func.now()))
    for job in run_jobs:
        if job.kind in known:
            known.step(job.kind).publish(session, JobRef(job.id, document_id))
