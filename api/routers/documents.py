from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints

from api import security_events
from api.deps import ReadUser, SessionDep, StateDep, WriteUser
from api.problems import API_PROBLEMS
from api.routers import API_PREFIX
from api.security_events import SecurityEvent
from api.upload import UploadDep, multipart_body, record_refusal
from shared.documents import access, repository
from shared.documents import service as documents
from shared.documents.access import Role
from shared.documents.errors import DocumentNotFound
from shared.documents.schemas import (
    DocumentList,
    DocumentOut,
    FileUrlOut,
    PageList,
    ReprocessIn,
    ResultsOut,
)
from shared.errors import DomainError, Invalid, RateLimited
from shared.paging import decode_cursor
from shared.providers.storage import BlobNotFound
from shared.providers.storage.base import iter_stream

router = APIRouter(prefix=f"{API_PREFIX}/documents", tags=["documents"], responses=API_PROBLEMS)

_UPLOAD_BODY = multipart_body(
    "the document",
    "Steps to run, comma-separated, each with the step it follows. Default and available steps: "
    "GET /api/v1/pipeline.",
)

DocumentStatusFilter = Literal["queued", "processing", "ready", "failed", "cancelled"]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
# Enough for a client checking a folder in batches, short enough that the URL passes every proxy (~7 kB).
SHA256_FILTER_MAX = 100


def _etag(revision: int, role: str) -> str:
    # The role is part of the representation: a changed grant must not be answered with a 304.
    return f'W/"d-{revision}-{role}"'


@router.post(
    "",
    status_code=202,
    response_model=DocumentOut,
    openapi_extra=_UPLOAD_BODY,
    summary="Upload a document and queue its processing",
    responses={
        200: {"model": DocumentOut, "description": "The same file (or Idempotency-Key) was already uploaded"}
    },
)
def upload_document(
    request: Request,
    response: Response,
    upload: UploadDep,
    user: WriteUser,
    session: SessionDep,
    state: StateDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> DocumentOut:
    try:
        pipeline = documents.parse_pipeline(upload.fields.get("pipeline"))
        accepted = state.intake.accept(
            session,
            user.id,
            upload.file,
            filename=upload.filename,
            pipeline=pipeline,
            idempotency_key=idempotency_key,
            charge=lambda size: state.quotas.charge_bytes(user.subject, size),
        )
    except RateLimited as exc:
        security_events.record(SecurityEvent.RATE_LIMITED, request, reason=exc.code, user=user.subject)
        raise
    except DomainError as exc:
        record_refusal(request, user, exc, upload.filename)
        raise
    session.flush()
    view = documents.document_view(session, accepted.document, Role.OWNER)
    response.status_code = 202 if accepted.created else 200
    response.headers["Location"] = str(request.url_for("get_document", document_id=accepted.document.id))
    return view


@router.get("", response_model=DocumentList, summary="The documents the caller may read, newest first")
def list_documents(
    user: ReadUser,
    session: SessionDep,
    status: DocumentStatusFilter | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1200)] = None,
    scope: Annotated[Literal["all", "owned", "shared"], Query(description="shared: shared with me")] = "all",
    kind: Annotated[
        Literal["pdf", "image", "docx", "text"] | None,
        Query(alias="type", description="a family of content types"),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="part of the filename, any case")] = None,
    sort: Annotated[
        Literal["-created_at", "created_at", "filename", "-filename", "size", "-size"],
        Query(description="a leading '-' sorts descending"),
    ] = "-created_at",
    sha256: Annotated[
        list[Sha256Hex] | None,
        Query(
            max_length=SHA256_FILTER_MAX,
            description="only documents with one of these contents (SHA-256, 64 hex digits); repeat the "
            f"parameter, at most {SHA256_FILTER_MAX} times. With scope=owned: which of these files the "
            "caller has already uploaded",
        ),
    ] = None,
) -> DocumentList:
    contents = None if sha256 is None else {digest.lower() for digest in sha256}
    rows, next_cursor = repository.list_visible(
        session, user.id, status=status, limit=limit, cursor=cursor, scope=scope, kind=kind, name=q, sort=sort,
        sha256=contents,
    )  # fmt: skip
    return DocumentList(
        items=[documents.summary_view(doc, role) for doc, role in rows], next_cursor=next_cursor
    )


