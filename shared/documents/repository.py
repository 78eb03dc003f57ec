"""Every query about documents and what was derived from them."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from shared.documents.access import role_of, shared_with, visible_to
from shared.errors import Invalid
from shared.models import AiResult, Document, Job, JobEvent, Page


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


def jobs_of(session: Session, document_id: uuid.UUID) -> Sequence[Job]:
    order = {"extract": 0, "embed": 1, "ai": 2}
    jobs = session.scalars(select(Job).where(Job.document_id == document_id)).all()
    return sorted(jobs, key=lambda job: order.get(job.kind, 9))


def visible_job(session: Session, user_id: uuid.UUID, job_id: uuid.UUID) -> Job | None:
    return session.scalar(
        select(Job)
        .join(Document, Document.id == Job.document_id)
        .where(Job.id == job_id, visible_to(user_id))
    )


def events_of(session: Session, job_id: uuid.UUID) -> Sequence[JobEvent]:
    return session.scalars(select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id)).all()


def encode_cursor(*parts: object) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, dt.datetime) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = raw.split("|")
        if len(parts) != count:
            raise ValueError(parts)
        return parts
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc


def list_visible(
    session: Session,
    user_id: uuid.UUID,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    scope: str = "all",
) -> tuple[Sequence[tuple[Document, str]], str | None]:
    """(document, the caller's role) newest first, keyset-paged on (created_at, id) so a page costs the
    same however deep it is. `scope`: all, owned (mine) or shared (with me)."""
    query = select(Document, role_of(user_id))
    if scope == "owned":
        query = query.where(Document.owner_id == user_id)
    elif scope == "shared":
        query = query.where(shared_with(user_id))
    else:
        query = query.where(visible_to(user_id))
    if status is not None:
        query = query.where(Document.status == status)
    if cursor is not None:
        created_raw, id_raw = decode_cursor(cursor, 2)
        try:
            created, last_id = dt.datetime.fromisoformat(created_raw), uuid.UUID(id_raw)
        except ValueError as exc:
            raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc
        query = query.where(tuple_(Document.created_at, Document.id) < tuple_(created, last_id))
    rows = session.execute(
        query.order_by(Document.created_at.desc(), Document.id.desc()).limit(limit + 1)
    ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor(last.created_at, last.id)
    return [(document, role) for document, role in rows], next_cursor


def pages_of(session: Session, document_id: uuid.UUID, *, after: int, limit: int) -> Sequence[Page]:
    return session.scalars(
        select(Page)
        .where(Page.document_id == document_id, Page.page_no > after)
        .order_by(Page.page_no)
        .limit(limit)
    ).all()


def result_of(session: Session, document_id: uuid.UUID) -> AiResult | None:
    return session.get(AiResult, document_id)
