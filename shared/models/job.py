import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, new_id
from shared.telemetry.context import current_traceparent

JOB_STATUSES = ("waiting", "queued", "running", "retrying", "succeeded", "failed", "cancelled")


class Job(Base):
    """One step of one run of a document's pipeline. The database, not the broker, says what has run.

    Kinds are data (shared/jobs/kinds.py), so the column holds any declared kind's name. Everything a job
    stores is tagged with its id; `current` marks the one job per kind whose outputs the document shows.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"status IN {JOB_STATUSES}", name="status"),
        CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="attempts"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        Index("uq_jobs_run_kind", "run_id", "kind", unique=True),
        Index("ix_jobs_document_id", "document_id"),
        # At most one job per kind supplies what the document shows.
        Index(
            "uq_jobs_current_output",
            "document_id",
            "kind",
            unique=True,
            postgresql_where=text("current"),
        ),
        Index("ix_jobs_depends_on_id", "depends_on_id"),
        # What the sweeper scans: only jobs that have not ended.
        Index(
            "ix_jobs_active",
            "status",
            "queue",
            postgresql_where=text("status IN ('queued', 'running', 'retrying')"),
        ),
        # Fair-share dispatch: a user's oldest held jobs of a queue, in line order (shared/jobs/dispatch.py).
        Index(
            "ix_jobs_held",
            "queue",
            "queued_at",
            "id",
            postgresql_where=text("status = 'queued' AND published_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    # The jobs started together to (re)build some of the document's outputs (shared/jobs/runs.py).
    run_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    # The job whose outputs this one reads: in the same run, or the current one of an earlier run.
    depends_on_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    current: Mapped[bool] = mapped_column(server_default=text("false"))
    attempts: Mapped[int] = mapped_column(server_default="0")
    max_attempts: Mapped[int]
    progress: Mapped[float] = mapped_column(server_default="0")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[dt.datetime | None]
    next_attempt_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    queued_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    # The last attempt's time in the queue and at work, in milliseconds.
    wait_ms: Mapped[int | None] = mapped_column(BigInteger)
    run_ms: Mapped[int | None] = mapped_column(BigInteger)
    # What paid providers consumed for this job over all its attempts: [{provider, model, requests,
    # input_tokens, output_tokens, pages}]; empty for local providers.
    usage: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    # The W3C traceparent of the request that created the job, so the worker that runs it continues that
    # trace however late and by whichever path its message is published (shared/telemetry/jobs.py).
    traceparent: Mapped[str | None] = mapped_column(String(55), default=current_traceparent)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class JobEvent(Base):
    """Every transition of a job, for its history and for operators."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int]
    worker: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(server_default=func.now())


class JobTiming(Base):
    """Cumulative histogram buckets of queue wait and run time per job kind, for /health/metrics.

    Kept in the database because the timings are observed in worker processes while the metrics are
    served by the API; one row per bucket keeps each completion to a single-row increment.
    """

    __tablename__ = "job_timings"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    metric: Mapped[str] = mapped_column(String(8), primary_key=True)  # wait | run
    le: Mapped[float] = mapped_column(primary_key=True)  # bucket upper bound in seconds; +Infinity last
    observations: Mapped[int] = mapped_column(BigInteger, server_default="0")
    sum_seconds: Mapped[float] = mapped_column(server_default="0")
