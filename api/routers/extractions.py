"""Running schemas on documents, and reading what they found."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import ReadUser, SessionDep, StateDep, WriteUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.documents import access
from shared.documents.access import Role
from shared.documents.service import job_view
from shared.extraction import results
from shared.extraction.outputs import ExtractionList
from shared.extraction.runs import SchemaRunIn, SchemaRunOut, run_schema

router = APIRouter(prefix=API_PREFIX, tags=["extraction"], responses=API_PROBLEMS)


@router.post(
    "/schemas/{schema_id}/runs",
    status_code=202,
    response_model=SchemaRunOut,
    summary="Extract a schema's fields from documents",
    description="Each document keeps the schema: every later extraction of it includes it. A document "
    "being processed is extracted as soon as its processing completes (listed as `waiting`). Needs the "
    "viewer role on the schema and the editor role on each document; `label` picks every document the "
    "caller may edit that is classified with it.",
)
def run_schema_on_documents(
    schema_id: uuid.UUID, body: SchemaRunIn, user: WriteUser, session: SessionDep, state: StateDep
) -> SchemaRunOut:
    return run_schema(session, user.id, schema_id, body, state.settings.jobs, job_view)


@router.get(
    "/documents/{document_id}/extractions",
    response_model=ExtractionList,
    summary="The fields each schema found in the document, with their evidence and review state",
)
def get_extractions(document_id: uuid.UUID, user: ReadUser, session: SessionDep) -> ExtractionList:
    access.require(session, user.id, document_id, Role.VIEWER)
    return ExtractionList(items=results.for_document(session, document_id))
