from __future__ import annotations

from celery import Celery

from shared.db.outbox import TaskMessage


class CeleryPublisher:
    """Publishes follow-up jobs from inside a worker, through the worker's own app and connection pool."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def publish(self, messages: list[TaskMessage]) -> None:
        for message in messages:
            self.app.send_task(message.task, args=list(message.args), queue=message.queue)
