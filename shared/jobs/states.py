"""Job kinds, states and the document status derived from them."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class JobKind(enum.StrEnum):
    EXTRACT = "extract"  # text layer, native text or OCR, page by page
    EMBED = "embed"  # token-aware chunks and their vectors
    AI = "ai"  # summary, classification, fields, keywords


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


# Jobs per user published to one queue at once (fair share); JobSettings.dispatch_per_user overrides it.
DEFAULT_DISPATCH_PER_USER = 2

# Which queue serves each kind: each queue has its own worker container, scaled on its own.
QUEUE_FOR_KIND = {JobKind.EXTRACT: "ocr", JobKind.EMBED: "embed", JobKind.AI: "ai"}
MAINTENANCE_QUEUE = "maintenance"
QUEUES = ("ocr", "embed", "ai", MAINTENANCE_QUEUE)

# The pipeline as a tree: each kind names the kind it waits for.
DEPENDS_ON = {JobKind.EXTRACT: None, JobKind.EMBED: JobKind.EXTRACT, JobKind.AI: JobKind.EXTRACT}


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
