"""What autogenerate and the models-versus-migrations test leave alone."""

from __future__ import annotations

from sqlalchemy.schema import SchemaItem

# Each embedding model gets its own partial HNSW index over a typed cast of the untyped vector column;
# they are created with the model (see shared/search/vector_index.py), not declared on the ORM table.
VECTOR_INDEX_PREFIX = "ix_chunks_hnsw_"


def include_object(
    obj: SchemaItem, name: str | None, type_: str, reflected: bool, compare_to: SchemaItem | None
) -> bool:
    return not (type_ == "index" and name and name.startswith(VECTOR_INDEX_PREFIX))
