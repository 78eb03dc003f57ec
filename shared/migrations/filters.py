"""What autogenerate and the models-versus-migrations test leave alone."""

# Each embedding model gets its own partial HNSW index over a typed cast of the untyped vector column;
# they are created with the model (see shared/search/vector_index.py), not declared on the ORM table.
VECTOR_INDEX_PREFIX = "ix_chunks_hnsw_"


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    return not (type_ == "index" and name and name.startswith(VECTOR_INDEX_PREFIX))
