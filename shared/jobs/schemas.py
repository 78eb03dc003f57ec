"""The shapes jobs, their history and the pipeline's steps take on the way out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from shared.schemas import Schema


class JobErrorOut(Schema):
    code: str
    message: str


class UsageOut(Schema):
    """What a paid provider consumed; empty lists where everything ran locally."""

    provider: str
    model: str
    requests: int
    input_tokens: int
    output_tokens: int
    pages: int


class JobOut(Schema):
    id: uuid.UUID
    document_id: uuid.UUID
    kind: str = Field(description="the job's kind: extract, embed, ai, or one a deployment declares")
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


class JobEventOut(Schema):
    status: str
    attempt: int
    worker: str | None
    detail: str | None
    at: dt.datetime


class JobDetailOut(JobOut):
    events: list[JobEventOut]


class StepOut(Schema):
    name: str = Field(description="the job kind, as named in a pipeline and in each job's `kind`")
    follows: str | None = Field(description="the step whose outputs it reads; it runs after it")
    default: bool = Field(description="part of the pipeline an upload runs when it names none")


class PipelineOut(Schema):
    steps: list[StepOut] = Field(description="every step this deployment runs, in the order they run")
    default: list[str]
