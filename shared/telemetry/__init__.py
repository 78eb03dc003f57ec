"""Traces across the API and the workers, and log records that name their trace.

`setup_tracing` turns it on per process when an exporter is configured (docs/operations.md); `job_span`
(in `shared.telemetry.jobs`) resumes a request's trace in the worker that runs one of its jobs.
"""

from shared.telemetry.context import context_from_traceparent, current_traceparent
from shared.telemetry.logs import install_log_correlation
from shared.telemetry.tracing import (
    active_provider,
    build_provider,
    preload_tracing,
    setup_tracing,
    shutdown_tracing,
    trace_engine,
)

__all__ = [
    "active_provider",
    "build_provider",
    "context_from_traceparent",
    "current_traceparent",
    "install_log_correlation",
    "preload_tracing",
    "setup_tracing",
    "shutdown_tracing",
    "trace_engine",
]
