"""The W3C trace context of the current span as text, so work that starts later, in another process and
from a row rather than a message (a job), can continue the trace of the request that caused it."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_W3C = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    """`00-<trace id>-<span id>-<flags>` of the current span; None outside a span or with tracing off.

    The flags keep the sampling decision, so a job follows whatever was decided for its request.
    """
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{int(span_context.trace_flags):02x}"


def context_from_traceparent(traceparent: str | None) -> Context | None:
    """A context whose remote parent is `traceparent`; None when it is absent or malformed."""
    if not traceparent:
        return None
    context = _W3C.extract({"traceparent": traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None
