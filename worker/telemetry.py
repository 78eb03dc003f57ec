"""Tracing in the worker. Each pool process sets it up for itself (the batch exporter's thread does not
survive a fork) and sends what is still batched when it exits; the main process, which only moves
messages, traces nothing."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_init, worker_process_init, worker_process_shutdown

from shared.config import get_settings
from shared.telemetry import preload_tracing, setup_tracing, shutdown_tracing


@worker_init.connect(weak=False)
def _preload_tracing(**_: Any) -> None:
    preload_tracing(get_settings(), "opentelemetry.instrumentation.celery")


@worker_process_init.connect(weak=False)
def _start_tracing(**_: Any) -> None:
    provider = setup_tracing(get_settings(), service="worker")
    if provider is None:
        return
    from opentelemetry.instrumentation.celery import CeleryInstrumentor

    # A span per task run, and trace headers on the messages a task publishes.
    CeleryInstrumentor().instrument(tracer_provider=provider)


@worker_process_shutdown.connect(weak=False)
def _flush_tracing(**_: Any) -> None:
    shutdown_tracing()
