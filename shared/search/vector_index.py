"""One partial HNSW index per embedding model.

The vector column is untyped so models of any size live side by side; an index needs a fixed size,
so each model gets its own index over `embedding::vector(<dims>)` restricted to its rows. Searches
write the same expression (see shared/search/service.py) so the planner can use it.
"""

from __future__ import annotations

import hashlib
import logging
import re

from sqlalchemy import Engine, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.migrations.filters import VECTOR_INDEX_PREFIX
from shared.models import EmbeddingModel

log = logging.getLogger(__name__)

# pgvector's HNSW indexes `vector` columns of at most 2,000 dimensions; larger models are searched exactly.
HNSW_MAX_DIMENSIONS = 2000


def index_name(model_key: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", model_key.lower()).strip("_")
    name = VECTOR_INDEX_PREFIX + slug
    if len(name) > 63:  # PostgreSQL's identifier limit
        name = name[:54] + "_" + hashlib.sha1(model_key.encode()).hexdigest()[:8]
    return name


def register_model(session: Session, key: str, provider: str, name: str, dimensions: int) -> None:
    session.execute(
        insert(EmbeddingModel)
        .values(key=key, provider=provider, name=name, dimensions=dimensions)
        .on_conflict_do_nothing(index_elements=[EmbeddingModel.key])
    )


def ensure_index(engine: Engine, key: str, dimensions: int) -> str | None:
    """Create the model's index if it is missing, without blocking writes (CONCURRENTLY, so outside a
    transaction). Returns its name, or None when the model is too wide for HNSW."""
    if dimensions > HNSW_MAX_DIMENSIONS:
        log.warning(
            "%s has %d dimensions; HNSW indexes at most %d, so its searches are exact. "
            "Set EMBEDDING_DIMENSIONS to %d or less to index it.",
            key, dimensions, HNSW_MAX_DIMENSIONS, HNSW_MAX_DIMENSIONS,
        )  # fmt: skip
        return None
    name = index_name(key)
    literal = key.replace("'", "''")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(
            text(
                f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON chunks '
                f"USING hnsw ((embedding::vector({int(dimensions)})) vector_cosine_ops) "
                f"WHERE model_key = '{literal}'"
            )
        )
    return name
