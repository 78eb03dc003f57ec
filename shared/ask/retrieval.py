"""The passages an answer may use: the best pages by hybrid search (so the same access rule as search
applies, and only the outputs a document shows), each cut down to its best window of text."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.ask.quotes import content_words, sentences
from shared.providers.embeddings import EmbeddingProvider
from shared.search.service import SearchMode, search

PASSAGES = 6
PASSAGE_CHARS = 1200


@dataclass(frozen=True)
class Passage:
    number: int  # 1-based: how the answer cites it
    document_id: uuid.UUID
    filename: str
    page_no: int
    text: str  # a slice of the page's text, as GET /documents/{id}/pages returns it
    page_text: str  # the whole page, against which quotes are checked

    def as_source(self) -> dict[str, object]:
        return {
            "number": self.number,
            "document_id": str(self.document_id),
            "filename": self.filename,
            "page_no": self.page_no,
            "text": self.text,
        }


def retrieve(
    session: Session,
    user_id: uuid.UUID,
    query: str,
    *,
    within: Sequence[uuid.UUID] | None,
    embeddings: Callable[[], EmbeddingProvider],
    limit: int = PASSAGES,
) -> list[Passage]:
    hits = search(
        session,
        user_id,
        query,
        limit=limit,
        mode=SearchMode.HYBRID,
        embeddings=embeddings,
        within=within,
        any_word=True,
    )
    if not hits:
        return []
    rows = session.execute(
        text(
            """
            SELECT p.document_id, p.page_no, p.text
            FROM pages p
            JOIN jobs j ON j.id = p.job_id AND j.current
            WHERE (p.document_id, p.page_no) IN
                  (SELECT * FROM unnest(CAST(:docs AS uuid[]), CAST(:pages AS int[])))
            """
        ),
        {"docs": [h.document_id for h in hits], "pages": [h.page_no for h in hits]},
    ).all()
    pages = {(r.document_id, r.page_no): r.text for r in rows}
    passages: list[Passage] = []
    for hit in hits:
        page_text = pages.get((hit.document_id, hit.page_no))
        if not page_text or not page_text.strip():
            continue
        passages.append(
            Passage(
                number=len(passages) + 1,
                document_id=hit.document_id,
                filename=hit.filename,
                page_no=hit.page_no,
                text=best_window(page_text, query),
                page_text=page_text,
            )
        )
    return passages


def best_window(page_text: str, query: str, max_chars: int = PASSAGE_CHARS) -> str:
    """The run of whole sentences of at most `max_chars` that holds the most of the query's words (the
    earliest on a tie); the page itself when it is short enough."""
    if len(page_text) <= max_chars:
        return page_text.strip()
    spans = sentences(page_text)
    wanted = content_words(query)
    best: tuple[int, int] | None = None
    best_score = -1
    for first in range(len(spans)):
        start = spans[first][0]
        covered: set[str] = set()
        end = spans[first][1]
        for last in range(first, len(spans)):
            if spans[last][1] - start > max_chars:
                break
            end = spans[last][1]
            covered |= wanted & content_words(page_text[spans[last][0] : spans[last][1]])
        if len(covered) > best_score:
            best, best_score = (start, min(end, start + max_chars)), len(covered)
    assert best is not None
    return page_text[best[0] : best[1]]
