"""Where traces go. Unset, tracing is off and no OpenTelemetry SDK is even imported."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from shared.config.base import ENV


class TelemetrySettings(BaseSettings):
    model_config = ENV

    # Azure Monitor (Application Insights); a secret: it carries the instrumentation key.
    azure_monitor_connection_string: SecretStr | None = Field(
        None, alias="APPLICATIONINSIGHTS_CONNECTION_STRING"
    )
    # Any OTLP/HTTP collector; traces go to `<endpoint>/v1/traces`, headers from OTEL_EXPORTER_OTLP_HEADERS.
    otlp_endpoint: str | None = Field(None, alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    # Off whatever else is set, as the OpenTelemetry specification defines it.
    sdk_disabled: bool = Field(False, alias="OTEL_SDK_DISABLED")
    # Share of new traces kept; a job always follows the decision of the request that caused it.
    sample_ratio: float = Field(1.0, alias="TRACE_SAMPLE_RATIO", ge=0, le=1)
    # How long finished spans wait to be sent in a batch, in milliseconds (the specification's name).
    export_delay_ms: int = Field(5000, alias="OTEL_BSP_SCHEDULE_DELAY", ge=1)

    @property
    def enabled(self) -> bool:
        return not self.sdk_disabled and bool(self.azure_monitor_connection_string or self.otlp_endpoint)

    def otlp_traces_url(self) -> str | None:
        if not self.otlp_endpoint:
            return None
        return self.otlp_endpoint.rstrip("/") + "/v1/traces"
