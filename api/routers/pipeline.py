from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.jobs.kinds import catalog
from shared.jobs.schemas import PipelineOut, StepOut

router = APIRouter(prefix=API_PREFIX, tags=["documents"], responses=API_PROBLEMS)


@router.get("/pipeline", response_model=PipelineOut, summary="The steps a document can go through")
def pipeline(_user: CurrentUser) -> PipelineOut:
    known = catalog()
    return PipelineOut(
        steps=[StepOut.model_validate(kind) for kind in known],
        default=known.default_pipeline,
    )
