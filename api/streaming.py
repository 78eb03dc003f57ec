"""Server-sent events from a synchronous producer.

The producer (an answer being written: database reads, a provider's stream) runs in a thread of its own
from start to end, so what it keeps in context variables (usage metering, the trace) lasts the whole
answer; Starlette's threadpool would give each step a fresh copy. When the client goes away the
producer is closed at its next event, which closes the provider's stream in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import threading
from collections.abc import AsyncIterator, Generator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent

from api.problems import problem_body

# Proxies: no-transform keeps an intermediary from compressing the stream (which buffers it) and
# X-Accel-Buffering (sent by sse-starlette) turns nginx's buffering off for this response.
STREAM_HEADERS = {"Cache-Control": "no-cache, no-transform"}
_END = object()
Events = Generator[tuple[str, dict[str, Any]], None, None]


def wants_events(accept: str | None) -> bool:
    return "text/event-stream" in (accept or "").lower()


def event_stream(events: Events, *, instance: str, heartbeat_seconds: float) -> EventSourceResponse:
    return EventSourceResponse(
        _relay(events, instance), ping=heartbeat_seconds, headers=STREAM_HEADERS, sep="\n"
    )


async def _relay(events: Events, instance: str) -> AsyncIterator[ServerSentEvent]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stop = threading.Event()

    def put(item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening any more
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def produce() -> None:
        try:
            for event in events:
                put(event)
                if stop.is_set():
                    break
        except Exception as exc:
            put(("error", problem_body(exc, instance)))
        finally:
            with contextlib.suppress(Exception):
                events.close()
            put(_END)

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(produce,), name="event-stream", daemon=True).start()
    try:
        while (item := await queue.get()) is not _END:
            name, data = item
            yield ServerSentEvent(event=name, data=json.dumps(data, ensure_ascii=False))
    finally:
        stop.set()
