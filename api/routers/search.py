from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, StateDep
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.providers.usage import metering
from shared.search.service import SearchMode, search
from shared.usage.service import charge_user

router = APIRouter(prefix=API_PREFIX, tags=["search"], responses=API_PROBLEMS)


class SearchHitOut(BaseModel):
    document_id: uuid.UUID
    filename: str
    page_no: int
    snippet: str
    highlights: list[tuple[int, int]]
    score: float
    matched_by: list[str]


class SearchResults(BaseModel):
    items: list[SearchHitOut]
    next_cursor: None = None
    mode: SearchMode


@router.get("/search", response_model=SearchResults, summary="Search every page the caller may read")
def search_documents(
    user: CurrentUser,
    session: SessionDep,
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    mode: SearchMode = SearchMode.HYBRID,
) -> SearchResults:
    with metering() as meter:
        hits = search(session, user.id, q, limit=limit, mode=mode, embeddings=state.embeddings)
    charge_user(session, user.id, "search", meter.as_list())  # a cloud embedding of the query costs
    return SearchResults(
        items=[
            SearchHitOut(
                document_id=h.document_id,
                filename=h.filename,
                page_no=h.page_no,
                snippet=h.snippet,
                highlights=h.highlights,
                score=h.score,
                matched_by=h.matched_by,
            )
            for h in hits
        ],
        mode=mode,
    )
