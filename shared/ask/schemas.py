"""What an ask and a conversation look like on the way in and out."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from shared.schemas import Schema


class AskIn(Schema):
    question: str = Field(
        min_length=1,
        max_length=20_000,
        description="At most 2,000 characters once runs of whitespace are one space "
        "(longer: 400 question_too_long).",
    )
    document_ids: list[uuid.UUID] | None = Field(
        None, description="Ask within these documents only; left out: everything the caller may read."
    )
    conversation_id: uuid.UUID | None = Field(None, description="Continue this conversation (a follow-up).")


class CitationOut(Schema):
    number: int = Field(description="The passage the answer cites as [number].")
    document_id: uuid.UUID
    filename: str
    page_no: int
    quote: str = Field(description="Verbatim text of the page, as GET /documents/{id}/pages returns it.")


class SourceOut(Schema):
    number: int
    document_id: uuid.UUID
    filename: str
    page_no: int
    text: str


class AnswerOut(Schema):
    answer: str
    grounded: bool = Field(description="False when nothing in the caller's documents supports an answer.")
    citations: list[CitationOut]
    sources: list[SourceOut] = Field(description="The passages retrieved, closest first.")
    conversation_id: uuid.UUID
    position: int = Field(description="The turn's place in its conversation, from 0.")
    provider: str
    model: str
    extractive: bool = Field(description="True when the answer quotes the documents instead of writing one.")


class TurnOut(Schema):
    position: int
    question: str
    document_ids: list[uuid.UUID] | None
    answer: str
    grounded: bool
    citations: list[CitationOut]
    sources: list[SourceOut]
    provider: str
    model: str
    extractive: bool
    created_at: dt.datetime


class ConversationOut(Schema):
    id: uuid.UUID
    title: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ConversationDetailOut(ConversationOut):
    turns: list[TurnOut]


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None = None
