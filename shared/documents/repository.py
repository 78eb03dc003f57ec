"""Every query about documents and what was derived from them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import Session

from shared.documents.access import role_of, shared_with, visible_to
from shared.errors import Invalid
from shared.models import AiResult, Document, Job, JobEvent, Page
from shared.paging import decode_cursor, encode_cursor
from shared.query_text import clean_query


def get_visible(session: Session, user_id: uuid.UUID, document_id: uuid.UUID) -> Document | None:
    return session.scalar(select(Document).where(Document.id == document_id, visible_to(user_id)))


def revision_of_visible(
    session: Session, user_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[int, str] | None:
    """(revision, the caller's role): the cheap question a conditional GET asks before loading more."""
    row = session.execute(
        select(Document.revision, role_of(user_id)).where(Document.id == document_id, visible_to(user_id))
    ).first()
    return None if row is None else (row[0], row[1])


def by_sha256(session: Session, owner_id: uuid.UUID, sha256: str) -> Document | None:
    return session.scalar(select(Document).where(Document.owner_id == owner_id, Document.sha256 == sha256))


def by_idempotency_key(session: Session, owner_id: uuid.UUID, key: str) -> Document | None:
    return session.scalar(
        select(Document).where(Document.owner_id == owner_id, Document.idempotency_key == key)
    )


def current_job(session: Session, document_id: uuid.UUID, kind: str) -> uuid.UUID | None:
    """The job whose outputs of `kind` the document shows, if any."""
    return session.scalar(select(Job.id).where(Job.document_id == document_id, Job.kind == kind, Job.current))


def visible_job(session: Session, user_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    return session.scalar(
        select(Job)
        .join(Document, Document.id == Job.document_id)
        .where(Job.id == job_id, visible_to(user_id))
    )


def events_of(session: Session, job_id: uuid.UUID) -> Sequence[JobEvent]:
    return session.scalars(select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id)).all()


# The documents list's type filter: families a person thinks in, mapped to the content types we store.
TYPE_FAMILIES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "image": ("image/png", "image/jpeg", "image/tiff"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "text": ("text/plain",),
}
# Sort name -> the column it orders by; a leading "-" means descending. Every order ends with the id,
# which makes it total, so keyset paging neither repeats nor skips a row.
SORT_COLUMNS = {"created_at": Document.created_at, "filename": Document.filename, "size": Document.size_bytes}


def list_visible(
    session: Session,
    user_id: uuid.UUID,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    scope: str = "all",
    kind: str | None = None,
    name: str | None = None,
    sort: str = "-created_at",
    sha256: Collection[str] | None = None,
) -> tuple[Sequence[tuple[Document, str]], str | None]:
    """(document, the caller's role) in `sort` order, keyset-paged on (sort key, id) so a page costs
    the same however deep it is. `scope`: all, owned (mine) or shared (with me); `kind`: a key of
    TYPE_FAMILIES; `name`: part of the filename, any case; `sha256`: contents (lowercase hex), any of."""
    descending, column = sort.startswith("-"), SORT_COLUMNS[sort.lstrip("-")]
    query = select(Document, role_of(user_id))
    if scope == "owned":
        query = query.where(Document.owner_id == user_id)
    elif scope == "shared":
        query = query.where(shared_with(user_id))
    else:
        query = query.where(visible_to(user_id))
    if status is not None:
        query = query.where(Document.status == status)
    if kind is not None:
        query = query.where(Document.content_type.in_(TYPE_FAMILIES[kind]))
    if name := clean_query(name or ""):
        query = query.where(Document.filename.icontains(name, autoescape=True))
    if sha256 is not None:
        query = query.where(Document.sha256.in_(sorted(sha256)))
    if cursor is not None:
        key, last_id = _decode_list_cursor(cursor, sort)
        after = tuple_(column, Document.id)
        boundary = tuple_(literal(key), literal(last_id))
        query = query.where(after < boundary if descending else after > boundary)
    order = (column.desc(), Document.id.desc()) if descending else (column.asc(), Document.id.asc())
    rows = session.execute(query.order_by(*order).limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor(sort, getattr(last, column.key), last.id)
    return [(document, role) for document, role in rows], next_cursor


def _decode_list_cursor(cursor: str, sort: str) -> tuple[str | dt.datetime | int, uuid.UUID]:
    issued_for, raw_key, raw_id = decode_cursor(cursor, 3)
    if issued_for != sort:
        raise Invalid(
            "The cursor belongs to another sort order; start again without it.", code="invalid_cursor"
        )
    try:
        column = SORT_COLUMNS[sort.lstrip("-")]
        key: str | dt.datetime | int = raw_key
        if column is Document.created_at:
            key = dt.datetime.fromisoformat(raw_key)
        elif column is Document.size_bytes:
            key = int(raw_key)
        return key, uuid.UUID(raw_id)
    except ValueError as exc:
        raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc


def pages_of(session: Session, job_id: uuid.UUID, *, after: int, limit: int) -> Sequence[Page]:
    return session.scalars(
        select(Page).where(Page.job_id == job_id, Page.page_no > after).order_by(Page.page_no).limit(limit)
    ).all()


def result_of(session: Session, job_id: uuid.UUID) -> AiResult | None:
    return session.get(AiResult, job_id)
