from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import security_events
from api.deps import ReadUser, SessionDep, StateDep, WriteUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from api.security_events import SecurityEvent
from api.state import AppState, KnownUser
from api.upload import ArchiveDep, multipart_body, record_refusal
from shared.batches import service as batches
from shared.batches.schemas import BatchList, BatchOut
from shared.documents import service as documents
from shared.errors import DomainError, RateLimited
from shared.models import Document

router = APIRouter(prefix=f"{API_PREFIX}/batches", tags=["batches"], responses=API_PROBLEMS)

_BATCH_BODY = multipart_body("a ZIP archive", "Steps to run for every document, as for a single upload.")


class _Charge:
    """What each new document of the batch costs the user, as a single upload would: its bytes, and a
    place among the documents they may have in processing."""

    def __init__(self, state: AppState, session: Session, user: KnownUser) -> None:
        self.state, self.session, self.user = state, session, user
        self.room: int | None = None

    def __call__(self, size: int) -> None:
        limit = self.state.settings.quotas.active_documents
        if limit and self.room is None:
            # Counted on the request's own transaction, already open by the first new document.
            self.room = (
                limit
                - self.session.execute(
                    select(func.count())
                    .select_from(Document)
                    .where(Document.owner_id == self.user.id, Document.status.in_(("queued", "processing")))
                ).scalar_one()
            )
        if self.room is not None and self.room <= 0:
            raise RateLimited(
                f"You have {limit:,} documents in processing; the rest can be uploaded as they finish.",
                retry_after=30,
                code="too_many_active_documents",
            )
        self.state.quotas.charge_bytes(self.user.subject, size)
        if self.room is not None:
            self.room -= 1


@router.post(
    "",
    status_code=201,
    response_model=BatchOut,
    openapi_extra=_BATCH_BODY,
    summary="Upload a ZIP archive: one document per file inside",
    description="Each file of the archive is taken in as a single upload would be, and its processing "
    "queued; an entry that is refused (unsafe name, too large, a zip bomb, encrypted, an archive, a type "
    "not accepted, ...) is listed in `refused` with a stable code and the others go on. An archive that "
    "is not a ZIP, is damaged, or has too many entries or bytes is refused whole, and nothing is kept.",
)
def create_batch(
    request: Request,
    response: Response,
    upload: ArchiveDep,
    user: WriteUser,
    session: SessionDep,
    state: StateDep,
) -> BatchOut:
    try:
        pipeline = documents.parse_pipeline(upload.fields.get("pipeline"))
        batch = batches.create_batch(
            session,
            state.intake,
            user.id,
            upload.file,
            filename=upload.filename,
            pipeline=pipeline,
            charge=_Charge(state, session, user),
        )
    except RateLimited as exc:
        security_events.record(SecurityEvent.RATE_LIMITED, request, reason=exc.code, user=user.subject)
        raise
    except DomainError as exc:
        record_refusal(request, user, exc, upload.filename)
        raise
    session.flush()
    response.headers["Location"] = str(request.url_for("get_batch", batch_id=batch.id))
    return batches.batch_view(session, batch)


@router.get("", response_model=BatchList, summary="The caller's batches, newest first")
def list_batches(
    user: ReadUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> BatchList:
    return batches.list_batches(session, user.id, limit, cursor)


@router.get("/{batch_id}", response_model=BatchOut, summary="A batch with its documents as they are now")
def get_batch(batch_id: uuid.UUID, user: ReadUser, session: SessionDep) -> BatchOut:
    return batches.get_batch(session, user.id, batch_id)


@router.delete("/{batch_id}", status_code=204, summary="Delete a batch and its archive; its documents stay")
def delete_batch(batch_id: uuid.UUID, user: WriteUser, session: SessionDep) -> Response:
    batches.delete_batch(session, user.id, batch_id)
    return Response(status_code=204)
