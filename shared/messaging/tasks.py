"""Task names and the messages that carry job ids. Payloads are ids only; the database holds the rest."""

from __future__ import annotations

import uuid

from shared.db.outbox import TaskMessage
from shared.jobs.states import MAINTENANCE_QUEUE, QUEUE_FOR_KIND, JobKind

TASK_FOR_KIND = {
    JobKind.EXTRACT: "workopti.jobs.extract",
    JobKind.EMBED: "workopti.jobs.embed",
    JobKind.AI: "workopti.jobs.ai",
}
SWEEP_TASK = "workopti.maintenance.sweep"
PURGE_BLOBS_TASK = "workopti.maintenance.purge_blobs"


def job_message(kind: JobKind | str, job_id: uuid.UUID | str) -> TaskMessage:
    kind = JobKind(kind)
    return TaskMessage(task=TASK_FOR_KIND[kind], queue=QUEUE_FOR_KIND[kind], args=(str(job_id),))


def purge_message(purge_id: int) -> TaskMessage:
    return TaskMessage(task=PURGE_BLOBS_TASK, queue=MAINTENANCE_QUEUE, args=(str(purge_id),))
