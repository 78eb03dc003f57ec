"""The relay from an answer being written to its server-sent events: errors become an `error` event, and
a caller who goes away closes the producer at its next event."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

from api.streaming import _relay
from shared.errors import Invalid


async def _collect(events: Iterator[tuple[str, dict[str, Any]]]) -> list[tuple[str | None, str]]:
    return [(e.event, str(e.data)) async for e in _relay(events, "/api/v1/ask")]


def test_events_pass_in_order_and_an_error_ends_the_stream_as_a_problem() -> None:
    def producer() -> Iterator[tuple[str, dict[str, Any]]]:
        yield "sources", {"sources": []}
        yield "delta", {"text": "Hé"}
        raise Invalid("No.", code="nope")

    received = asyncio.run(_collect(producer()))
    assert [name for name, _ in received] == ["sources", "delta", "error"]
    assert received[1][1] == '{"text": "Hé"}'
    assert '"code": "nope"' in received[2][1] and '"status": 400' in received[2][1]


def test_a_caller_who_goes_away_closes_the_producer_at_its_next_event() -> None:
    resume, closed = threading.Event(), threading.Event()
    produced: list[int] = []

    def producer() -> Iterator[tuple[str, dict[str, Any]]]:
        try:
            for n in range(1000):
                produced.append(n)
                yield "delta", {"text": str(n)}
                if n == 0:
                    resume.wait(10)
        finally:
            closed.set()

    async def hang_up_after_the_first_event() -> None:
        stream = _relay(producer(), "/api/v1/ask")
        first = await anext(stream)
        assert first.event == "delta"
        await stream.aclose()  # what the server does when the connection drops
        resume.set()

    asyncio.run(hang_up_after_the_first_event())
    assert closed.wait(10)
    assert len(produced) <= 2  # stopped at the first event after the hang-up, not at the end
