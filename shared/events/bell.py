"""A ring on Redis after events are committed, so every open stream looks at once. It carries no data:
the database has the events. Losing a ring costs a stream a few seconds, never an event."""

from __future__ import annotations

import logging
import threading
from typing import Any

from shared.config import get_settings

log = logging.getLogger(__name__)

CHANNEL = "workopti:events"
_client: Any = None
_lock = threading.Lock()


def ring() -> None:
    try:
        client = _redis()
        if client is not None:
            client.publish(CHANNEL, b"")
    except Exception as exc:  # Redis down: streams fall back to looking every few seconds
        log.debug("could not ring the event bell: %s", exc)


def _redis() -> Any:
    global _client
    if _client is None:
        url = get_settings().broker.url
        if not url:
            return None
        import redis

        with _lock:
            if _client is None:
                _client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    return _client
