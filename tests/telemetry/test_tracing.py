"""Tracing in one process: which exporters the settings choose, sampling, trace context kept as text,
and log records that name their span. Spans go to an in-memory exporter here; the trace across the
real processes is in test_trace_across_processes.py."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.config import AppSettings, Settings, TelemetrySettings
from shared.logging import configure_logging
from shared.messaging.tasks import SWEEP_TASK
from shared.telemetry import (
    build_provider,
    context_from_traceparent,
    current_traceparent,
    install_log_correlation,
)
from shared.telemetry.exporters import build_exporters
from shared.telemetry.sampling import build_sampler

ROOT = Path(__file__).resolve().parents[2]
CONNECTION_STRING = (
    "InstrumentationKey=5f1c3a7e-0d2b-4e8f-9a61-7c3d2b1e0f4a;IngestionEndpoint=http://127.0.0.1:9/"
)
OTEL_VARIABLES = ("APPLICATIONINSIGHTS_CONNECTION_STRING", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED")


def _telemetry(**env: str) -> TelemetrySettings:
    return TelemetrySettings(**env)  # aliases, as the environment would give them


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=build_sampler(1.0))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


# --- which exporters ---------------------------------------------------------------------------


def test_nothing_configured_means_no_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert not TelemetrySettings().enabled
    assert build_exporters(TelemetrySettings()) == []


def test_an_otlp_endpoint_selects_otlp_over_http() -> None:
    exporters = build_exporters(_telemetry(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/"))
    assert [type(e) for e in exporters] == [OTLPSpanExporter]
    assert exporters[0]._endpoint == "http://collector:4318/v1/traces"


def test_a_connection_string_selects_azure_monitor_and_both_select_both() -> None:
    azure = build_exporters(_telemetry(APPLICATIONINSIGHTS_CONNECTION_STRING=CONNECTION_STRING))
    assert [type(e) for e in azure] == [AzureMonitorTraceExporter]
    both = build_exporters(
        _telemetry(
            APPLICATIONINSIGHTS_CONNECTION_STRING=CONNECTION_STRING,
            OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318",
        )
    )
    assert sorted(type(e).__name__ for e in both) == ["AzureMonitorTraceExporter", "OTLPSpanExporter"]


def test_the_sdk_switch_turns_everything_off() -> None:
    telemetry = _telemetry(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318", OTEL_SDK_DISABLED="true")
    assert build_exporters(telemetry) == []


def test_the_connection_string_is_a_secret_in_the_settings() -> None:
    telemetry = _telemetry(APPLICATIONINSIGHTS_CONNECTION_STRING=CONNECTION_STRING)
    assert "5f1c3a7e" not in repr(telemetry) and "5f1c3a7e" not in str(telemetry.model_dump())


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in OTEL_VARIABLES}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_with_tracing_off_the_api_loads_no_tracing_sdk_and_no_instrumentation(tmp_path: Path) -> None:
    # (redis-py imports opentelemetry.sdk.metrics by itself when the SDK is installed; that is not ours.)
    result = _run(
        "import sys\n"
        "from opentelemetry import trace\n"
        "from api.main import create_app\n"
        "create_app()\n"
        "prefixes = ('opentelemetry.sdk.trace', 'opentelemetry.instrumentation', 'opentelemetry.exporter')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(prefixes))\n"
        "print(type(trace.get_tracer_provider()).__name__, loaded)\n",
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",  # the engine connects lazily: never here
        WORKOPTI_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "ProxyTracerProvider []"


@pytest.mark.slow
def test_starting_with_azure_monitor_logs_the_exporter_never_the_connection_string(tmp_path: Path) -> None:
    result = _run(
        "from shared.config import Settings\n"
        "from shared.logging import configure_logging\n"
        "from shared.telemetry import setup_tracing, shutdown_tracing\n"
        "settings = Settings()\n"
        "configure_logging(settings, service='api')\n"
        "assert setup_tracing(settings, service='api') is not None\n"
        "shutdown_tracing()\n",
        APPLICATIONINSIGHTS_CONNECTION_STRING=CONNECTION_STRING,
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",
        WORKOPTI_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "AzureMonitorTraceExporter" in output
    assert "5f1c3a7e" not in output and "InstrumentationKey" not in output


# --- sampling and trace context ----------------------------------------------------------------


def _sampled(traceparent: str) -> bool:
    return bool(int(traceparent.rsplit("-", 1)[1], 16) & 0x01)


def test_a_traceparent_stored_as_text_resumes_the_same_trace(spans) -> None:
    provider, exporter = spans
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("POST /api/v1/documents", kind=trace.SpanKind.SERVER) as request:
        stored = current_traceparent()
    assert stored is not None and _sampled(stored)
    with tracer.start_as_current_span("job extract", context=context_from_traceparent(stored)) as job:
        pass
    assert job.get_span_context().trace_id == request.get_span_context().trace_id
    assert job.parent.span_id == request.get_span_context().span_id
    assert [s.name for s in exporter.get_finished_spans()] == ["POST /api/v1/documents", "job extract"]


def test_no_span_or_a_malformed_traceparent_gives_nothing() -> None:
    assert current_traceparent() is None
    assert context_from_traceparent(None) is None
    assert context_from_traceparent("00-not-a-trace-01") is None
    assert context_from_traceparent("00-" + "0" * 32 + "-" + "0" * 16 + "-01") is None


def test_a_job_follows_its_requests_sampling_decision() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=build_sampler(0.0))  # no new trace is kept
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("POST /api/v1/documents", kind=trace.SpanKind.SERVER):
        stored = current_traceparent()
    assert stored is not None and not _sampled(stored)
    with tracer.start_as_current_span("job extract", context=context_from_traceparent(stored)) as job:
        assert not job.is_recording()
    assert exporter.get_finished_spans() == ()


def test_background_chatter_starts_no_trace(spans) -> None:
    provider, exporter = spans
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("SELECT", kind=trace.SpanKind.CLIENT):  # a heartbeat, a probe
        pass
    for task_span in (f"run/{SWEEP_TASK}", "run/workopti.jobs.extract"):
        with (
            tracer.start_as_current_span(task_span, kind=trace.SpanKind.CONSUMER),
            tracer.start_as_current_span("SELECT", kind=trace.SpanKind.CLIENT),
        ):
            pass
    assert [s.name for s in exporter.get_finished_spans()] == ["SELECT", "run/workopti.jobs.extract"]


def test_the_provider_names_the_service_and_environment() -> None:
    settings = Settings(app=AppSettings(ENVIRONMENT="showcase", APP_VERSION="1.2.3"))
    provider = build_provider(settings, service="worker", exporters=[])
    attributes = provider.resource.attributes
    assert attributes["service.name"] == "workopti-worker"
    assert attributes["service.version"] == "1.2.3"
    assert attributes["deployment.environment.name"] == "showcase"
    provider.shutdown()


# --- logs --------------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    sys_stdout, sys.stdout = sys.stdout, stream  # configure_logging writes to stdout
    try:
        configure_logging(Settings(app=AppSettings(LOG_FORMAT="json", LOG_LEVEL="INFO")), service="api")
    finally:
        sys.stdout = sys_stdout
    install_log_correlation()
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def test_json_log_lines_inside_a_span_carry_its_trace_and_span_ids(spans, json_log) -> None:
    provider, _ = spans
    log = logging.getLogger("workopti.test")
    with provider.get_tracer("test").start_as_current_span("job extract") as span:
        log.info("inside")
    log.info("outside")
    inside, outside = (json.loads(line) for line in json_log.getvalue().splitlines())
    context = span.get_span_context()
    assert inside["message"] == "inside"
    assert inside["trace_id"] == f"{context.trace_id:032x}"
    assert inside["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in outside and "span_id" not in outside
