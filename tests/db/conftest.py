"""A PostgreSQL of its own for domain tests: built by running the migrations, each test inside a
transaction that is rolled back, so tests never see each other's rows."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from cli.stack.postgres import EmbeddedPostgres
from cli.stack.processes import Supervisor
from shared.config import DatabaseSettings
from shared.db.outbox import attach_outbox
from shared.migrations.runner import upgrade
from shared.models import Document, User


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    data_dir = Path(tempfile.mkdtemp(prefix="workopti-db-"))
    data_dir.chmod(0o755)
    server = EmbeddedPostgres(data_dir, fast_unsafe=True)
    server.prepare()
    supervisor = Supervisor(data_dir / "logs")
    supervisor.start(server.spec())
    try:
        server.wait_ready()
        yield server
    finally:
        supervisor.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def create_database(server: EmbeddedPostgres, name: str) -> str:
    with psycopg.connect(server._admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server.url.replace("/workopti?", f"/{name}?")
    return DatabaseSettings(DATABASE_URL=url).sqlalchemy_url()


@pytest.fixture(scope="session")
def migrated_url(pg_server: EmbeddedPostgres) -> str:
    url = create_database(pg_server, "workopti_domain")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def db_engine(migrated_url: str) -> Iterator[Engine]:
    engine = create_engine(migrated_url)
    yield engine
    engine.dispose()


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
