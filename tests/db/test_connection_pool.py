"""The product's connection pool, which does not ping on checkout: a connection psycopg knows is gone
is replaced unseen; one the server dropped fails the unit of work that finds it, and the pool renews
itself so the next one works. Autocommit sessions keep each statement without a transaction."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, event, func, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from shared.config import DatabaseSettings, Settings
from shared.db.engine import autocommit_factory, build_engine
from shared.models import BlobPurge


@pytest.fixture
def product_engine(migrated_url: str):
    engine = build_engine(Settings(db=DatabaseSettings(DATABASE_URL=migrated_url, DB_POOL_SIZE=2)))
    yield engine
    engine.dispose()


def _pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_checkout_sends_nothing_to_the_server(product_engine: Engine) -> None:
    sent: list[str] = []
    with product_engine.connect() as connection:
        connection.execute(text("SELECT 1"))  # the connection exists and is pooled
    event.listen(product_engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    with product_engine.connect() as connection:
        connection.execute(text("SELECT 2"))
    assert sent == ["SELECT 2"]


def test_a_connection_known_to_be_closed_is_replaced_without_a_failure(product_engine: Engine) -> None:
    first = _pid(product_engine)
    with product_engine.connect() as connection:
        connection.connection.dbapi_connection.close()  # type: ignore[union-attr]
    # The pool gets it back closed; the next checkout notices (no round trip) and connects anew.
    assert _pid(product_engine) != first


def test_a_connection_the_server_dropped_fails_once_and_the_pool_renews(
    product_engine: Engine, db_engine: Engine
) -> None:
    dropped = _pid(product_engine)
    with db_engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar_one()
    with pytest.raises(DBAPIError) as failed, product_engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert failed.value.connection_invalidated
    assert _pid(product_engine) != dropped  # the next unit of work is served


def test_an_autocommit_session_keeps_each_write_without_a_commit(db_engine: Engine) -> None:
    prefix = f"documents/{uuid.uuid4()}/"
    with autocommit_factory(sessionmaker(bind=db_engine))() as session:
        session.add(BlobPurge(prefix=prefix, due_at=func.now()))
        session.flush()
        # closed without commit(): the insert was its own transaction and stays
    with db_engine.begin() as connection:
        kept = connection.execute(text("DELETE FROM blob_purges WHERE prefix = :p"), {"p": prefix}).rowcount
    assert kept == 1


def test_an_upload_guard_is_kept_without_waiting_for_the_disk_and_leaves_the_connection_as_it_was(
    db_engine: Engine,
) -> None:
    from shared.documents.service import Intake

    factory = sessionmaker(bind=db_engine)
    intake = Intake(Settings(), storage=None, factory=factory)  # type: ignore[arg-type]
    prefixes = [f"documents/{uuid.uuid4()}/", f"documents/{uuid.uuid4()}/"]
    with autocommit_factory(factory)() as session:
        session.execute(text("SET synchronous_commit = on"))  # as a production server has it
        ids = intake._guard(session, prefixes)
        # off for the guard's own transaction only, not for what the pooled connection does next
        assert session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
        session.execute(text("RESET synchronous_commit"))
    with db_engine.begin() as connection:
        kept = connection.execute(
            text("DELETE FROM blob_purges WHERE id = ANY(:ids) AND due_at > now() + interval '59 minutes'"),
            {"ids": ids},
        ).rowcount
    assert len(ids) == 2 and kept == 2
