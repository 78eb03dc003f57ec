"""Which schemas a document is extracted with: those a person ran on it, and its owner's schemas
attached to the label it is classified with (only the owner's: a schema shared with the owner must not
start work on the owner's documents by itself)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

_BY_LABEL = text(
    """
    INSERT INTO document_extraction_schemas (document_id, schema_id, source)
    SELECT d.id, s.id, 'label'
    FROM documents d
    JOIN jobs j ON j.document_id = d.id AND j.current AND j.kind = 'ai'
    JOIN ai_results r ON r.job_id = j.id
    JOIN extraction_schemas s ON s.owner_id = d.owner_id AND s.apply_to_label = r.classification_label
    WHERE d.id = :document_id
    ON CONFLICT DO NOTHING
    """
)


# A schema the document has no current result for, at the schema's current version: given to it
# since its last extraction, or changed since.
_UNEXTRACTED = text(
    """
    SELECT EXISTS (
        SELECT 1 FROM document_extraction_schemas a
        JOIN extraction_schemas s ON s.id = a.schema_id
        WHERE a.document_id = :document_id AND NOT EXISTS (
            SELECT 1 FROM extraction_results r
            JOIN jobs j ON j.id = r.job_id AND j.current AND j.kind = 'schemas'
            WHERE r.document_id = a.document_id AND r.schema_id = a.schema_id
              AND r.schema_version = s.current_version))
    """
)


def wanted(session: Session, document_id: uuid.UUID) -> bool:
    """Called when a run that classified or extracted the document completes: attach the schemas its
    label calls for, and say whether any schema it has still waits for its fields. An extraction that
    completed has a result for every schema it read, so this asks again only for what changed
    meanwhile: extraction never follows itself for nothing."""
    session.execute(_BY_LABEL, {"document_id": document_id})
    return bool(session.scalar(_UNEXTRACTED, {"document_id": document_id}))


def assign(session: Session, document_id: uuid.UUID, schema_id: uuid.UUID, user_id: uuid.UUID) -> None:
    session.execute(
        text(
            """
            INSERT INTO document_extraction_schemas (document_id, schema_id, source, assigned_by)
            VALUES (:document_id, :schema_id, 'manual', :user_id)
            ON CONFLICT DO NOTHING
            """
        ),
        {"document_id": document_id, "schema_id": schema_id, "user_id": user_id},
    )
