"""The Celery application. One image serves every queue; the command line picks the queue:

    celery -A worker.app worker -Q ocr -n ocr@%h        (likewise embed, ai)
    celery -A worker.app worker -Q maintenance -B -n maintenance@%h

Configuration is a promise evaluated when Celery first needs it, so importing this module reads no
environment and connects to nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import setup_logging

from shared.config import get_settings
from shared.logging import add_log_filter, configure_logging
from shared.messaging.celery_config import celery_config
from shared.messaging.tasks import SWEEP_TASK


def _config() -> dict[str, Any]:
    settings = get_settings()
    problems = settings.provider_problems()
    if problems:  # refuse to start rather than fail the first job
        raise RuntimeError("incomplete provider configuration: " + "; ".join(problems))
    config = celery_config(settings)
    interval = settings.jobs.sweep_interval_seconds
    config["beat_schedule"] = {
        "sweep": {
            "task": SWEEP_TASK,
            "schedule": interval,
            # A sweep that could not start within one interval is superseded by the next.
            "options": {"queue": "maintenance", "expires": max(1.0, interval)},
        }
    }
    config["beat_schedule_filename"] = str(settings.app.data_dir.resolve() / "celerybeat-schedule")
    return config


# Tasks that run every few seconds whatever happens. Celery's lines about them (received, succeeded,
# discarded once expired, and beat's "Sending due task") would bury everything else, so they are
# DEBUG lines; the sweep logs its own summary when it changed something, and a failing sweep's
# warnings and errors pass untouched.
_ROUTINE_TASKS = frozenset({SWEEP_TASK})


def _routine_task_lines_at_debug(record: logging.LogRecord) -> bool:
    if record.levelno >= logging.WARNING:
        return True
    data = getattr(record, "data", None)  # the context Celery's task lines carry
    named = {data.get("name")} if isinstance(data, dict) else set()
    if isinstance(record.args, tuple):
        named.update(arg for arg in record.args if isinstance(arg, str))
    if named.isdisjoint(_ROUTINE_TASKS):
        return True
    record.levelno, record.levelname = logging.DEBUG, "DEBUG"
    return logging.getLogger().isEnabledFor(logging.DEBUG)


@setup_logging.connect(weak=False)
def _logging(**_: Any) -> None:
    # Celery's own lines in our format too (JSON where logs are collected). A receiver here also stops
    # Celery redirecting stdout into logging, which looped our stdout handler back into itself and
    # dropped every record the pool processes made.
    configure_logging(get_settings(), service="worker")
    add_log_filter(_routine_task_lines_at_debug)


app = Celery("workopti", include=["worker.tasks", "worker.telemetry"])
app.add_defaults(_config)
