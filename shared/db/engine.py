"""Engines and sessions. Nothing is connected at import time; each process builds its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.outbox import TaskPublisher, attach_outbox, flush_outbox, run_compensations

if TYPE_CHECKING:
    import psycopg
    from sqlalchemy.pool import ConnectionPoolEntry


def build_engine(settings: Settings, *, application_name: str = "workopti") -> Engine:
    db = settings.db
    # No ping per checkout (a round trip on every unit of work): psycopg knows locally when a
    # connection was closed or broke (checked below), TCP keepalives find a peer that vanished, and
    # connections are replaced before idle-killing middleboxes get to them. A server that restarted
    # is found by the first statement on one of its old connections: that unit of work fails (a 503
    # or a retried job attempt, as any failure mid-transaction would) and SQLAlchemy then invalidates
    # the whole pool, so the next one connects afresh.
    engine = create_engine(
        db.sqlalchemy_url(),
        pool_size=db.pool_size,
        max_overflow=db.max_overflow,
        pool_pre_ping=False,
        pool_recycle=db.pool_recycle_seconds,
        echo=db.echo,
        connect_args={
            "application_name": application_name,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
    )
    timeout_ms = db.statement_timeout_ms

    @event.listens_for(engine, "checkout")
    def _on_checkout(
        dbapi_connection: psycopg.Connection[Any], _record: ConnectionPoolEntry, _proxy: Any
    ) -> None:
        if dbapi_connection.closed or dbapi_connection.broken:
            raise DisconnectionError("the connection was closed")  # the pool takes another

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: psycopg.Connection[Any], _record: ConnectionPoolEntry) -> None:
        # A runaway query must not hold a worker or a request forever.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(timeout_ms)}")
        dbapi_connection.commit()

    return engine


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def autocommit_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on the same pool whose statements each commit by themselves: a read or a single write
    that needs no transaction costs one round trip (psycopg sends no BEGIN, nothing to COMMIT)."""
    engine = factory.kw["bind"]
    return sessionmaker(
        bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, autoflush=False
    )


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
