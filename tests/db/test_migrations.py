"""The migrations are the only way the schema is made; the models must describe the same schema."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect, text

import shared.models  # noqa: F401
from cli.stack.postgres import EmbeddedPostgres
from shared.db.base import Base
from shared.migrations.filters import include_object
from shared.migrations.lock import MIGRATION_LOCK_KEY
from shared.migrations.runner import downgrade, upgrade
from tests.postgres import create_database

ROOT = Path(__file__).resolve().parents[2]


def _differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"include_object": include_object, "compare_type": True, "compare_server_default": True},
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(migrated_url: str) -> None:
    assert _differences(migrated_url) == []


def test_the_vector_index_exists_for_the_local_model(migrated_url: str) -> None:
    engine = create_engine(migrated_url)
    try:
        with engine.connect() as connection:
            definition = connection.execute(
                text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_chunks_hnsw_local_all_minilm_l6_v2'"
                )
            ).scalar_one()
            model = connection.execute(
                text("SELECT dimensions FROM embedding_models WHERE key = 'local:all-MiniLM-L6-v2'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert "hnsw" in definition and "vector(384)" in definition and "vector_cosine_ops" in definition
    assert model == 384


def test_migrations_go_down_and_up_again(pg_server: EmbeddedPostgres) -> None:
    url = create_database(pg_server, "workopti_roundtrip")
    upgrade(url)
    downgrade(url, "base")
    engine = create_engine(url)
    try:
        leftover = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert leftover == set()
    upgrade(url)
    assert _differences(url) == []


@pytest.mark.slow
def test_two_deployments_migrating_at_once_wait_for_each_other(pg_server: EmbeddedPostgres) -> None:
    """Two `workopti migrate` processes on one new database, as two release pipelines would run them: while
    the migration lock is held elsewhere both wait without touching the schema, then both succeed."""
    url = create_database(pg_server, "workopti_concurrent")
    engine = create_engine(url)
    script = "import sys; from shared.migrations.runner import upgrade; upgrade(sys.argv[1])"
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            runs = [
                subprocess.Popen(
                    [sys.executable, "-c", script, url], cwd=ROOT, stderr=subprocess.PIPE, text=True
                )
                for _ in range(2)
            ]
            _wait_until_both_wait_for_the_lock(holder, runs)
            assert inspect(holder).get_table_names() == [], "a migration ran without the lock"
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            holder.commit()
        for run in runs:
            _, errors = run.communicate(timeout=180)
            assert run.returncode == 0, errors
    finally:
        engine.dispose()
    assert _differences(url) == []


def _wait_until_both_wait_for_the_lock(holder: Connection, runs: list[subprocess.Popen[str]]) -> None:
    waiting_sql = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    deadline = time.monotonic() + 120
    while holder.execute(waiting_sql).scalar_one() < 2:
        for run in runs:
            if run.poll() is not None:  # finished, or failed, while the lock was held: no waiting at all
                raise AssertionError(f"a migration did not wait for the lock: {run.communicate()[1]}")
        assert time.monotonic() < deadline, "the migrations never reached the lock"
        holder.commit()  # a fresh snapshot of pg_locks
        time.sleep(0.1)
