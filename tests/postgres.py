"""The test session's one PostgreSQL server: the launcher's embedded PostgreSQL with pgvector, started on
first use and stopped when the session ends. Each user of it (a stack, a test package, a migration test)
works in a database of its own, so none sees another's rows."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg

from cli.stack.postgres import DATABASE_NAME, EmbeddedPostgres
from cli.stack.processes import Supervisor
from shared.config import DatabaseSettings

# Every stack of the session keeps its pools here (the API, each worker, beat), beside the packages'.
MAX_CONNECTIONS = 400


class SessionPostgres:
    def __init__(self) -> None:
        self._server: EmbeddedPostgres | None = None
        self._supervisor: Supervisor | None = None
        self._data_dir: Path | None = None

    @property
    def server(self) -> EmbeddedPostgres:
        if self._server is None:
            self._start()
        assert self._server is not None
        return self._server

    def _start(self) -> None:
        # Not under pytest's tmp_path: that is private to root (0700), and the embedded PostgreSQL runs
        # as its own user when the suite runs as root.
        data_dir = Path(tempfile.mkdtemp(prefix="workopti-postgres-"))
        data_dir.chmod(0o755)
        server = EmbeddedPostgres(data_dir, fast_unsafe=True)
        server.prepare()
        spec = server.spec()
        spec.argv += ["-c", f"max_connections={MAX_CONNECTIONS}"]  # the last setting given wins
        supervisor = Supervisor(data_dir / "logs")
        supervisor.start(spec)
        self._data_dir, self._supervisor = data_dir, supervisor
        try:
            server.wait_ready()
        except BaseException:
            self.stop()
            raise
        self._server = server

    def new_database(self, name: str) -> str:
        """A new, empty database `name` (dropped first if it exists), as a libpq URL like DATABASE_URL."""
        create_database(self.server, name)
        return url_of(self.server, name)

    def stop(self, logs_to: Path | None = None) -> None:
        if self._supervisor is not None:
            self._supervisor.stop()
        if self._data_dir is not None:
            if logs_to is not None and (self._data_dir / "logs").is_dir():
                shutil.rmtree(logs_to, ignore_errors=True)
                shutil.copytree(self._data_dir / "logs", logs_to)
            shutil.rmtree(self._data_dir, ignore_errors=True)
        self._server = self._supervisor = self._data_dir = None


def url_of(server: EmbeddedPostgres, name: str) -> str:
    return server.url.replace(f"/{DATABASE_NAME}?", f"/{name}?")


def create_database(server: EmbeddedPostgres, name: str) -> str:
    """A new, empty database `name` on `server` (dropped first if it exists), as a SQLAlchemy URL."""
    with psycopg.connect(server._admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return DatabaseSettings(DATABASE_URL=url_of(server, name)).sqlalchemy_url()
