"""Thin tasks: a job id in, the shared runner does the rest. The database says whether it runs.

One task per job kind of the catalogue (shared/jobs/kinds.py), registered when the worker loads this
module; each worker consumes only its own queue, so it runs only the kinds declared on that queue.
"""

from __future__ import annotations

import uuid

from celery import Task

from shared.jobs.kinds import catalog
from shared.jobs.sweeper import purge_blobs, sweep
from shared.messaging.tasks import DELIVER_WEBHOOK_TASK, PURGE_BLOBS_TASK, SWEEP_TASK
from shared.telemetry.jobs import job_span
from shared.webhooks import delivery as webhook_delivery
from shared.webhooks import sweep as webhook_sweep
from worker.app import app
from worker.runtime import runtime


def _run(job_id: str) -> str:
    rt = runtime(app)
    with job_span(rt.factory, job_id) as span:
        status = rt.runner.run(job_id).status
        span.set_attribute("workopti.job.outcome", status)
        return status


def _job_task(name: str) -> Task:
    @app.task(name=name, acks_late=True, reject_on_worker_lost=True)
    def run_job(job_id: str) -> str:
        return _run(job_id)

    return run_job


JOB_TASKS = {kind.name: _job_task(kind.task) for kind in catalog()}


@app.task(name=SWEEP_TASK, acks_late=False, ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    rt = runtime(app)
    report = sweep(rt.factory, rt.publisher, rt.storage, rt.settings.jobs, rt.broker_depths)
    webhooks = webhook_sweep.sweep(rt.factory, rt.publisher, rt.settings)
    return vars(report) | {f"webhooks_{name}": value for name, value in vars(webhooks).items()}


@app.task(name=PURGE_BLOBS_TASK, acks_late=True)
def purge(purge_id: str) -> bool:
    rt = runtime(app)
    return purge_blobs(rt.factory, rt.storage, int(purge_id))


# Acknowledged on receipt: the delivery row, not the message, is what survives a crash (its lease runs
# out and the sweeper publishes it again), and a request to another system is not repeated merely
# because a worker restarted.
@app.task(name=DELIVER_WEBHOOK_TASK, acks_late=False, ignore_result=True)
def deliver_webhook(delivery_id: str) -> str:
    rt = runtime(app)
    return webhook_delivery.deliver(rt.factory, rt.settings, uuid.UUID(delivery_id)).status
