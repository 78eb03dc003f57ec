"""The migrations are the only way the schema is made; the models must describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import shared.models  # noqa: F401
from cli.stack.postgres import EmbeddedPostgres
from shared.db.base import Base
from shared.migrations.filters import include_object
from shared.migrations.runner import downgrade, upgrade
from tests.db.conftest import create_database


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
