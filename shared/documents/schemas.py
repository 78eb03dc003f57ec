"""The shapes documents, their pages, results and grants take on the way in and out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field

from shared.jobs.schemas import JobOut, UsageOut
from shared.schemas import Schema


class DocumentOut(Schema):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    status: Literal["queued", "processing", "ready", "failed", "cancelled"]
    page_count: int | None
    pipeline: list[str]
    outputs: dict[str, uuid.UUID] = Field(
        default_factory=dict,
        description="per job kind, the job whose outputs the document shows (its pages, search chunks, "
        "results): one succeeded run of each, switched in together when a run completes",
    )
    role: Literal["owner", "editor", "viewer"] = Field(description="the caller's role on the document")
    created_at: dt.datetime
    updated_at: dt.datetime
    jobs: list[JobOut]
    usage: list[UsageOut] = Field(default_factory=list, description="all jobs together")


class DocumentSummaryOut(Schema):
    """A row of the documents list: the document without its jobs."""

    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    status: Literal["queued", "processing", "ready", "failed", "cancelled"]
    page_count: int | None
    role: Literal["owner", "editor", "viewer"]
    created_at: dt.datetime
    updated_at: dt.datetime


class DocumentList(Schema):
    items: list[DocumentSummaryOut]
    next_cursor: str | None


class GrantIn(Schema):
    role: Literal["viewer", "editor"]


class GrantOut(Schema):
    user_id: str = Field(description="the grantee's user id (the identity provider's subject)")
    name: str | None
    role: Literal["viewer", "editor"]
    created_at: dt.datetime
    updated_at: dt.datetime


class GrantList(Schema):
    items: list[GrantOut]
    next_cursor: None = None


class OcrLineOut(Schema):
    text: str
    confidence: float
    bbox: list[int]


class PageOut(Schema):
    page_no: int
    text: str
    source: Literal["text_layer", "ocr", "native"]
    confidence: float | None
    width: int | None
    height: int | None
    lines: list[OcrLineOut] | None = None


class PageList(Schema):
    items: list[PageOut]
    next_cursor: str | None


class ClassificationOut(Schema):
    label: str
    score: float


class ResultsOut(Schema):
    summary: str
    classification: ClassificationOut | None
    fields: dict[str, list[dict[str, Any]]]
    keywords: list[str]
    provider: str
    model: str
    created_at: dt.datetime
    updated_at: dt.datetime


class FileUrlOut(Schema):
    url: str
    direct: bool = Field(
        description="true: straight from blob storage, no bearer token needed until it expires"
    )
    expires_at: dt.datetime | None


class ReprocessIn(Schema):
    pipeline: str | list[str] | None = Field(
        None,
        description="Steps to run, as on upload (comma-separated, or a list); the document's own "
        "pipeline when omitted. It becomes the document's pipeline.",
    )
