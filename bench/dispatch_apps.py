"""Celery apps for the dispatch benchmark, started as real worker processes by bench/dispatch.py.

`bare`: a no-op task that only counts itself in Redis: the floor of Celery on this Redis.
`ours`: the product's job runner (claim, lease, heartbeat, complete, history, timings) around a no-op step,
declared as a job kind of its own (this module is named in JOB_KIND_MODULES).
"""

from __future__ import annotations

import os

import redis
from celery import Celery
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.jobs.context import JobContext
from shared.jobs.kinds import Kind
from shared.jobs.step import Finalizer, JobRef, Step
from shared.messaging.celery_config import celery_config

bare = Celery("bench-bare", broker=os.environ.get("REDIS_URL"))
bare.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, task_ignore_result=True,
                 task_serializer="json", accept_content=["json"])  # fmt: skip
_counter: redis.Redis | None = None


@bare.task(name="bench.noop")
def noop(_job_id: str) -> None:
    global _counter
    if _counter is None:
        _counter = redis.Redis.from_url(os.environ["REDIS_URL"])
    _counter.incr("bench:done")


ours = Celery("bench-ours")
ours.add_defaults(lambda: celery_config(get_settings()))


class NoopStep(Step):
    def run(self, ctx: JobContext) -> Finalizer | None:
        return None

    @classmethod
    def discard(cls, session: Session, job: JobRef) -> None:
        return None


NOOP = Kind("noop", queue="bench", step="bench.dispatch_apps:NoopStep", default=False)
KINDS = (NOOP,)

_runner = None


@ours.task(name=NOOP.task, acks_late=True)
def noop_job(job_id: str) -> str:
    global _runner
    if _runner is None:
        from shared.db import build_engine, build_session_factory
        from shared.jobs.runner import JobRunner
        from worker.publisher import CeleryPublisher

        settings = get_settings()
        factory = build_session_factory(build_engine(settings))
        _runner = JobRunner(
            factory, CeleryPublisher(ours), settings, None, worker_name=f"bench:{os.getpid()}"
        )
    return _runner.run(job_id).status
