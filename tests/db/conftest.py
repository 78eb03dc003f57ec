"""Domain tests on this package's own database (`db_engine`, on the session's PostgreSQL, built by
running the migrations), each test inside a transaction that is rolled back, so tests never see each
other's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shared.db.outbox import attach_outbox
from shared.models import Document, User


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    connection = db_engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    attach_outbox(db)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


def make_user(session: Session, subject: str | None = None) -> User:
    user = User(subject=subject or f"u-{uuid.uuid4().hex[:8]}")
    session.add(user)
    session.flush()
    return user


def make_document(session: Session, owner: User, **overrides: object) -> Document:
    doc_id = uuid.uuid4()
    values = {
        "id": doc_id,
        "owner_id": owner.id,
        "filename": "a.pdf",
        "content_type": "application/pdf",
        "size_bytes": 10,
        "sha256": uuid.uuid4().hex + uuid.uuid4().hex,
        "blob_key": f"documents/{doc_id}/original",
        "pipeline": ["extract", "embed", "ai"],
    } | overrides
    document = Document(**values)
    session.add(document)
    session.flush()
    return document
