from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SearchUser, SessionDep, StateDep
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.providers.usage import metering
from shared.search.schemas import SearchHitOut, SearchResults
from shared.search.service import SearchMode, search
from shared.usage.service import charge_user

router = APIRouter(prefix=API_PREFIX, tags=["search"], responses=API_PROBLEMS)


@router.get("/search", response_model=SearchResults, summary="Search every page the caller may read")
def search_documents(
    user: SearchUser,
    session: SessionDep,
    state: StateDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    mode: SearchMode = SearchMode.HYBRID,
) -> SearchResults:
    with metering() as meter:
        hits = search(session, user.id, q, limit=limit, mode=mode, embeddings=state.embeddings)
    charge_user(session, user.id, "search", meter.as_list())  # a cloud embedding of the query costs
    return SearchResults(items=[SearchHitOut.model_validate(hit) for hit in hits], mode=mode)
