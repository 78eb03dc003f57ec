"""Thin tasks: a job id in, the shared runner does the rest. The database says whether it runs."""

from __future__ import annotations

from shared.jobs.states import JobKind
from shared.jobs.sweeper import purge_blobs, sweep
from shared.messaging.tasks import PURGE_BLOBS_TASK, SWEEP_TASK, TASK_FOR_KIND
from shared.telemetry.jobs import job_span
from worker.app import app
from worker.runtime import runtime


def _run(job_id: str) -> str:
    rt = runtime(app)
    with job_span(rt.factory, job_id) as span:
        status = rt.runner.run(job_id).status
        span.set_attribute("workopti.job.outcome", status)
        return status


@app.task(name=TASK_FOR_KIND[JobKind.EXTRACT], acks_late=True, reject_on_worker_lost=True)
def extract(job_id: str) -> str:
    return _run(job_id)


@app.task(name=TASK_FOR_KIND[JobKind.EMBED], acks_late=True, reject_on_worker_lost=True)
def embed(job_id: str) -> str:
    return _run(job_id)


@app.task(name=TASK_FOR_KIND[JobKind.AI], acks_late=True, reject_on_worker_lost=True)
def ai(job_id: str) -> str:
    return _run(job_id)


@app.task(name=SWEEP_TASK, acks_late=False, ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    rt = runtime(app)
    report = sweep(rt.factory, rt.publisher, rt.storage, rt.settings.jobs, rt.broker_depths)
    return vars(report)


@app.task(name=PURGE_BLOBS_TASK, acks_late=True)
def purge(purge_id: str) -> bool:
    rt = runtime(app)
    return purge_blobs(rt.factory, rt.storage, int(purge_id))
