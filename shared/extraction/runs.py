"""Running a schema on documents: each document is given the schema (kept, so every later extraction
of it includes the schema) and extracted now, or, when a run of it is in flight, as soon as that run
completes (the schemas kind's `wanted` function sees what is still missing)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.documents import access
from shared.documents.access import Role
from shared.errors import Invalid
from shared.extraction import assign, schemas_service
from shared.extraction.results import SCHEMAS_KIND
from shared.jobs import runs
from shared.jobs.schemas import JobOut
from shared.jobs.transitions import lock_document
from shared.models import AiResult, Document, Job
from shared.schemas import Schema

MAX_DOCUMENTS_PER_RUN = 1000


class SchemaRunIn(Schema):
    """The documents to extract: by id, or every document the caller may edit that is classified with
    `label` (at most MAX_DOCUMENTS_PER_RUN either way)."""

    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_DOCUMENTS_PER_RUN)
    label: str | None = Field(None, max_length=64)


class SchemaRunOut(Schema):
    jobs: list[JobOut] = Field(description="The extraction jobs started now, one per document.")
    waiting: list[uuid.UUID] = Field(
        description="Documents being processed: extracted as soon as their processing completes."
    )


def run_schema(
    session: Session,
    caller: uuid.UUID,
    schema_id: uuid.UUID,
    body: SchemaRunIn,
    settings: JobSettings,
    job_view: Callable[[Job], JobOut],
) -> SchemaRunOut:
    schemas_service.require(session, caller, schema_id, Role.VIEWER)
    document_ids = list(dict.fromkeys(body.document_ids))
    if body.label is not None:
        document_ids += [d for d in _labelled(session, caller, body.label) if d not in document_ids]
    if not document_ids:
        raise Invalid(
            "Name the documents to extract, or a label they are classified with.", code="no_documents"
        )
    if len(document_ids) > MAX_DOCUMENTS_PER_RUN:
        raise Invalid(f"At most {MAX_DOCUMENTS_PER_RUN} documents per run.", code="too_many_documents")
    started: list[JobOut] = []
    waiting: list[uuid.UUID] = []
    for document_id in document_ids:
        access.require(session, caller, document_id, Role.EDITOR)
        lock_document(session, document_id)
        assign.assign(session, document_id, schema_id, caller)
        if runs.in_flight(session, document_id):
            waiting.append(document_id)
            continue
        jobs = runs.start_run(session, document_id, [SCHEMAS_KIND], settings, reason="schema run requested")
        started.extend(job_view(job) for job in jobs)
    return SchemaRunOut(jobs=started, waiting=waiting)


def _labelled(session: Session, caller: uuid.UUID, label: str) -> Sequence[uuid.UUID]:
    """The documents the caller may edit whose current classification is `label`."""
    return session.scalars(
        select(Document.id)
        .join(Job, (Job.document_id == Document.id) & Job.current & (Job.kind == "ai"))
        .join(AiResult, AiResult.job_id == Job.id)
        .where(
            access.visible_to(caller),
            access.role_of(caller).in_((Role.OWNER.value, Role.EDITOR.value)),
            AiResult.classification_label.ilike(label),
        )
        .order_by(Document.created_at)
        .limit(MAX_DOCUMENTS_PER_RUN + 1)
    ).all()
