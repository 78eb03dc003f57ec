"""Process-wide logging: readable text locally, one JSON object per line where logs are collected."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from shared.config import Settings

LogFilter = Callable[[logging.LogRecord], bool]
_filters: list[LogFilter] = []


def configure_logging(settings: Settings, *, service: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    if settings.app.log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"service": service, "environment": settings.app.environment.value},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    for keep in _filters:
        handler.addFilter(keep)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # LOG_LEVEL's default follows ENVIRONMENT (DEBUG in dev, INFO elsewhere); see shared/config/environments.py.
    root.setLevel(settings.app.log_level or "INFO")
    # Libraries whose debug output is their own plumbing (connection pools, image chunks), not ours.
    for noisy in ("httpx", "httpcore", "urllib3", "multipart", "python_multipart", "PIL", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def add_log_filter(keep: LogFilter) -> None:
    """Filter every record this process logs, through its handlers now and those any later
    `configure_logging` makes (a worker's pool process configures logging again on its first task)."""
    if keep not in _filters:
        _filters.append(keep)
    for handler in logging.getLogger().handlers:
        handler.addFilter(keep)
