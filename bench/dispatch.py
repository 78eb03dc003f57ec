"""Job dispatch overhead: no-op jobs/s through the product's runner vs bare Celery no-op tasks/s, both on
the same Redis with one prefork worker process each, measured in this run.

The difference is what the database-as-truth design costs per job: a conditional claim, the lease,
the completion with its history and timing rows, and the document status, each a committed transaction.

    python -m bench.dispatch [--jobs 500]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
from celery import Celery
from sqlalchemy import func, select

from bench.report import print_table
from cli.stack.redis import free_port
from cli.stack.stack import Stack, StackOptions
from shared.config import Settings
from shared.db import build_engine, build_session_factory, session_scope
from shared.db.outbox import TaskMessage
from shared.jobs import runs
from shared.jobs.kinds import installed, load_catalog
from shared.models import Document, Job, User


class _Collect:
    def __init__(self) -> None:
        self.messages: list[TaskMessage] = []

    def publish(self, messages: list[TaskMessage]) -> None:
        self.messages += messages


def _worker(app: str, queue: str, env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queue, "-c", "1", "--loglevel", "WARNING",
         "--without-mingle", "--without-gossip", "-n", f"{queue}@bench"],
        env=env, stdout=logs.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_worker(app: Celery, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(destination=[name], timeout=0.5):
            return
    raise TimeoutError(f"worker {name} did not answer")


def bench_bare(env: dict[str, str], jobs: int, logs: Path) -> float:
    from bench.dispatch_apps import bare

    bare.conf.broker_url = env["REDIS_URL"]
    client = redis.Redis.from_url(env["REDIS_URL"])
    worker = _worker("bench.dispatch_apps:bare", "bare", env, logs)
    try:
        _wait_worker(bare, "bare@bench")
        client.set("bench:done", 0)
        started = time.perf_counter()
        for i in range(jobs):
            bare.send_task("bench.noop", args=[str(i)], queue="bare")
        while int(client.get("bench:done") or 0) < jobs:
            time.sleep(0.005)
        return time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait()


def bench_ours(env: dict[str, str], jobs: int, logs: Path) -> float:
    env = {**env, "JOB_KIND_MODULES": "bench.dispatch_apps"}
    os.environ.update({name: env[name] for name in ("DATABASE_URL", "REDIS_URL", "JOB_KIND_MODULES")})
    settings = Settings()
    factory = build_session_factory(build_engine(settings))
    from bench.dispatch_apps import NOOP, ours

    collected = _Collect()
    with installed(load_catalog(["bench.dispatch_apps"])), session_scope(factory, collected) as session:
        user = User(subject=f"bench-{uuid.uuid4().hex[:6]}")
        session.add(user)
        session.flush()
        job_ids = []
        for i in range(jobs):
            document = Document(
                id=uuid.uuid4(), owner_id=user.id, filename=f"{i}.txt", content_type="text/plain", size_bytes=1,
                sha256=uuid.uuid4().hex * 2, blob_key="unused", pipeline=[NOOP.name],
            )  # fmt: skip
            session.add(document)
            session.flush()
            job_ids += [
                job.id
                for job in runs.start_run(session, document.id, [NOOP.name], settings.jobs, reason="bench")
            ]
    worker = _worker("bench.dispatch_apps:ours", NOOP.queue, env, logs)
    try:
        _wait_worker(ours, f"{NOOP.queue}@bench")
        started = time.perf_counter()
        for message in collected.messages:
            ours.send_task(message.task, args=list(message.args), queue=message.queue)
        while True:
            with factory() as session:
                done = session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.id.in_(job_ids), Job.status == "succeeded")
                )
            if done >= jobs:
                return time.perf_counter() - started
            time.sleep(0.02)
    finally:
        worker.terminate()
        worker.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="workopti-bench-"))
    data_dir.chmod(0o755)
    stack = Stack(StackOptions(data_dir=data_dir, api_port=free_port(), flower_port=None, workers=False,
                               env={"DATABASE_URL": "", "REDIS_URL": ""}))  # fmt: skip
    stack.start(wait=False)
    try:
        env = {**os.environ, **stack.env}
        logs = data_dir / "logs" / "bench-workers.log"
        bare_seconds = bench_bare(env, args.jobs, logs)
        ours_seconds = bench_ours(env, args.jobs, logs)
    finally:
        stack.stop()
    print_table(
        f"Job dispatch: {args.jobs} no-op jobs, one prefork worker process, same Redis",
        ["path", "jobs", "seconds", "jobs/s", "ms/job"],
        [
            ["bare Celery no-op task", args.jobs, f"{bare_seconds:.2f}", f"{args.jobs / bare_seconds:.0f}",
             f"{bare_seconds / args.jobs * 1000:.2f}"],
            ["WorkOpti runner, no-op step", args.jobs, f"{ours_seconds:.2f}", f"{args.jobs / ours_seconds:.0f}",
             f"{ours_seconds / args.jobs * 1000:.2f}"],
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
