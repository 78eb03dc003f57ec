"""The events webhooks announce: the ones an endpoint may subscribe to, and how each is made from an
event of the live stream (shared/events)."""

from __future__ import annotations

DOCUMENT_READY = "document.ready"
DOCUMENT_FAILED = "document.failed"
DOCUMENT_DELETED = "document.deleted"
JOB_FAILED = "job.failed"
EXTRACTION_COMPLETED = "extraction.completed"
# Sent only on request, to the one endpoint a user wants to check.
TEST = "webhook.test"

SUBSCRIBABLE = (DOCUMENT_READY, DOCUMENT_FAILED, DOCUMENT_DELETED, JOB_FAILED, EXTRACTION_COMPLETED)

_DOCUMENT_STATUS = {"ready": DOCUMENT_READY, "failed": DOCUMENT_FAILED}


def for_document_status(status: str | None) -> str | None:
    """The webhook a document entering `status` announces, if any."""
    return _DOCUMENT_STATUS.get(status or "")


def for_job_status(status: str) -> str | None:
    """A job announces only its final failure (one that is retried is not yet a failure)."""
    return JOB_FAILED if status == "failed" else None
