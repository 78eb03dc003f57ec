"""Reviewing extracted values (correct, confirm, mark reviewed), the review queue, and exports."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse

from api.deps import ReadUser, SessionDep, StateDep, WriteUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from shared.db.engine import session_scope
from shared.extraction import export, review
from shared.extraction.outputs import ExtractionOut
from shared.extraction.review import FieldReviewIn, ReviewQueue

router = APIRouter(prefix=API_PREFIX, tags=["review"], responses=API_PROBLEMS)

FieldName = Annotated[str, PathParam(min_length=1, max_length=200)]
CHUNK = 64 * 1024


@router.patch(
    "/documents/{document_id}/extractions/{schema_id}/fields/{field_name}",
    response_model=ExtractionOut,
    summary="Correct or confirm a field's value (editor or owner of the document)",
    description="`correct` records the value a person gives (checked against the field's type; `422 "
    "invalid_value` names the field) beside what was found, which is kept (`found_value`); `confirm` says "
    "the value shown is right. Every review is kept with who and when; the newest counts.",
)
def review_field(
    document_id: uuid.UUID,
    schema_id: uuid.UUID,
    field_name: FieldName,
    body: FieldReviewIn,
    user: WriteUser,
    session: SessionDep,
) -> ExtractionOut:
    return review.review_field(session, user.id, document_id, schema_id, field_name, body)


@router.post(
    "/documents/{document_id}/extractions/{schema_id}/reviewed",
    response_model=ExtractionOut,
    summary="Mark the document reviewed for the schema: it leaves the review queue",
)
def mark_reviewed(
    document_id: uuid.UUID, schema_id: uuid.UUID, user: WriteUser, session: SessionDep
) -> ExtractionOut:
    return review.mark_reviewed(session, user.id, document_id, schema_id)


@router.get(
    "/reviews",
    response_model=ReviewQueue,
    summary="What waits for a person: extractions with fields to review, newest first",
    description="Among the documents the caller may edit: current extractions with a field still "
    "`needs_review`, unless the document was marked reviewed since it was extracted.",
)
def review_queue(
    user: ReadUser,
    session: SessionDep,
    schema_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ReviewQueue:
    return review.queue(session, user.id, schema_id, limit, cursor)


@router.get(
    "/schemas/{schema_id}/export",
    summary="A schema's results across the caller's documents, streamed as CSV, JSON Lines or XLSX",
    description="One row per document with a current result for the schema, with corrected values and a "
    "`<field>__review` column per field. Money is `<field>__amount` and `<field>__currency` in CSV and "
    "XLSX; a list field is one JSON cell there and nested objects in JSON Lines. CSV cells that would "
    "start a formula are prefixed with `'`.",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/jsonl": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
def export_schema(
    schema_id: uuid.UUID,
    user: ReadUser,
    session: SessionDep,
    state: StateDep,
    format: Annotated[export.ExportFormat, Query()] = "csv",
) -> StreamingResponse:
    plan = export.plan(session, user.id, schema_id)
    headers = {
        "Content-Disposition": export.content_disposition(plan.filename(format)),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if format == "xlsx":
        # A workbook is a zip whose index comes last: it is written whole to disk, then streamed.
        path = _temp_path(".xlsx")
        try:
            export.write_xlsx(plan, export.records(session, user.id, plan), path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        headers["Content-Length"] = str(path.stat().st_size)
        return StreamingResponse(_file_chunks(path), media_type=export.MEDIA_TYPES[format], headers=headers)

    def rows() -> Iterator[bytes]:
        # The request's session has committed by now: the rows are read in a unit of work of their own.
        with session_scope(state.factory) as own:
            records = export.records(own, user.id, plan)
            if format == "csv":
                yield from export.csv_chunks(plan, records)
            else:
                yield from export.jsonl_chunks(plan, records)

    return StreamingResponse(rows(), media_type=export.MEDIA_TYPES[format], headers=headers)


def _temp_path(suffix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix="workopti-export-", suffix=suffix)
    os.close(handle)
    return Path(name)


def _file_chunks(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
