"""Log records made inside a span carry its ids, so a JSON log line leads to its trace and back."""

from __future__ import annotations

import logging

from opentelemetry import trace

_installed = False


def install_log_correlation() -> None:
    """Add `trace_id` and `span_id` to every record made inside a span (JSON logs print them as fields).

    A record factory rather than a handler filter: `configure_logging` replaces the handlers (each worker
    child does on its first task), the factory stays.
    """
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def with_trace_ids(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = f"{span_context.trace_id:032x}"
            record.span_id = f"{span_context.span_id:016x}"
        return record

    logging.setLogRecordFactory(with_trace_ids)
    _installed = True
