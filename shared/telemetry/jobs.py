"""A job's span continues the trace of the request that created the job.

A job's message may be published long after that request, by another transaction: after the upload
commits, by the job it waited on, by fair-share dispatch when the owner's earlier job ends, or by the
sweeper after a lost message. So the trace context travels on the job's row (`jobs.traceparent`,
written when the job is created), not in the message, and every path resumes the same trace. The
delivery that ran it (the Celery task span, in whatever trace the publisher was in) is linked.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from shared.models import Job
from shared.telemetry.context import context_from_traceparent
from shared.telemetry.tracing import active_provider

log = logging.getLogger(__name__)


@contextmanager
def job_span(factory: sessionmaker[Session], job_id: str) -> Iterator[trace.Span]:
    """Run a delivery of job `job_id` inside span `job <kind>`; a no-op span when tracing is off."""
    provider = active_provider()
    try:
        parsed = uuid.UUID(job_id)
    except ValueError:
        parsed = None
    if provider is None or parsed is None:
        yield trace.INVALID_SPAN
        return
    try:
        with factory() as session:
            row = session.execute(
                select(Job.kind, Job.document_id, Job.traceparent).where(Job.id == parsed)
            ).first()
    except SQLAlchemyError:
        # Tracing never stops a job: the runner meets the same fault and handles it as it always does.
        log.debug("could not read the trace context of job %s", job_id, exc_info=True)
        row = None
    delivery = trace.get_current_span().get_span_context()
    links = [trace.Link(delivery)] if delivery.is_valid else None
    attributes: dict[str, str] = {"workopti.job.id": job_id}
    kind = "unknown"
    parent = None
    if row is not None:
        kind = row.kind
        attributes |= {"workopti.job.kind": row.kind, "workopti.document.id": str(row.document_id)}
        parent = context_from_traceparent(row.traceparent)
    # No stored context (a job from before tracing was on): the delivery's trace is the best there is.
    tracer = provider.get_tracer(__name__)
    with tracer.start_as_current_span(
        f"job {kind}", context=parent, links=links if parent is not None else None, attributes=attributes
    ) as span:
        yield span
