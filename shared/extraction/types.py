"""What every part of extraction speaks: a field to look for, the pages to look in, and what was found.

Providers (local patterns, OpenAI structured outputs, Document Intelligence's prebuilt models) take the
same pages and fields and answer with the same values, so storing, reviewing and exporting never depend
on which provider ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

FieldType = Literal["text", "number", "money", "date", "boolean", "enum", "list"]
FIELD_TYPES: tuple[FieldType, ...] = ("text", "number", "money", "date", "boolean", "enum", "list")
# What the machine says of a value; a person's review adds "corrected" and "confirmed".
FoundStatus = Literal["found", "not_found", "needs_review"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a schema. `values` only for enum; `fields` only for list (the columns of a line
    item, themselves neither list nor nested deeper)."""

    name: str
    type: FieldType
    description: str = ""
    required: bool = False
    values: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class Line:
    """A line of a page as OCR saw it: its text and box (x0, y0, x1, y1 in the page image's pixels)."""

    text: str
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class PageText:
    """A page's stored text (`pages.text`) and, where OCR gave them, its lines with their boxes."""

    page_no: int
    text: str
    lines: tuple[Line, ...] = ()
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Evidence:
    """Where a value came from: the page and the verbatim quote (a substring of that page's stored
    text, exactly), with the box around it when the page's lines give one."""

    page_no: int
    quote: str
    bbox: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class FieldValue:
    """A field's value as found. `value` is normalised and JSON-ready by type: text and enum a str,
    number a float, money {"amount": "1234.50", "currency": "EUR"} (amount as a decimal string, currency
    ISO 4217 or None), date "YYYY-MM-DD", boolean a bool, list a list of {column: value} objects. None
    when not found, or when the raw text could not be read as the type (then `raw` keeps it and the
    status is needs_review). `confidence` is 0..1 and honest: a pattern with its label next to it is
    not a guess between several candidates."""

    name: str
    value: Any
    confidence: float
    status: FoundStatus
    evidence: tuple[Evidence, ...] = ()
    raw: str | None = None
    items: tuple[tuple[FieldValue, ...], ...] = field(default=())  # list fields: one tuple per row
    # (provider, model) that found it, where an extraction combines several (a prebuilt model first).
    source: tuple[str, str] | None = None


class Extractor(Protocol):
    """A provider of extraction. `name`/`model` label the results (the local one says it is local)."""

    name: str
    model: str

    def extract(self, pages: list[PageText], fields: list[FieldSpec]) -> list[FieldValue]:
        """One FieldValue per field, in the order given; never an invented value: not_found instead."""
        ...
