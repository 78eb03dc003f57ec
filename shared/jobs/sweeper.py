"""The periodic sweep that keeps the database's view of jobs and the broker's in step.

It releases retries whose backoff has passed, requeues jobs whose worker stopped renewing its lease
(failing them once their attempts are used), publishes held jobs whose owner has room (fair share),
republishes queued jobs whose message was lost (Redis restarted without its data, a publish failed
after commit), deletes blobs that are due to go and events older than their retention.
Every change is its own short transaction, so sweepers running side by side cannot deadlock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from shared.config import JobSettings
from shared.db.engine import session_scope
from shared.db.outbox import TaskPublisher
from shared.events import service as events
from shared.jobs import dispatch, recovery
from shared.jobs.states import JobStatus
from shared.models import BlobPurge
from shared.providers.storage import BlobStore

log = logging.getLogger(__name__)

_BATCH = 500


@dataclass
class SweepReport:
    retried: int = 0
    requeued: int = 0
    failed: int = 0
    republished: int = 0
    dispatched: int = 0
    purged: int = 0
    pruned_events: int = 0

    def any(self) -> bool:
        return any(vars(self).values())


def sweep(
    factory: sessionmaker[Session],
    publisher: TaskPublisher,
    storage: BlobStore,
    settings: JobSettings,
    broker_depths: Callable[[], dict[str, int | None]],
) -> SweepReport:
    report = SweepReport()
    with factory() as session:
        due = recovery.due_retries(session, _BATCH)
    for job_id in due:
        with session_scope(factory, publisher) as session:
            report.retried += recovery.requeue_retry(session, job_id, cap=settings.dispatch_per_user)

    with factory() as session:
        expired = recovery.expired_leases(session, _BATCH)
    for job_id in expired:
        with session_scope(factory, publisher) as session:
            outcome = recovery.recover_expired(
                session, job_id, cap=settings.dispatch_per_user, grace_seconds=settings.lease_seconds
            )
        if outcome is JobStatus.QUEUED:
            report.requeued += 1
        elif outcome is JobStatus.FAILED:
            report.failed += 1

    report.dispatched = _dispatch_held(factory, publisher, settings)
    report.republished = _republish_lost(factory, publisher, settings, broker_depths)
    report.purged = purge_due_blobs(factory, storage)
    with session_scope(factory) as session:
        report.pruned_events = events.prune(session, settings.events_retention_seconds)
    if report.any():
        log.info("sweep: %s", report)
    return report


def _dispatch_held(factory: sessionmaker[Session], publisher: TaskPublisher, settings: JobSettings) -> int:
    """Held jobs whose owner has room: normally published the moment a slot frees, this catches any a
    transition missed (a dispatch that skipped a locked row, jobs queued from the command line)."""
    with factory() as session:
        pairs = dispatch.held_owners(session, _BATCH)
    published = 0
    for owner, queue in pairs:
        with session_scope(factory, publisher) as session:
            published += dispatch.dispatch(session, owner, queue, settings.dispatch_per_user)
    return published


def _republish_lost(
    factory: sessionmaker[Session],
    publisher: TaskPublisher,
    settings: JobSettings,
    broker_depths: Callable[[], dict[str, int | None]],
) -> int:
    """When a queue holds fewer messages than the database has queued jobs for it, the difference was
    lost: republish that many of the oldest, counting only jobs published long enough ago that their
    message would have been claimed by now. A job whose message was not lost may be republished too;
    its second delivery finds it claimed and does nothing."""
    with factory() as session:
        queued = recovery.queued_counts(session)
    if not queued:
        return 0
    depths = broker_depths()
    republished = 0
    for queue, count in queued.items():
        depth = depths.get(queue)
        if depth is None:  # the broker did not answer: nothing can be published anyway
            continue
        missing = count - depth
        if missing <= 0:
            continue
        with factory() as session:
            stale = recovery.stale_queued(
                session, queue, settings.republish_after_seconds, min(missing, _BATCH)
            )
        for job_id in stale:
            with session_scope(factory, publisher) as session:
                republished += recovery.republish(session, job_id)
    return republished


def purge_due_blobs(factory: sessionmaker[Session], storage: BlobStore) -> int:
    with factory() as session:
        due = session.scalars(
            select(BlobPurge.id)
            .where(BlobPurge.due_at <= func.now())
            .order_by(BlobPurge.due_at)
            .limit(_BATCH)
        ).all()
    return sum(purge_blobs(factory, storage, purge_id) for purge_id in due)


def purge_blobs(factory: sessionmaker[Session], storage: BlobStore, purge_id: int) -> bool:
    """Delete the blobs of one purge record; on failure, try again later with a growing delay."""
    with factory() as session:
        row = session.execute(
            select(BlobPurge.prefix, BlobPurge.attempts).where(BlobPurge.id == purge_id)
        ).first()
    if row is None:
        return False
    try:
        storage.delete_prefix(row.prefix)
    except Exception as exc:
        log.warning("could not delete blobs under %s: %s", row.prefix, exc)
        delay = dt.timedelta(seconds=min(3600, 30 * 2**row.attempts))
        with session_scope(factory) as session:
            session.execute(
                update(BlobPurge)
                .where(BlobPurge.id == purge_id)
                .values(
                    attempts=BlobPurge.attempts + 1, last_error=str(exc)[:1000], due_at=func.now() + delay
                )
            )
        return False
    with session_scope(factory) as session:
        session.execute(delete(BlobPurge).where(BlobPurge.id == purge_id))
    return True
