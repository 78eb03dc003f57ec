from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import SearchUser, SessionDep
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.ask import conversations
from shared.ask.schemas import ConversationDetailOut, ConversationPage

router = APIRouter(prefix=f"{API_PREFIX}/conversations", tags=["ask"], responses=API_PROBLEMS)


@router.get("", response_model=ConversationPage, summary="The caller's conversations, newest first")
def list_conversations(
    user: SearchUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ConversationPage:
    return conversations.list_for(session, user.id, limit, cursor)


@router.get("/{conversation_id}", response_model=ConversationDetailOut, summary="A conversation's turns")
def get_conversation(
    conversation_id: uuid.UUID, user: SearchUser, session: SessionDep
) -> ConversationDetailOut:
    return conversations.get(session, user.id, conversation_id)


@router.delete("/{conversation_id}", status_code=204, summary="Delete a conversation and its turns")
def delete_conversation(conversation_id: uuid.UUID, user: SearchUser, session: SessionDep) -> Response:
    conversations.remove(session, user.id, conversation_id)
    return Response(status_code=204)
