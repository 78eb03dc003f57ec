"""What the workers print to `make run`'s terminal and their logs at INFO: the jobs they run and whatever
the sweep changed, not a pair of lines for every sweep that runs each interval with nothing to do."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
import redis
from celery import Celery

from cli.stack.stack import Stack
from shared.messaging.tasks import SWEEP_TASK, job_task
from testkit import documents as make
from tests.conftest import ApiUser
from worker.app import _routine_task_lines_at_debug


def _log(stack: Stack, service: str) -> Path:
    return stack.supervisor.processes[service].log_path


def _since(path: Path, offset: int) -> str:
    with path.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def _sweeps_run(stack: Stack) -> int:
    """How many sweeps the maintenance worker has run, by its own count."""
    control = Celery(broker=stack.env["REDIS_URL"])
    try:
        stats = control.control.inspect(timeout=5).stats() or {}
    finally:
        control.close()
    return sum(worker.get("total", {}).get(SWEEP_TASK, 0) for worker in stats.values())


def _eventually(done: Callable[[], bool], what: str, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


@pytest.mark.stack
def test_idle_sweeps_leave_no_line_while_jobs_do(stack: Stack, user: ApiUser) -> None:
    maintenance, ocr = _log(stack, "worker-maintenance"), _log(stack, "worker-ocr")
    offsets = {maintenance: maintenance.stat().st_size, ocr: ocr.stat().st_size}
    swept = _sweeps_run(stack)

    document_id = user.upload("quiet.txt", make.txt(f"a job among quiet sweeps {uuid.uuid4()}")).json()["id"]
    assert user.wait_for(document_id)["status"] == "ready"
    _eventually(lambda: _sweeps_run(stack) >= swept + 5, "the maintenance worker should keep sweeping")

    routine = [
        line
        for line in _since(maintenance, offsets[maintenance]).splitlines()
        if SWEEP_TASK in line or "Sending due task" in line
    ]
    assert routine == []
    job_lines = _since(ocr, offsets[ocr])
    extract = job_task("extract")
    assert f"Task {extract}[" in job_lines and "received" in job_lines and "succeeded" in job_lines


@pytest.mark.stack
def test_a_sweep_that_changed_something_says_what(stack: Stack, user: ApiUser) -> None:
    """The broker loses the OCR queue's messages while its worker is frozen; the sweep republishes them
    and says so, in one line, with no task lines around it."""
    maintenance = _log(stack, "worker-maintenance")
    offset = maintenance.stat().st_size
    worker = psutil.Process(stack.supervisor.processes["worker-ocr"].pid)
    frozen = [worker, *worker.children(recursive=True)]
    broker = redis.Redis.from_url(stack.env["REDIS_URL"])
    for process in frozen:
        process.suspend()
    try:
        ids = [
            user.upload(f"lost-{n}.txt", make.txt(f"a message the broker lost {n} {uuid.uuid4()}")).json()[
                "id"
            ]
            for n in range(2)
        ]
        _eventually(lambda: broker.llen("ocr") >= 1, "the OCR queue should hold a message", within=30)
        broker.delete("ocr")
    finally:
        for process in frozen:
            process.resume()
    for document_id in ids:
        assert user.wait_for(document_id)["status"] == "ready"

    lines = _since(maintenance, offset).splitlines()
    summaries = [line for line in lines if "sweep: SweepReport(" in line]
    assert any("republished=0" not in line for line in summaries), lines
    assert [line for line in lines if SWEEP_TASK in line] == []


def test_warnings_and_errors_about_the_sweep_are_never_held_back() -> None:
    for level in (logging.WARNING, logging.ERROR, logging.CRITICAL):
        record = logging.LogRecord(
            "celery.app.trace", level, __file__, 1, "Task %(name)s[%(id)s] raised unexpected: %(exc)s",
            None, None,
        )  # fmt: skip
        record.data = {"name": SWEEP_TASK, "id": "1", "exc": "OperationalError()"}
        assert _routine_task_lines_at_debug(record) is True
        assert record.levelno == level
