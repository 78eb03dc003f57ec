"""People's word on extracted values: corrections, confirmations, documents marked reviewed, and the
queue of what still waits for someone.

Reviews are appended beside the machine's values (which are never rewritten); what a document shows is
the newest review per field (results.view). Reviewing a document's values is a change to the document,
so it takes its editor or owner; a viewer is refused (403) and anyone else does not see it (404).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shared.documents import access
from shared.documents.access import Role
from shared.errors import Invalid
from shared.extraction import patterns, results, values
from shared.extraction.errors import ExtractionNotFound, FieldNotFound, InvalidValue
from shared.extraction.outputs import ExtractionOut
from shared.extraction.schemas_service import definition
from shared.extraction.types import FieldSpec
from shared.models import ExtractionResult, ExtractionReview, ExtractionSchema, Job
from shared.paging import decode_cursor, encode_cursor
from shared.schemas import Schema

MAX_TEXT_CHARS = values.MAX_RAW
MAX_ROWS = 1000  # of a corrected list field


class FieldReviewIn(Schema):
    """`correct` replaces the shown value (null: the document does not hold it); `confirm` says the
    shown value is right."""

    action: Literal["correct", "confirm"]
    value: Any = Field(
        None,
        description="For `correct`: the value as its type is shown (text a string, number a number, money "
        '{"amount": "1234.50", "currency": "EUR"}, date "YYYY-MM-DD", boolean, enum one of its values, list '
        "a list of {column: value} rows). A string for another type is read as a document would be "
        '("1.234,50 €"). null: the document does not hold it.',
    )


class ReviewItemOut(Schema):
    document_id: uuid.UUID
    filename: str
    schema_id: uuid.UUID
    schema_name: str
    version: int
    needs_review: int = Field(description="How many fields wait for a person")
    fields: list[str] = Field(description="The names of the fields that wait, in the schema's order")
    extracted_at: dt.datetime


class ReviewQueue(Schema):
    items: list[ReviewItemOut]
    next_cursor: str | None


# --- values ------------------------------------------------------------------------------------------


def _invalid(spec: FieldSpec, loc: list[str | int], message: str) -> InvalidValue:
    detail = f"{spec.name!r}: {message}"
    return InvalidValue(
        detail,
        extra={
            "field": spec.name,
            "errors": [{"loc": ["body", "value", *loc], "msg": detail, "type": "invalid_value"}],
        },
    )


def check_value(spec: FieldSpec, value: Any, loc: list[str | int] | None = None) -> Any:
    """`value` as `spec`'s type is stored and shown (see FieldValue), or InvalidValue naming the field.
    None stays None: the document does not hold it."""
    loc = loc or []
    if value is None:
        return None
    if spec.type == "list":
        return _check_rows(spec, value, loc)
    if isinstance(value, str) and spec.type != "text":
        # A person may paste the value as the document writes it; it is read as an extractor would.
        reading = values.read(value, spec)
        if not reading.ok:
            raise _invalid(spec, loc, f"{value[:80]!r} cannot be read as {_kind(spec)}")
        value = reading.value
    match spec.type:
        case "text":
            if not isinstance(value, str) or not value.strip():
                raise _invalid(spec, loc, "text is a non-empty string")
            if len(value) > MAX_TEXT_CHARS:
                raise _invalid(spec, loc, f"text is at most {MAX_TEXT_CHARS} characters")
            return value.strip()
        case "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise _invalid(spec, loc, "a number is a finite JSON number")
            return float(value)
        case "money":
            return _check_money(spec, value, loc)
        case "date":
            return _check_date(spec, value, loc)
        case "boolean":
            if not isinstance(value, bool):
                raise _invalid(spec, loc, "a boolean is true or false")
            return value
        case "enum":
            if value not in spec.values:
                raise _invalid(spec, loc, f"the value is one of {', '.join(spec.values)}")
            return value
    raise _invalid(spec, loc, f"unknown type {spec.type}")


def _kind(spec: FieldSpec) -> str:
    return "an enum value" if spec.type == "enum" else f"a {spec.type}"


def _check_money(spec: FieldSpec, value: Any, loc: list[str | int]) -> dict[str, str | None]:
    if not isinstance(value, dict) or set(value) - {"amount", "currency"} or "amount" not in value:
        raise _invalid(spec, loc, 'money is {"amount": "1234.50", "currency": "EUR" or null}')
    amount, currency = value["amount"], value.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, str | int | float):
        raise _invalid(spec, [*loc, "amount"], 'the amount is a decimal string such as "1234.50"')
    try:
        number = Decimal(str(amount).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not re.fullmatch(r"-?\d+(\.\d+)?", str(amount).strip()):
        raise _invalid(
            spec, [*loc, "amount"], f'{str(amount)[:40]!r} is not a decimal amount such as "1234.50"'
        )
    if number.as_tuple().exponent in (0, -1):
        number = number.quantize(Decimal("0.01"))
    if currency is not None:
        code = currency.upper() if isinstance(currency, str) else None
        if code is None or code not in patterns.CURRENCY_CODES:
            raise _invalid(
                spec, [*loc, "currency"], "the currency is an ISO 4217 code (EUR, USD, ...) or null"
            )
        currency = code
    return {"amount": format(number, "f"), "currency": currency}


def _check_date(spec: FieldSpec, value: Any, loc: list[str | int]) -> str:
    try:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise _invalid(spec, loc, 'a date is a real day written "YYYY-MM-DD"') from None


def _check_rows(spec: FieldSpec, rows: Any, loc: list[str | int]) -> list[dict[str, Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise _invalid(spec, loc, "a list is a list of row objects keyed by its columns")
    if len(rows) > MAX_ROWS:
        raise _invalid(spec, loc, f"a list has at most {MAX_ROWS} rows")
    columns = {column.name: column for column in spec.fields}
    checked = []
    for index, row in enumerate(rows):
        unknown = sorted(set(row) - columns.keys())
        if unknown:
            raise _invalid(
                spec, [*loc, index], f"row {index} has {unknown[0]!r}, not a column ({', '.join(columns)})"
            )
        cells = {}
        for name, column in columns.items():
            try:
                cells[name] = check_value(column, row.get(name), [*loc, index, name])
            except InvalidValue as exc:
                # Named by the field the caller patched; the column is in the message and `loc`.
                raise InvalidValue(
                    f"{spec.name!r} row {index}: {exc.detail}", extra=exc.extra | {"field": spec.name}
                ) from None
        checked.append(cells)
    return checked


# --- reviewing -----------------------------------------------------------------------------------------


def _current(
    session: Session, caller: uuid.UUID, document_id: uuid.UUID, schema_id: uuid.UUID
) -> tuple[ExtractionResult, str]:
    access.require(session, caller, document_id, Role.EDITOR)
    row = session.execute(
        select(ExtractionResult, ExtractionSchema.name)
        .join(Job, Job.id == ExtractionResult.job_id)
        .join(ExtractionSchema, ExtractionSchema.id == ExtractionResult.schema_id)
        .where(
            ExtractionResult.document_id == document_id,
            ExtractionResult.schema_id == schema_id,
            Job.current,
            Job.kind == results.SCHEMAS_KIND,
        )
    ).first()
    if row is None:
        raise ExtractionNotFound(f"Document {document_id} has no extraction with schema {schema_id}.")
    return row[0], row[1]


def _spec(session: Session, result: ExtractionResult, field_name: str) -> FieldSpec:
    specs = definition(session, result.schema_id, result.schema_version).specs()
    found = next((spec for spec in specs if spec.name == field_name), None)
    found = found or next((spec for spec in specs if spec.name.casefold() == field_name.casefold()), None)
    if found is None:
        raise FieldNotFound(
            f"Version {result.schema_version} of the schema has no field {field_name!r}.",
            extra={"fields": [spec.name for spec in specs]},
        )
    return found


def _shown(session: Session, result: ExtractionResult, schema_name: str) -> ExtractionOut:
    return results.view(result, schema_name, results.reviews(session, result.document_id))


def review_field(
    session: Session,
    caller: uuid.UUID,
    document_id: uuid.UUID,
    schema_id: uuid.UUID,
    field_name: str,
    body: FieldReviewIn,
) -> ExtractionOut:
    """Correct or confirm one field of the document's current extraction with the schema."""
    result, schema_name = _current(session, caller, document_id, schema_id)
    spec = _spec(session, result, field_name)
    if body.action == "correct":
        review = ExtractionReview(action="corrected", value=check_value(spec, body.value))
    else:
        review = ExtractionReview(action="confirmed", value=None)
    review.document_id, review.schema_id, review.field, review.user_id = (
        document_id,
        schema_id,
        spec.name,
        caller,
    )
    session.add(review)
    session.flush()
    return _shown(session, result, schema_name)


