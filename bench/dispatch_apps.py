"""Celery apps for the dispatch benchmark, started as real worker processes by bench/dispatch.py.

`bare`: a no-op task that only counts itself in Redis: the floor of Celery on this Redis.
`ours`: the product's job runner (claim, lease, heartbeat, complete, history, timings) around a no-op step.
"""

from __future__ import annotations

import os

import redis
from celery import Celery

from shared.config import get_settings
from shared.jobs.runner import JobContext
from shared.jobs.states import JobKind
from shared.messaging.celery_config import celery_config
from shared.messaging.tasks import TASK_FOR_KIND

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


class NoopStep:
    def run(self, ctx: JobContext) -> None:
        return None

    def discard(self, ctx: JobContext) -> None:
        return None


_runner = None


@ours.task(name=TASK_FOR_KIND[JobKind.EXTRACT], acks_late=True)
def extract(job_id: str) -> str:
    global _runner
    if _runner is None:
        from shared.db import build_engine, build_session_factory
        from shared.jobs.runner import JobRunner
        from worker.publisher import CeleryPublisher

        settings = get_settings()
        factory = build_session_factory(build_engine(settings))
        steps = {JobKind.EXTRACT: NoopStep(), JobKind.EMBED: NoopStep(), JobKind.AI: NoopStep()}
        _runner = JobRunner(
            factory, CeleryPublisher(ours), settings, steps, worker_name=f"bench:{os.getpid()}"
        )
    return _runner.run(job_id).status
