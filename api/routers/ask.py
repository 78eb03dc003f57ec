from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from api.deps import SearchUser, SessionDep, StateDep
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from api.streaming import event_stream, wants_events
from shared.ask import service
from shared.ask.schemas import AnswerOut, AskIn

router = APIRouter(prefix=API_PREFIX, tags=["ask"], responses=API_PROBLEMS)

_STREAM_DOC = """With `Accept: text/event-stream` the answer streams as server-sent events: `sources` (the
passages retrieved), `delta` (`{"text"}` pieces of the answer), `citation` (each verified citation),
`done` (the whole answer, as the JSON response) or `error` (a problem object), then the stream ends.
Comment lines are heartbeats while the model thinks."""


@router.post(
    "/ask",
    response_model=AnswerOut,
    summary="Ask a question of the documents the caller may read",
    description="The answer cites the pages it comes from; every quote is the page's own text. "
    + _STREAM_DOC,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
def ask(
    body: AskIn,
    request: Request,
    user: SearchUser,
    session: SessionDep,
    state: StateDep,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    state.quotas.check_ask(user.subject)
    question = service.prepare(session, user.id, body.question, body.document_ids, body.conversation_id)
    session.commit()  # gives the connection back: none is held while the answer is written
    events = service.answer(
        question, sessions=state.factory, answerer=state.answerer(), embeddings=state.embeddings
    )
    if wants_events(accept):
        return event_stream(
            events,
            instance=request.url.path,
            heartbeat_seconds=state.settings.server.stream_heartbeat_seconds,
        )
    answer = [data for name, data in events if name == "done"]  # the last event, or an exception
    return AnswerOut.model_validate(answer[-1])