def mark_reviewed(
    session: Session, caller: uuid.UUID, document_id: uuid.UUID, schema_id: uuid.UUID
) -> ExtractionOut:
    """The document is reviewed for the schema: it leaves the queue until it is extracted again."""
    result, schema_name = _current(session, caller, document_id, schema_id)
    session.add(
        ExtractionReview(
            document_id=document_id, schema_id=schema_id, field=None, action="reviewed", user_id=caller
        )
    )
    session.flush()
    return _shown(session, result, schema_name)


# --- the queue -----------------------------------------------------------------------------------------

# A field waits while it was found needs_review and nobody has corrected or confirmed it since (any
# review of the field is newer than the machine's word, which only changes by a new extraction and
# then keeps what people said); a document marked reviewed after its extraction waits no more.
_QUEUE_SQL = """
SELECT r.document_id, d.filename, r.schema_id, s.name AS schema_name, r.schema_version, r.created_at,
       r.job_id, waiting.names
FROM extraction_results r
JOIN jobs j ON j.id = r.job_id AND j.current AND j.kind = :kind
JOIN documents d ON d.id = r.document_id
JOIN extraction_schemas s ON s.id = r.schema_id
CROSS JOIN LATERAL (
    SELECT array_agg(f.value ->> 'name' ORDER BY f.ordinality) AS names
    FROM jsonb_array_elements(r.fields) WITH ORDINALITY AS f(value, ordinality)
    WHERE f.value ->> 'status' = 'needs_review'
      AND NOT EXISTS (SELECT 1 FROM extraction_reviews v
                      WHERE v.document_id = r.document_id AND v.schema_id = r.schema_id
                        AND v.field = f.value ->> 'name')
) AS waiting
WHERE (d.owner_id = :user_id OR EXISTS (SELECT 1 FROM document_grants g
       WHERE g.document_id = d.id AND g.user_id = :user_id AND g.role = 'editor'))
  AND r.fields @> '[{"status": "needs_review"}]'
  AND waiting.names IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM extraction_reviews m
                  WHERE m.document_id = r.document_id AND m.schema_id = r.schema_id
                    AND m.field IS NULL AND m.created_at >= r.created_at)
  {filters}
ORDER BY r.created_at DESC, r.job_id DESC, r.schema_id DESC
LIMIT :limit
"""


