"""Job states and the document status derived from them. Kinds are data: shared/jobs/kinds.py."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class JobStatus(enum.StrEnum):
    WAITING = "waiting"  # for the job it depends on
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"  # failed transiently, runs again at next_attempt_at
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE_STATUSES = frozenset({JobStatus.WAITING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RETRYING})


class DocumentStatus(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (DocumentStatus.READY, DocumentStatus.FAILED, DocumentStatus.CANCELLED)


def derive_document_status(statuses: Iterable[JobStatus]) -> DocumentStatus:
    """The document's status from its jobs' statuses.

    Any job still to run makes it queued (nothing started yet) or processing; once every job has ended,
    a failure wins over a cancellation, which wins over success.
    """
    states = set(statuses)
    if not states:
        return DocumentStatus.READY
    if states & ACTIVE_STATUSES:
        started = states - {JobStatus.WAITING, JobStatus.QUEUED}
        return DocumentStatus.PROCESSING if started else DocumentStatus.QUEUED
    if JobStatus.FAILED in states:
        return DocumentStatus.FAILED
    if JobStatus.CANCELLED in states:
        return DocumentStatus.CANCELLED
    return DocumentStatus.READY
