"""A schema's results across documents, as the next system takes them: CSV, JSON Lines or XLSX.

One row per document the caller may read that has a current result with the schema (whatever version
made it), with what people corrected instead of what was found, and per field a `<field>__review`
column with its state (found, not_found, needs_review, corrected, confirmed). The columns are the
fields of the schema's current version, in order; a field an older version did not have is empty.
Money is two columns (`<field>__amount`, `<field>__currency`) in CSV and XLSX and its object in JSON
Lines; a list field is one JSON cell in CSV and XLSX and nested objects in JSON Lines.

Rows are read in pages and written as they come, so an export of any size takes the same memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from shared.documents.access import Role, visible_to
from shared.extraction import results, schemas_service
from shared.extraction.types import FieldSpec
from shared.models import Document, ExtractionResult, ExtractionReview, Job

ExportFormat = Literal["csv", "jsonl", "xlsx"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/jsonl",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PAGE = 200  # documents read per query
FIXED = ("document_id", "filename", "schema_version")

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?(e[+-]?\d+)?", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XLSX cannot hold at all


@dataclass(frozen=True)
class Plan:
    schema_id: uuid.UUID
    schema_name: str
    specs: tuple[FieldSpec, ...]

    def columns(self) -> list[str]:
        names = list(FIXED)
        for spec in self.specs:
            if spec.type == "money":
                names += [f"{spec.name}__amount", f"{spec.name}__currency"]
            else:
                names.append(spec.name)
            names.append(f"{spec.name}__review")
        return names

    def filename(self, fmt: str) -> str:
        return f"{self.schema_name}.{fmt}"


@dataclass(frozen=True)
class Record:
    """A document's row: per field name its effective (value, status)."""

    document_id: uuid.UUID
    filename: str
    schema_version: int
    fields: dict[str, tuple[Any, str]]


def plan(session: Session, caller: uuid.UUID, schema_id: uuid.UUID) -> Plan:
    """What an export of the schema holds; 404 for a schema the caller cannot see."""
    schema, _ = schemas_service.require(session, caller, schema_id, Role.VIEWER)
    specs = schemas_service.definition(session, schema.id, schema.current_version).specs()
    return Plan(schema.id, schema.name, specs)


def records(session: Session, caller: uuid.UUID, export: Plan) -> Iterator[Record]:
    """Each document's effective values, oldest document first, a page of documents at a time."""
    after: tuple[Any, uuid.UUID] | None = None
    while True:
        query = (
            select(ExtractionResult, Document.filename, Document.created_at)
            .join(Job, Job.id == ExtractionResult.job_id)
            .join(Document, Document.id == ExtractionResult.document_id)
            .where(
                ExtractionResult.schema_id == export.schema_id,
                Job.current,
                Job.kind == results.SCHEMAS_KIND,
                visible_to(caller),
            )
            .order_by(Document.created_at, Document.id)
            .limit(PAGE)
        )
        if after is not None:
            query = query.where(tuple_(Document.created_at, Document.id) > after)
        page = session.execute(query).all()
        if not page:
            return
        said = _reviews(session, export.schema_id, [row[0].document_id for row in page])
        for result, filename, _ in page:
            shown = results.view(result, export.schema_name, said.get(result.document_id, {}))
            yield Record(
                result.document_id,
                filename,
                result.schema_version,
                {field.name: (field.value, field.status) for field in shown.fields},
            )
        last = page[-1]
        after = (last[2], last[0].document_id)
        session.expunge_all()  # what was written is not needed again
        if len(page) < PAGE:
            return


def _reviews(
    session: Session, schema_id: uuid.UUID, document_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[tuple[uuid.UUID, str | None], ExtractionReview]]:
    newest: dict[uuid.UUID, dict[tuple[uuid.UUID, str | None], ExtractionReview]] = {}
    for review in session.scalars(
        select(ExtractionReview)
        .where(ExtractionReview.schema_id == schema_id, ExtractionReview.document_id.in_(document_ids))
        .order_by(ExtractionReview.id)
    ):
        newest.setdefault(review.document_id, {})[(review.schema_id, review.field)] = review
    return newest


# --- cells -----------------------------------------------------------------------------------------


def _cells(export: Plan, record: Record) -> list[Any]:
    """The row as typed cells (str, float, bool, Decimal or None), in the plan's column order."""
    row: list[Any] = [str(record.document_id), record.filename, record.schema_version]
    for spec in export.specs:
        value, status = record.fields.get(spec.name, (None, None))
        if spec.type == "money":
            money = value if isinstance(value, dict) else {}
            amount = money.get("amount")
            row += [Decimal(amount) if isinstance(amount, str) else None, money.get("currency")]
        elif spec.type == "list":
            row.append(json.dumps(value, ensure_ascii=False) if value is not None else None)
        else:
            row.append(value)
        row.append(status)
    return row


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet shows as text: one that would start a formula gets a leading '."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _csv_cell(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    if isinstance(cell, int | Decimal):
        return str(cell)
    return neutralise(str(cell))


# --- formats ---------------------------------------------------------------------------------------


def csv_chunks(export: Plan, rows: Iterator[Record], per_chunk: int = 100) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(column) for column in export.columns()])
    pending = 1
    for record in rows:
        writer.writerow([_csv_cell(cell) for cell in _cells(export, record)])
        pending += 1
        if pending >= per_chunk:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def jsonl_chunks(export: Plan, rows: Iterator[Record]) -> Iterator[bytes]:
    for record in rows:
        line: dict[str, Any] = {
            "document_id": str(record.document_id),
            "filename": record.filename,
            "schema_version": record.schema_version,
        }
        for spec in export.specs:
            value, status = record.fields.get(spec.name, (None, None))
            line[spec.name] = value
            line[f"{spec.name}__review"] = status
        yield (json.dumps(line, ensure_ascii=False) + "\n").encode()


def write_xlsx(export: Plan, rows: Iterator[Record], path: Path) -> None:
    """The workbook written to `path` row by row (openpyxl's write-only mode keeps no rows in memory).
    Every text is written as a string cell, so nothing a document says becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(export.schema_name))

    def cells(values: list[Any]) -> list[Any]:
        out = []
        for value in values:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, _CONTROL.sub("", value))
                cell.data_type = "s"  # a text starting with "=" stays text
                out.append(cell)
            else:
                out.append(value)
        return out

    sheet.append(cells(export.columns()))
    for record in rows:
        sheet.append(cells(_cells(export, record)))
    book.save(path)


def _sheet_title(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "export"


def content_disposition(filename: str) -> str:
    """An attachment header every client reads: an ASCII fallback and the exact name (RFC 6266)."""
    fallback = re.sub(r'[^\x20-\x7e]|["\\/]', "_", filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
