"""A user's conversations: listed newest first, read with their turns, deleted. Only their owner ever
sees one; for anyone else it does not exist."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from shared.ask.errors import ConversationNotFound
from shared.ask.schemas import ConversationDetailOut, ConversationOut, ConversationPage, TurnOut
from shared.errors import Invalid
from shared.models import Conversation, ConversationTurn
from shared.paging import decode_cursor, encode_cursor


def list_for(session: Session, user_id: uuid.UUID, limit: int, cursor: str | None = None) -> ConversationPage:
    """The newest first, a page at a time (keyset: a deep page costs what the first does)."""
    query = select(Conversation).where(Conversation.user_id == user_id)
    if cursor is not None:
        raw_updated, raw_id = decode_cursor(cursor, 2)
        try:
            after = (dt.datetime.fromisoformat(raw_updated), uuid.UUID(raw_id))
        except ValueError as exc:
            raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc
        query = query.where(
            or_(
                Conversation.updated_at < after[0],
                and_(Conversation.updated_at == after[0], Conversation.id > after[1]),
            )
        )
    rows = list(
        session.scalars(query.order_by(Conversation.updated_at.desc(), Conversation.id).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].updated_at, rows[-1].id) if more else None
    return ConversationPage(items=[ConversationOut.from_row(row) for row in rows], next_cursor=next_cursor)


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
