"""The Celery configuration both the publisher (API) and the workers use, as a plain mapping.

Kept here, without importing Celery, so the two sides cannot drift: the broker transport options in
particular must match on every client of the same Redis.
"""

from __future__ import annotations

from typing import Any

from shared.config import Settings
from shared.jobs.kinds import MAINTENANCE_QUEUE


def celery_config(settings: Settings) -> dict[str, Any]:
    visibility = settings.broker.visibility_timeout_seconds
    if visibility <= settings.jobs.time_limit_seconds:
        raise RuntimeError(
            "BROKER_VISIBILITY_TIMEOUT_SECONDS must exceed JOB_TIME_LIMIT_SECONDS, or Redis redelivers "
            "a long job to a second worker while the first is still on it"
        )
    transport = {"visibility_timeout": visibility}
    return {
        "broker_url": settings.broker.require_url(),
        # Redis reads the timeout from all three places depending on the code path (celery/celery#7651).
        "broker_transport_options": transport,
        "result_backend_transport_options": transport,
        "visibility_timeout": visibility,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 5,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,  # the database is where results and states live
        "task_acks_late": True,  # a message is acknowledged only after its job ran
        "task_reject_on_worker_lost": True,  # a killed pool child's message goes back to the queue
        "worker_prefetch_multiplier": 1,  # long jobs: never hold a second message while busy
        # Every job message names its queue; anything that does not is maintenance work.
        "task_default_queue": MAINTENANCE_QUEUE,
        "task_create_missing_queues": True,
        "task_time_limit": settings.jobs.time_limit_seconds,
        "task_soft_time_limit": max(1, settings.jobs.time_limit_seconds - 30),
        "worker_send_task_events": True,  # for Flower
        # No "sent" event: it costs every publisher (the API on each upload) a second Redis round trip,
        # and the database already records when each job was queued.
        "task_send_sent_event": False,
        "enable_utc": True,
    }
