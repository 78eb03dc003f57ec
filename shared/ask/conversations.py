"""A user's conversations: listed newest first, read with their turns, deleted. Only their owner ever
sees one; for anyone else it does not exist."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.ask.errors import ConversationNotFound
from shared.ask.schemas import ConversationDetailOut, ConversationOut, TurnOut
from shared.models import Conversation, ConversationTurn

PAGE = 100


def list_for(session: Session, user_id: uuid.UUID, limit: int = PAGE) -> list[ConversationOut]:
    rows = session.scalars(
        select(Conversation)
        .where(Conversation.user_id == user_id)
        .order_by(Conversation.updated_at.desc(), Conversation.id)
        .limit(limit)
    )
    return [ConversationOut.from_row(row) for row in rows]


def get(session: Session, user_id: uuid.UUID, conversation_id: uuid.UUID) -> ConversationDetailOut:
    conversation = _owned(session, user_id, conversation_id)
    turns = session.scalars(
        select(ConversationTurn)
        .where(ConversationTurn.conversation_id == conversation_id)
        .order_by(ConversationTurn.position)
    )
    return ConversationDetailOut.from_row(conversation, turns=[TurnOut.from_row(t) for t in turns])


def remove(session: Session, user_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
    _owned(session, user_id, conversation_id)
    session.execute(delete(Conversation).where(Conversation.id == conversation_id))


def _owned(session: Session, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.user_id != user_id:
        error = ConversationNotFound(f"Conversation {conversation_id} was not found.")
        error.denied = conversation is not None
        raise error
    return conversation
