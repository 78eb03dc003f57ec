"""Asking: check what was asked and of which documents, retrieve passages, stream the answer, verify its
citations, and store the turn. Everything is checked before the first event, so a bad request is a
problem, not a stream that starts and fails; and a turn is stored only once its answer is complete."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from shared.ask.citations import resolve
from shared.ask.errors import ConversationNotFound
from shared.ask.retrieval import Passage, retrieve
from shared.documents.access import not_found, visible_to
from shared.errors import Invalid
from shared.models import Conversation, ConversationTurn, Document
from shared.providers.answers import NOT_FOUND, Answerer, Source, Turn
from shared.providers.embeddings import EmbeddingProvider
from shared.providers.usage import metering
from shared.query_text import clean_query
from shared.usage.service import charge_user

MAX_QUESTION_CHARS = 2000
MAX_DOCUMENTS = 100
HISTORY_TURNS = 5
NOT_FOUND_ANSWER = "I could not find this in your documents."
TITLE_CHARS = 120

Event = tuple[str, dict[str, Any]]


@dataclass
class Question:
    """A question that may be asked: checked, with its conversation's earlier turns."""

    user_id: uuid.UUID
    text: str
    within: list[uuid.UUID] | None
    conversation_id: uuid.UUID
    new_conversation: bool
    history: list[Turn] = field(default_factory=list)


def prepare(
    session: Session,
    user_id: uuid.UUID,
    question: str,
    document_ids: Sequence[uuid.UUID] | None = None,
    conversation_id: uuid.UUID | None = None,
) -> Question:
    text = clean_query(question)
    if not text:
        raise Invalid("The question is empty.", code="empty_question")
    if len(text) > MAX_QUESTION_CHARS:
        raise Invalid(
            f"The question is longer than {MAX_QUESTION_CHARS} characters.", code="question_too_long"
        )
    within = None
    if document_ids is not None:
        within = list(dict.fromkeys(document_ids))
        if not within:
            raise Invalid(
                "document_ids is empty; leave it out to ask across all documents.", code="no_documents"
            )
        if len(within) > MAX_DOCUMENTS:
            raise Invalid(f"Ask within at most {MAX_DOCUMENTS} documents.", code="too_many_documents")
        readable = set(
            session.scalars(select(Document.id).where(Document.id.in_(within), visible_to(user_id)))
        )
        for document_id in within:
            if document_id not in readable:
                raise not_found(session, document_id)
    history: list[Turn] = []
    if conversation_id is None:
        return Question(user_id, text, within, uuid.uuid4(), True)
    owner = session.scalar(select(Conversation.user_id).where(Conversation.id == conversation_id))
    if owner != user_id:
        error = ConversationNotFound(f"Conversation {conversation_id} was not found.")
        error.denied = owner is not None
        raise error
    turns = session.execute(
        select(ConversationTurn.question, ConversationTurn.answer)
        .where(ConversationTurn.conversation_id == conversation_id)
        .order_by(ConversationTurn.position.desc())
        .limit(HISTORY_TURNS)
    ).all()
    history = [Turn(t.question, t.answer) for t in reversed(turns)]
    return Question(user_id, text, within, conversation_id, False, history)


def answer(
    question: Question,
    *,
    sessions: sessionmaker[Session],
    answerer: Answerer,
    embeddings: Callable[[], EmbeddingProvider],
) -> Generator[Event, None, None]:
    """The events of one answer: `sources`, `delta`s, `citation`s, then `done` with the whole answer.
    No database connection is held while the answer is written."""
    with metering() as meter:
        charged = False

        def charge(session: Session) -> None:
            nonlocal charged
            charge_user(session, question.user_id, "ask", meter.as_list())
            charged = True

        try:
            yield from _answer(question, sessions, answerer, embeddings, charge)
        finally:
            if not charged and meter.as_list():  # what was spent is spent, answered or not
                with sessions.begin() as session:
                    charge(session)


def _answer(
    question: Question,
    sessions: sessionmaker[Session],
    answerer: Answerer,
    embeddings: Callable[[], EmbeddingProvider],
    charge: Callable[[Session], None],
) -> Generator[Event, None, None]:
    query = answerer.search_query(question.text, question.history)
    with sessions() as session:
        passages = retrieve(session, question.user_id, query, within=question.within, embeddings=embeddings)
    yield "sources", {"sources": [p.as_source() for p in passages]}

    text = ""
    shown = 0
    for piece in answerer.answer(question.text, question.history, [_source(p) for p in passages]):
        text += piece
        if _may_be_not_found(text):
            continue  # held back until it is clear this is not the NOT_FOUND reply
        yield "delta", {"text": text[shown:]}
        shown = len(text)

    grounded = not _is_not_found(text)
    citations: list[dict[str, Any]] = []
    if grounded:
        text, citations = resolve(text, passages)
        grounded = bool(citations)  # an answer that cites nothing it was given is not an answer
    if not grounded:
        text, citations = NOT_FOUND_ANSWER, []
        if shown == 0:
            yield "delta", {"text": text}
    for citation in citations:
        yield "citation", citation

    result = {
        "answer": text,
        "grounded": grounded,
        "citations": citations,
        "sources": [p.as_source() for p in passages],
        "conversation_id": str(question.conversation_id),
        "provider": answerer.provider,
        "model": answerer.model,
        "extractive": answerer.extractive,
    }
    with sessions.begin() as session:
        result["position"] = _store(session, question, result)
        charge(session)
    yield "done", result


def _source(passage: Passage) -> Source:
    return Source(passage.number, passage.filename, passage.page_no, passage.text)


def _may_be_not_found(text: str) -> bool:
    stripped = text.strip()
    return NOT_FOUND.startswith(stripped) or _is_not_found(text)


def _is_not_found(text: str) -> bool:
    stripped = text.strip().rstrip(".").strip()
    return stripped == NOT_FOUND or stripped == ""


def _store(session: Session, question: Question, result: dict[str, Any]) -> int:
    """Store the turn; returns its position in the conversation."""
    now = dt.datetime.now(dt.UTC)
    if question.new_conversation:
        session.add(
            Conversation(
                id=question.conversation_id,
                user_id=question.user_id,
                title=_title(question.text),
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        position = 0
    else:
        # Locks the conversation, so two questions asked at once are stored one after the other.
        found = session.execute(
            update(Conversation)
            .where(Conversation.id == question.conversation_id, Conversation.user_id == question.user_id)
            .values(updated_at=now)
            .returning(Conversation.id)
        ).first()
        if found is None:
            raise ConversationNotFound(f"Conversation {question.conversation_id} was deleted.")
        last = session.scalar(
            select(func.max(ConversationTurn.position)).where(
                ConversationTurn.conversation_id == question.conversation_id
            )
        )
        position = 0 if last is None else last + 1
    session.add(
        ConversationTurn(
            conversation_id=question.conversation_id,
            position=position,
            question=question.text,
            document_ids=question.within,
            answer=result["answer"],
            grounded=result["grounded"],
            citations=result["citations"],
            sources=result["sources"],
            extractive=result["extractive"],
            provider=result["provider"],
            model=result["model"],
            created_at=now,
        )
    )
    return position


def _title(question: str) -> str:
    if len(question) <= TITLE_CHARS:
        return question
    cut = question.rfind(" ", 0, TITLE_CHARS - 1)
    return question[: cut if cut > TITLE_CHARS // 2 else TITLE_CHARS - 1] + "…"
