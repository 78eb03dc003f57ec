"""The caller's document and job changes as server-sent events, resumable with Last-Event-ID."""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import ReadUser, StateDep
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from api.state import AppState
from api.streaming import STREAM_HEADERS
from shared.errors import Invalid
from shared.events import bell
from shared.events import service as events

log = logging.getLogger(__name__)

router = APIRouter(prefix=API_PREFIX, tags=["events"], responses=API_PROBLEMS)

# Without a ring from Redis, a stream looks for new events this often.
LOOK_AGAIN_SECONDS = 2.0
RECONNECT_MILLISECONDS = 2000
_BATCH = 500
MAX_EVENT_ID = 2**63 - 1  # the events table's bigint


@router.get(
    "/events",
    summary="The caller's document and job changes, live",
    description="Server-sent events: `document.changed` (`{document_id, status, revision}`, and "
    "`job_id`/`progress` for progress), `job.changed` (`{job_id, document_id, kind, status, attempt, "
    "detail}`), `document.deleted` and `extraction.completed` (`{document_id, job_id, schemas}`), for "
    "every document the caller may read. Each has an `id`: "
    "reconnect with `Last-Event-ID` (or `?after=`) to receive what was missed within "
    "EVENTS_RETENTION_SECONDS; a `reset` event says some were already pruned (refetch what you follow). "
    "Without either, the stream starts with what happens next. Comment lines are heartbeats.",
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def follow_events(
    user: ReadUser,
    state: StateDep,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_EVENT_ID, description="Resume after this event id.")
    ] = None,
) -> EventSourceResponse:
    resume = after
    if last_event_id is not None and last_event_id.strip():
        raw = last_event_id.strip()
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_EVENT_ID:
            raise Invalid("Last-Event-ID must be an event id.", code="invalid_last_event_id")
        resume = int(raw)
    oldest, newest = await run_in_threadpool(_bounds, state)
    return EventSourceResponse(
        _stream(state, user.id, newest if resume is None else resume, resume is not None and resume < oldest),
        ping=state.settings.server.stream_heartbeat_seconds,
        headers=STREAM_HEADERS,
        sep="\n",
    )


async def _stream(
    state: AppState, user_id: uuid.UUID, position: int, pruned: bool
) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(comment="connected", retry=RECONNECT_MILLISECONDS)
    if pruned:
        yield ServerSentEvent(event="reset", data=json.dumps({"reason": "events_pruned"}))
    async with _bell(state) as wait:
        while True:
            found = await run_in_threadpool(_since, state, user_id, position)
            for event_id, name, data in found:
                yield ServerSentEvent(id=str(event_id), event=name, data=json.dumps(data))
                position = event_id
            if len(found) < _BATCH:
                await wait()


def _bounds(state: AppState) -> tuple[int, int]:
    with state.factory() as session:
        return events.bounds(session)


def _since(state: AppState, user_id: uuid.UUID, position: int) -> list[tuple[int, str, dict[str, Any]]]:
    with state.factory() as session:
        return [(e.id, e.type, e.data) for e in events.since(session, user_id, position, _BATCH)]


@contextlib.asynccontextmanager
async def _bell(state: AppState) -> AsyncIterator[Any]:
    """A wait that ends when the event bell rings (or after LOOK_AGAIN_SECONDS regardless)."""
    import asyncio

    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(state.settings.broker.url) if state.settings.broker.url else None
    pubsub = None
    if client is not None:
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            await pubsub.subscribe(bell.CHANNEL)
        except Exception as exc:  # Redis down: look every few seconds instead
            log.warning("event stream without the Redis bell: %s", exc)
            pubsub = None

    async def wait() -> None:
        if pubsub is None:
            await asyncio.sleep(LOOK_AGAIN_SECONDS)
            return
        try:
            await pubsub.get_message(timeout=LOOK_AGAIN_SECONDS)
            while await pubsub.get_message(timeout=0.0) is not None:
                pass  # one look serves every ring that came meanwhile
        except Exception:
            await asyncio.sleep(LOOK_AGAIN_SECONDS)

    try:
        yield wait
    finally:
        with contextlib.suppress(Exception):
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()
