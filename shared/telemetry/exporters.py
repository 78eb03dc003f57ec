"""Which exporters the settings ask for. Each SDK is imported only when its exporter is chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.config import TelemetrySettings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter


def build_exporters(telemetry: TelemetrySettings) -> list[SpanExporter]:
    """OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, Azure Monitor when its connection string is,
    both when both are; empty when tracing is off."""
    if not telemetry.enabled:
        return []
    exporters: list[SpanExporter] = []
    traces_url = telemetry.otlp_traces_url()
    if traces_url:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # Headers (an API key for a hosted collector) come from OTEL_EXPORTER_OTLP_HEADERS, read by the
        # exporter itself, so they never pass through our settings or logs.
        exporters.append(OTLPSpanExporter(endpoint=traces_url))
    if telemetry.azure_monitor_connection_string:
        try:
            from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter
        except ImportError as exc:
            raise RuntimeError(
                "APPLICATIONINSIGHTS_CONNECTION_STRING is set but azure-monitor-opentelemetry-exporter is "
                "not installed (the `cloud` extra)"
            ) from exc
        exporters.append(
            AzureMonitorTraceExporter(
                connection_string=telemetry.azure_monitor_connection_string.get_secret_value()
            )
        )
    return exporters


def exporter_names(exporters: list[SpanExporter]) -> list[str]:
    """What to tell operators: the kinds of exporter, never their endpoints' secrets."""
    return [type(exporter).__name__ for exporter in exporters]
