"""Task names and the messages that carry job ids. Payloads are ids only; the database holds the rest."""

from __future__ import annotations

import uuid

from shared.db.outbox import TaskMessage
from shared.jobs.kinds import MAINTENANCE_QUEUE, TASK_PREFIX, WEBHOOKS_QUEUE

SWEEP_TASK = "workopti.maintenance.sweep"
PURGE_BLOBS_TASK = "workopti.maintenance.purge_blobs"
DELIVER_WEBHOOK_TASK = "workopti.webhooks.deliver"


def job_task(kind: str) -> str:
    """The task that runs jobs of `kind` (one per kind, registered by the worker from the catalogue)."""
    return TASK_PREFIX + kind


def job_message(kind: str, queue: str, job_id: uuid.UUID | str) -> TaskMessage:
    return TaskMessage(task=job_task(kind), queue=queue, args=(str(job_id),))


def purge_message(purge_id: int) -> TaskMessage:
    return TaskMessage(task=PURGE_BLOBS_TASK, queue=MAINTENANCE_QUEUE, args=(str(purge_id),))


def webhook_message(delivery_id: uuid.UUID | str) -> TaskMessage:
    return TaskMessage(task=DELIVER_WEBHOOK_TASK, queue=WEBHOOKS_QUEUE, args=(str(delivery_id),))
