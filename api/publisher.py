"""Publishes job messages by task name through a Celery client; the API never imports the worker."""

from __future__ import annotations

from functools import cached_property

from celery import Celery

from shared.config import Settings
from shared.db.outbox import TaskMessage
from shared.messaging.celery_config import celery_config


class CeleryPublisher:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @cached_property
    def app(self) -> Celery:
        app = Celery("workopti-api")
        app.conf.update(celery_config(self._settings))
        # Fail fast when Redis is down: the rows are committed and the sweeper republishes.
        app.conf.task_publish_retry_policy = {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        }
        return app

    def publish(self, messages: list[TaskMessage]) -> None:
        for message in messages:
            self.app.send_task(message.task, args=list(message.args), queue=message.queue)
