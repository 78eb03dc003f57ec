"""The shapes a batch takes on the way out."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from shared.documents.schemas import DocumentOut
from shared.schemas import Schema


class RefusedEntryOut(Schema):
    name: str = Field(description="the entry's name in the archive, folders included")
    code: str = Field(
        description="too_large, ratio_exceeded, nested_archive, unsafe_name, duplicate_name, encrypted, "
        "symlink, unsupported_compression, corrupt_entry, unsupported_type, quota_exceeded, or the code "
        "a single upload of the entry would be refused with (empty_file, corrupt_file, encrypted_pdf, ...)"
    )
    reason: str


class BatchCountsOut(Schema):
    entries: int = Field(description="files in the archive; folders and archivers' bookkeeping are skipped")
    created: int = Field(description="entries that became new documents")
    existing: int = Field(description="entries whose bytes were already one of the caller's documents")
    refused: int


class BatchEntryOut(Schema):
    """Which entry became which document."""

    name: str
    document_id: uuid.UUID
    created: bool = Field(description="false: the document existed before, with the same bytes")


class BatchSummaryOut(Schema):
    id: uuid.UUID
    filename: str
    size_bytes: int = Field(description="the archive's size")
    sha256: str = Field(description="the archive's SHA-256")
    created_at: dt.datetime
    counts: BatchCountsOut


class BatchOut(BatchSummaryOut):
    documents: list[DocumentOut] = Field(
        description="each document the entries became, once, in archive order"
    )
    entries: list[BatchEntryOut]
    refused: list[RefusedEntryOut]


class BatchList(Schema):
    items: list[BatchSummaryOut]
    next_cursor: str | None