@router.get(
    "/{document_id}",
    response_model=DocumentOut,
    summary="A document with its jobs (send If-None-Match to poll cheaply)",
    responses={304: {"description": "Not modified since the ETag sent in If-None-Match"}},
)
def get_document(
    document_id: uuid.UUID,
    user: ReadUser,
    session: SessionDep,
    response: Response,
    if_none_match: Annotated[str | None, Header()] = None,
) -> DocumentOut | Response:
    found = repository.revision_of_visible(session, user.id, document_id)
    if found is None:
        raise access.not_found(session, document_id)
    etag = _etag(*found)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    document, role = documents.get_document(session, user.id, document_id)
    response.headers.update(headers)
    return documents.document_view(session, document, role)


@router.get("/{document_id}/pages", response_model=PageList, summary="The text of each page")
def get_pages(
    document_id: uuid.UUID,
    user: ReadUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    include: Annotated[Literal["lines"] | None, Query(description="lines: OCR lines with boxes")] = None,
) -> PageList:
    document, _ = documents.get_document(session, user.id, document_id)
    after = 0
    if cursor is not None:
        (raw,) = decode_cursor(cursor, 1)
        if not raw.isdigit():
            raise Invalid("The cursor is not one this API issued.", code="invalid_cursor")
        after = int(raw)
    items, next_cursor = documents.page_views(
        session, document, after=after, limit=limit, with_lines=include == "lines"
    )
    return PageList(items=items, next_cursor=next_cursor)


@router.get("/{document_id}/results", response_model=ResultsOut, summary="Summary, classification, fields")
def get_results(document_id: uuid.UUID, user: ReadUser, session: SessionDep) -> ResultsOut:
    document, _ = documents.get_document(session, user.id, document_id)
    return documents.results_view(session, document)


@router.get(
    "/{document_id}/file",
    summary="The original file",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_original(
    document_id: uuid.UUID, user: ReadUser, session: SessionDep, state: StateDep
) -> StreamingResponse:
    document, _ = documents.get_document(session, user.id, document_id)
    try:
        stream = state.storage.open_read(document.blob_key)
    except BlobNotFound as exc:
        raise DocumentNotFound("The original file is no longer in storage.", code="file_missing") from exc
    disposition = f"attachment; filename*=UTF-8''{quote(document.filename, safe='')}"
    return StreamingResponse(
        iter_stream(stream),
        media_type=document.content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(document.size_bytes),
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{document.sha256}"',
        },
    )


@router.get("/{document_id}/file-url", response_model=FileUrlOut, summary="Where to download the original")
def original_url(
    document_id: uuid.UUID, request: Request, user: ReadUser, session: SessionDep, state: StateDep
) -> FileUrlOut:
    """A short-lived read-only link straight to blob storage when the store can issue one (Azure: a
    SAS), so large downloads do not pass through the API; otherwise the API's own /file URL."""
    document, _ = documents.get_document(session, user.id, document_id)
    ttl = state.settings.storage.sas_ttl_seconds
    direct = state.storage.read_url(document.blob_key, ttl)
    if direct is None:
        return FileUrlOut(
            url=str(request.url_for("download_original", document_id=document.id)),
            direct=False,
            expires_at=None,
        )
    return FileUrlOut(url=direct, direct=True, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ttl))


@router.post(
    "/{document_id}/reprocess",
    status_code=202,
    response_model=DocumentOut,
    summary="Process the document again, beside what it shows now",
    description="Starts a new run of the document's pipeline (after changing the OCR provider or a "
    "model, say). The document keeps showing its current text, search and results until the new run "
    "has succeeded, then switches to the new ones at once; a run that fails leaves them in place. "
    "409 `document_busy` while a run is in progress.",
)
def reprocess_document(
    document_id: uuid.UUID,
    request: Request,
    response: Response,
    user: WriteUser,
    session: SessionDep,
    state: StateDep,
    body: ReprocessIn | None = None,
) -> DocumentOut:
    raw = body.pipeline if body is not None else None
    if isinstance(raw, list):
        raw = ",".join(raw)
    document = documents.reprocess_document(session, user.id, document_id, raw, state.settings)
    _, role = documents.get_document(session, user.id, document.id)
    response.headers["Location"] = str(request.url_for("get_document", document_id=document.id))
    return documents.document_view(session, document, role)


@router.delete("/{document_id}", status_code=204, summary="Delete a document and everything made from it")
def delete_document(document_id: uuid.UUID, user: WriteUser, session: SessionDep) -> Response:
    documents.delete_document(session, user.id, document_id)
    return Response(status_code=204)
