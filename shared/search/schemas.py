"""The shape search results take on the way out."""

from __future__ import annotations

import uuid

from shared.schemas import Schema
from shared.search.service import SearchMode


class SearchHitOut(Schema):
    document_id: uuid.UUID
    filename: str
    page_no: int
    snippet: str
    highlights: list[tuple[int, int]]
    score: float
    matched_by: list[str]


class SearchResults(Schema):
    items: list[SearchHitOut]
    next_cursor: None = None
    mode: SearchMode
