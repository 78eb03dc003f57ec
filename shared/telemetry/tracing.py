"""Turning tracing on for one process: provider, sampler, batch export, the client libraries we use.

Off (no exporter configured), nothing here imports the OpenTelemetry SDK: the API's no-op tracer is all
a process carries, and spans cost a context lookup.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from opentelemetry import trace

from shared.config import Settings
from shared.telemetry.exporters import build_exporters, exporter_names
from shared.telemetry.logs import install_log_correlation

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

_provider: TracerProvider | None = None


def build_provider(settings: Settings, *, service: str, exporters: list[SpanExporter]) -> TracerProvider:
    """A provider that names this service and batches finished spans to `exporters`."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from shared.telemetry.sampling import build_sampler

    # Resource.create also reads OTEL_RESOURCE_ATTRIBUTES, so operators can add their own attributes.
    resource = Resource.create(
        {
            "service.name": f"workopti-{service}",
            "service.namespace": "workopti",
            "service.version": settings.app.version,
            "deployment.environment.name": settings.app.environment.value,
        }
    )
    provider = TracerProvider(resource=resource, sampler=build_sampler(settings.telemetry.sample_ratio))
    for exporter in exporters:
        provider.add_span_processor(
            BatchSpanProcessor(exporter, schedule_delay_millis=settings.telemetry.export_delay_ms)
        )
    return provider


def setup_tracing(settings: Settings, *, service: str) -> TracerProvider | None:
    """Trace this process when an exporter is configured; None, importing nothing, when not.

    Once per process: the global provider cannot be replaced, so later calls return the first one.
    """
    global _provider
    if _provider is not None:
        return _provider
    exporters = build_exporters(settings.telemetry)
    if not exporters:
        return None
    provider = build_provider(settings, service=service, exporters=exporters)
    trace.set_tracer_provider(provider)
    _provider = provider
    _instrument_clients(provider)
    install_log_correlation()
    log.info("tracing on: workopti-%s exports to %s", service, ", ".join(exporter_names(exporters)))
    return provider


def preload_tracing(settings: Settings, *extra_modules: str) -> None:
    """Import what `setup_tracing` will need without starting anything: a parent that forks calls this,
    so each child (which has a few seconds to report ready) only builds its provider."""
    if not settings.telemetry.enabled:
        return
    modules = [
        "opentelemetry.sdk.trace",
        "opentelemetry.sdk.trace.export",
        "opentelemetry.sdk.resources",
        "opentelemetry.instrumentation.httpx",
        "opentelemetry.instrumentation.redis",
        "opentelemetry.instrumentation.sqlalchemy",
        *extra_modules,
    ]
    if settings.telemetry.otlp_endpoint:
        modules.append("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    if settings.telemetry.azure_monitor_connection_string:
        modules.append("azure.monitor.opentelemetry.exporter")
    for module in modules:
        importlib.import_module(module)


def active_provider() -> TracerProvider | None:
    return _provider


def trace_engine(engine: Engine) -> None:
    """Spans for this engine's statements (the text, never the bound values)."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    # One engine per process (the API's, or a worker child's); the instrumentor instruments once.
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(engine=engine, tracer_provider=_provider)


def shutdown_tracing() -> None:
    """Send what is still batched; called when the API stops and when a worker process exits."""
    if _provider is not None:
        _provider.shutdown()


def _instrument_clients(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
