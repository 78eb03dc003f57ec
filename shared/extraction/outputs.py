"""The shapes of extraction results as the API shows them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field

from shared.schemas import Schema

FieldStatus = Literal["found", "not_found", "needs_review", "corrected", "confirmed"]


class EvidenceOut(Schema):
    page_no: int
    quote: str = Field(description="The page's own text, verbatim.")
    bbox: list[float] | None = Field(
        None, description="x0, y0, x1, y1 on the page image, where OCR gave lines."
    )


class FieldSourceOut(Schema):
    provider: str
    model: str


class FieldResultOut(Schema):
    name: str
    value: Any = Field(description="The corrected value if a person corrected it, else the one found.")
    confidence: float
    status: FieldStatus
    evidence: list[EvidenceOut]
    raw: str | None = Field(None, description="The text as found, when it could not be read as its type.")
    items: list[list[FieldResultOut]] | None = Field(None, description="A list field's rows, cell by cell.")
    source: FieldSourceOut | None = Field(
        None,
        description="The provider and model that found the value, when the extraction combined several "
        "(a Document Intelligence prebuilt model first, the extraction provider for the rest).",
    )
    found_value: Any = Field(None, description="What the extractor found, kept when a person corrected it.")
    reviewed_by: str | None = Field(None, description="Who reviewed it (their user id).")
    reviewed_at: dt.datetime | None = None


class ExtractionOut(Schema):
    schema_id: uuid.UUID
    schema_name: str
    version: int
    status: Literal["extracted", "reviewed"]
    provider: str
    model: str
    fields: list[FieldResultOut]
    needs_review: int = Field(description="Fields still waiting for a person.")
    extracted_at: dt.datetime
    reviewed_by: str | None = Field(None, description="Who reviewed it (their user id).")
    reviewed_at: dt.datetime | None = None


class ExtractionList(Schema):
    items: list[ExtractionOut]
