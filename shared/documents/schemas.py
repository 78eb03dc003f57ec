"""The shapes documents, jobs, pages and results take on the way out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class JobErrorOut(BaseModel):
    code: str
    message: str


class UsageOut(BaseModel):
    """What a paid provider consumed; empty lists where everything ran locally."""

    provider: str
    model: str
    requests: int
    input_tokens: int
    output_tokens: int
    pages: int


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID
    kind: Literal["extract", "embed", "ai"]
    queue: str
    status: Literal["waiting", "queued", "running", "retrying", "succeeded", "failed", "cancelled"]
    attempts: int
    max_attempts: int
    progress: float = Field(description="0 to 1")
    error: JobErrorOut | None = None
    queued_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    wait_ms: int | None = Field(description="time the last attempt waited in its queue")
    run_ms: int | None = Field(description="time the last attempt ran")
    depends_on: uuid.UUID | None = None
    usage: list[UsageOut] = Field(default_factory=list, description="over all attempts")


class JobEventOut(BaseModel):
    status: str
    attempt: int
    worker: str | None
    detail: str | None
    at: dt.datetime


class JobDetailOut(JobOut):
    events: list[JobEventOut]


class DocumentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    status: Literal["queued", "processing", "ready", "failed", "cancelled"]
    page_count: int | None
    pipeline: list[str]
    role: Literal["owner", "editor", "viewer"] = Field(description="the caller's role on the document")
    created_at: dt.datetime
    updated_at: dt.datetime
    jobs: list[JobOut]
    usage: list[UsageOut] = Field(default_factory=list, description="all jobs together")


class DocumentSummaryOut(BaseModel):
    """A row of the documents list: the document without its jobs."""

    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    status: Literal["queued", "processing", "ready", "failed", "cancelled"]
    page_count: int | None
    role: Literal["owner", "editor", "viewer"]
    created_at: dt.datetime
    updated_at: dt.datetime


class DocumentList(BaseModel):
    items: list[DocumentSummaryOut]
    next_cursor: str | None


class GrantOut(BaseModel):
    user_id: str = Field(description="the grantee's user id (the identity provider's subject)")
    name: str | None
    role: Literal["viewer", "editor"]
    created_at: dt.datetime
    updated_at: dt.datetime


class GrantList(BaseModel):
    items: list[GrantOut]
    next_cursor: None = None


class OcrLineOut(BaseModel):
    text: str
    confidence: float
    bbox: list[int]


class PageOut(BaseModel):
    page_no: int
    text: str
    source: Literal["text_layer", "ocr", "native"]
    confidence: float | None
    width: int | None
    height: int | None
    lines: list[OcrLineOut] | None = None


class PageList(BaseModel):
    items: list[PageOut]
    next_cursor: str | None


class ClassificationOut(BaseModel):
    label: str
    score: float


class ResultsOut(BaseModel):
    summary: str
    classification: ClassificationOut | None
    fields: dict[str, list[dict[str, Any]]]
    keywords: list[str]
    provider: str
    model: str
    created_at: dt.datetime
    updated_at: dt.datetime
