"""What a worker process builds once: engine, storage, providers, runner. Built lazily in the process
that runs tasks (a prefork child), never inherited across fork."""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from functools import cached_property

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings, get_settings
from shared.db import build_engine, build_session_factory
from shared.jobs.errors import JobError, TransientJobError
from shared.jobs.kinds import catalog
from shared.jobs.runner import JobRunner
from shared.logging import configure_logging
from shared.messaging.broker import queue_depths
from shared.pipeline.resources import Resources
from shared.providers.storage import BlobStore, build_blob_store
from shared.telemetry import trace_engine
from worker.publisher import CeleryPublisher


def classify(exc: BaseException) -> JobError | None:
    if isinstance(exc, SoftTimeLimitExceeded):
        limit = get_settings().jobs.time_limit_seconds
        return TransientJobError("time_limit", f"The job ran past its {limit} s time limit.")
    return None


@dataclass
class Runtime:
    app: Celery
    settings: Settings

    @cached_property
    def factory(self) -> sessionmaker[Session]:
        engine = build_engine(self.settings, application_name=f"workopti-worker-{os.getpid()}")
        trace_engine(engine)
        return build_session_factory(engine)

    @cached_property
    def storage(self) -> BlobStore:
        return build_blob_store(self.settings)

    @cached_property
    def publisher(self) -> CeleryPublisher:
        return CeleryPublisher(self.app)

    @cached_property
    def resources(self) -> Resources:
        return Resources(self.settings, self.storage)

    @cached_property
    def runner(self) -> JobRunner:
        return JobRunner(
            self.factory,
            self.publisher,
            self.settings,
            self.resources,
            worker_name=f"{socket.gethostname()}:{os.getpid()}",
            classify=classify,
        )

    def broker_depths(self) -> dict[str, int | None]:
        return queue_depths(self.settings.broker.require_url(), catalog().queues)


_runtime: Runtime | None = None
_pid: int | None = None
_lock = threading.Lock()


def runtime(app: Celery) -> Runtime:
    global _runtime, _pid
    with _lock:
        if _runtime is None or _pid != os.getpid():
            settings = get_settings()
            configure_logging(settings, service="worker")
            _runtime, _pid = Runtime(app, settings), os.getpid()
        return _runtime
