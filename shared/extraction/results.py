"""Storing what an extraction job found, and reading it back with what people said of it.

The machine's values are stored per job and never rewritten; reviews are appended per document,
schema and field (shared/models/extraction.py). A field's effective state is its newest review, if
any, else what was found, marked needs_review when its confidence is below the schema version's
threshold.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.extraction.outputs import ExtractionOut, FieldResultOut
from shared.extraction.types import FieldValue
from shared.models import ExtractionResult, ExtractionReview, ExtractionSchema, Job

# The job kind that extracts a document's schemas (declared in shared/pipeline/kinds.py).
SCHEMAS_KIND = "schemas"


def stored(value: FieldValue, threshold: float) -> dict[str, Any]:
    """A found value as it is kept: JSON, with a value the extractor was unsure of marked for review."""
    status = value.status
    if status == "found" and value.confidence < threshold:
        status = "needs_review"
    kept = {
        "name": value.name,
        "value": value.value,
        "confidence": round(value.confidence, 4),
        "status": status,
        "evidence": [asdict(e) | {"bbox": list(e.bbox) if e.bbox else None} for e in value.evidence],
        "raw": value.raw,
    }
    if value.source is not None:
        kept["source"] = {"provider": value.source[0], "model": value.source[1]}
    if value.items:
        kept["items"] = [[stored(cell, threshold) for cell in row] for row in value.items]
    return kept


def current(session: Session, document_id: uuid.UUID) -> Sequence[tuple[ExtractionResult, str]]:
    """The document's current results, one per schema, with the schema's name."""
    return session.execute(
        select(ExtractionResult, ExtractionSchema.name)
        .join(Job, Job.id == ExtractionResult.job_id)
        .join(ExtractionSchema, ExtractionSchema.id == ExtractionResult.schema_id)
        .where(ExtractionResult.document_id == document_id, Job.current, Job.kind == SCHEMAS_KIND)
        .order_by(ExtractionSchema.name)
    ).all()  # type: ignore[return-value]


def reviews(session: Session, document_id: uuid.UUID) -> dict[tuple[uuid.UUID, str | None], ExtractionReview]:
    """The newest review per (schema, field) of a document; field None: the document marked reviewed."""
    newest: dict[tuple[uuid.UUID, str | None], ExtractionReview] = {}
    for review in session.scalars(
        select(ExtractionReview)
        .where(ExtractionReview.document_id == document_id)
        .order_by(ExtractionReview.id)
    ):
        newest[(review.schema_id, review.field)] = review
    return newest


def view(
    result: ExtractionResult,
    schema_name: str,
    said: dict[tuple[uuid.UUID, str | None], ExtractionReview],
) -> ExtractionOut:
    fields = [_field_view(field, said.get((result.schema_id, field["name"]))) for field in result.fields]
    marked = said.get((result.schema_id, None))
    # A document marked reviewed before its latest extraction was reviewed for other values.
    reviewed = marked is not None and marked.created_at >= result.created_at
    return ExtractionOut(
        schema_id=result.schema_id,
        schema_name=schema_name,
        version=result.schema_version,
        status="reviewed" if reviewed else "extracted",
        provider=result.provider,
        model=result.model,
        fields=fields,
        needs_review=sum(1 for field in fields if field.status == "needs_review"),
        extracted_at=result.created_at,
        reviewed_by=_who(marked) if reviewed and marked else None,
        reviewed_at=marked.created_at if reviewed and marked else None,
    )


def _field_view(field: dict[str, Any], review: ExtractionReview | None) -> FieldResultOut:
    items = field.get("items")
    shown = FieldResultOut(
        name=field["name"],
        value=field["value"],
        confidence=field["confidence"],
        status=field["status"],
        evidence=field["evidence"],
        raw=field.get("raw"),
        source=field.get("source"),
        items=[[_field_view(cell, None) for cell in row] for row in items] if items else None,
    )
    if review is None:
        return shown
    shown.status = "corrected" if review.action == "corrected" else "confirmed"
    shown.reviewed_by, shown.reviewed_at = _who(review), review.created_at
    if review.action == "corrected":
        shown.found_value, shown.value = shown.value, review.value
    return shown


def _who(review: ExtractionReview) -> str | None:
    return review.reviewer.subject if review.reviewer is not None else None


def for_document(session: Session, document_id: uuid.UUID) -> list[ExtractionOut]:
    said = reviews(session, document_id)
    return [view(result, name, said) for result, name in current(session, document_id)]
