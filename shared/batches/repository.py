"""Every query batches make."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from shared.errors import Invalid
from shared.models import Batch, BatchDocument, Document
from shared.paging import decode_cursor, encode_cursor


def get(session: Session, batch_id: uuid.UUID) -> Batch | None:
    return session.get(Batch, batch_id)


def list_owned(
    session: Session, owner_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[Sequence[Batch], str | None]:
    """The owner's batches, newest first, keyset-paged on (created_at, id)."""
    query = select(Batch).where(Batch.owner_id == owner_id)
    if cursor is not None:
        raw_created, raw_id = decode_cursor(cursor, 2)
        try:
            after = (dt.datetime.fromisoformat(raw_created), uuid.UUID(raw_id))
        except ValueError as exc:
            raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc
        query = query.where(tuple_(Batch.created_at, Batch.id) < after)
    rows = session.scalars(query.order_by(Batch.created_at.desc(), Batch.id.desc()).limit(limit + 1)).all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].created_at, rows[-1].id)


def links(session: Session, batch_id: uuid.UUID) -> Sequence[BatchDocument]:
    return session.scalars(
        select(BatchDocument).where(BatchDocument.batch_id == batch_id).order_by(BatchDocument.position)
    ).all()


def documents(session: Session, document_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Document]:
    if not document_ids:
        return {}
    found = session.scalars(select(Document).where(Document.id.in_(set(document_ids))))
    return {document.id: document for document in found}
