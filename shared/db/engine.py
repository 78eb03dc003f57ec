"""Engines and sessions. Nothing is connected at import time; each process builds its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.outbox import TaskPublisher, attach_outbox, flush_outbox, run_compensations

if TYPE_CHECKING:
    import psycopg
    from sqlalchemy.pool import ConnectionPoolEntry


def build_engine(settings: Settings, *, application_name: str = "workopti") -> Engine:
    db = settings.db
    engine = create_engine(
        db.sqlalchemy_url(),
        pool_size=db.pool_size,
        max_overflow=db.max_overflow,
        pool_pre_ping=True,
        echo=db.echo,
        connect_args={"application_name": application_name},
    )
    timeout_ms = db.statement_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: psycopg.Connection[Any], _record: ConnectionPoolEntry) -> None:
        # A runaway query must not hold a worker or a request forever.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(timeout_ms)}")
        dbapi_connection.commit()

    return engine


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def session_scope(
    factory: sessionmaker[Session], publisher: TaskPublisher | None = None
) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error; then publish what it enqueued.

    Jobs enqueued through the session's outbox are published only after the commit succeeded and
    are dropped on rollback, so a worker never receives the id of a row it cannot see.
    """
    session = factory()
    attach_outbox(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        run_compensations(session)
        raise
    finally:
        session.close()
    flush_outbox(session, publisher)