def queue(
    session: Session, caller: uuid.UUID, schema_id: uuid.UUID | None, limit: int, cursor: str | None
) -> ReviewQueue:
    """The extractions waiting for a person among the documents the caller may edit, newest first,
    keyset-paged on (extracted_at, job, schema)."""
    filters, params = [], {"kind": results.SCHEMAS_KIND, "user_id": caller, "limit": limit + 1}
    if schema_id is not None:
        filters.append("AND r.schema_id = :schema_id")
        params["schema_id"] = schema_id
    if cursor is not None:
        raw_at, raw_job, raw_schema = decode_cursor(cursor, 3)
        try:
            after = (dt.datetime.fromisoformat(raw_at), uuid.UUID(raw_job), uuid.UUID(raw_schema))
        except ValueError as exc:
            raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc
        filters.append("AND (r.created_at, r.job_id, r.schema_id) < (:after_at, :after_job, :after_schema)")
        params |= {"after_at": after[0], "after_job": after[1], "after_schema": after[2]}
    query = text(_QUEUE_SQL.replace("{filters}", "\n  ".join(filters)))
    rows: Sequence[Any] = session.execute(query, params).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last.created_at, last.job_id, last.schema_id)
    items = [
        ReviewItemOut(
            document_id=row.document_id,
            filename=row.filename,
            schema_id=row.schema_id,
            schema_name=row.schema_name,
            version=row.schema_version,
            needs_review=len(row.names),
            fields=list(row.names),
            extracted_at=row.created_at,
        )
        for row in rows
    ]
    return ReviewQueue(items=items, next_cursor=next_cursor)
