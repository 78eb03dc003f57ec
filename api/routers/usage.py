from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.usage import service as usage
from shared.usage.schemas import UsageList, UsageRowOut

router = APIRouter(prefix=API_PREFIX, tags=["usage"], responses=API_PROBLEMS)


@router.get("/usage", response_model=UsageList, summary="What paid providers consumed for the caller")
def my_usage(user: CurrentUser, session: SessionDep) -> UsageList:
    """Summed per provider, model and kind of work (extract, embed, ai, search); empty when all is local.
    Kept when documents are deleted: it is what was consumed, not what still exists."""
    return UsageList(items=[UsageRowOut.model_validate(row) for row in usage.of_user(session, user.id)])
