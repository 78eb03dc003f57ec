"""Documents: accepting an upload, reading what was made of it, deleting it and everything derived."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.engine import autocommit_factory, session_scope
from shared.db.outbox import enqueue, on_rollback
from shared.documents import access, repository, sniff
from shared.documents.access import Role
from shared.documents.errors import IdempotencyKeyReused, ResultsNotReady
from shared.documents.filenames import clean_filename
from shared.documents.schemas import ClassificationOut, DocumentOut, DocumentSummaryOut, PageOut, ResultsOut
from shared.documents.spool import SpooledFile
from shared.errors import Invalid
from shared.events import service as events
from shared.jobs import actions, runs
from shared.jobs.kinds import catalog
from shared.jobs.schemas import JobDetailOut, JobErrorOut, JobEventOut, JobOut, UsageOut
from shared.jobs.transitions import lock_document
from shared.messaging.tasks import purge_message
from shared.models import BlobPurge, Document, Job
from shared.paging import encode_cursor
from shared.pipeline.kinds import AI, EXTRACT
from shared.providers.storage import BlobStore, document_prefix, original_key
from shared.usage import service as usage

log = logging.getLogger(__name__)

# An upload's blob is written before its row commits; if the process dies in between, this guard
# (committed first) lets the sweeper remove the orphan once it falls due.
_UPLOAD_GUARD = dt.timedelta(hours=1)


def parse_pipeline(raw: str | None) -> list[str]:
    """Comma-separated job kinds in any order (the default pipeline when empty), each with the kind it
    follows, returned in the order they run."""
    known = catalog()
    if raw is None or not raw.strip():
        return known.default_pipeline
    names = {part.strip().lower() for part in raw.split(",") if part.strip()}
    unknown = sorted(name for name in names if name not in known)
    if unknown:
        raise Invalid(
            f"Unknown pipeline step {', '.join(map(repr, unknown))}; steps are {', '.join(known.names())}.",
            code="invalid_pipeline",
        )
    for name in sorted(names):
        follows = known.get(name).follows
        if follows is not None and follows not in names:
            raise Invalid(f"The {name} step needs {follows} in the pipeline too.", code="invalid_pipeline")
    return known.order(names)


@dataclass(frozen=True)
class Accepted:
    document: Document
    created: bool  # False when an earlier upload (same bytes or same Idempotency-Key) was returned


class Intake:
    """Turns a spooled upload into a stored blob, a document row and its queued jobs."""

    def __init__(self, settings: Settings, storage: BlobStore, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.storage = storage
        self.factory = factory
        # The checks before the blob is written are a read and one insert: no transaction needed.
        self._autocommit = autocommit_factory(factory)

    def identify(self, upload: SpooledFile, filename: str | None) -> tuple[str, sniff.FileType]:
        """The clean filename and verified type; raises a 4xx domain error for anything refused."""
        if upload.size == 0:
            raise Invalid("The file is empty.", code="empty_file")
        content_type = sniff.detect(upload.path, upload.head)
        file_type = sniff.validate(upload.path, content_type, upload.size, self.settings.limits)
        name = clean_filename(filename, fallback=f"upload{file_type.default_extension}")
        sniff.check_extension(name, content_type)
        return name, file_type

    def existing(
        self, session: Session, owner_id: uuid.UUID, upload: SpooledFile, idempotency_key: str | None
    ) -> Document | None:
        if idempotency_key:
            previous = repository.by_idempotency_key(session, owner_id, idempotency_key)
            if previous is not None:
                if previous.sha256 != upload.sha256:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was already used for a different file.",
                        extra={"document_id": str(previous.id)},
                    )
                return previous
        return repository.by_sha256(session, owner_id, upload.sha256)

    def accept(
        self,
        session: Session,
        owner_id: uuid.UUID,
        upload: SpooledFile,
        *,
        filename: str | None,
        pipeline: list[str],
        idempotency_key: str | None,
        charge: Callable[[int], None] | None = None,
    ) -> Accepted:
        """`session` is the request's unit of work; it is first used only after the blob is stored, so
        a request never holds two pooled connections at once (which can starve the pool under load).
        `charge(size)` is called for a new document only (a repeated upload costs nothing) before
        anything is stored; it refuses by raising."""
        name, file_type = self.identify(upload, filename)
        document_id = uuid.uuid4()
        prefix = document_prefix(document_id)
        with self._autocommit() as short:
            previous = self.existing(short, owner_id, upload, idempotency_key)
            if previous is None:
                if charge is not None:
                    charge(upload.size)
                (guard_id,) = self._guard(short, [prefix])  # committed by itself
        if previous is not None:
            return Accepted(previous, created=False)
        accepted = self._store(
            session,
            owner_id,
            document_id,
            upload,
            name=name,
            file_type=file_type,
            pipeline=pipeline,
            idempotency_key=idempotency_key,
            forget=lambda: self.forget(prefixes=[prefix], guard_ids=[guard_id]),
        )
        session.execute(delete(BlobPurge).where(BlobPurge.id == guard_id))
        return accepted

    def guard(self, prefixes: list[str]) -> list[int]:
        """Commit purge records, due in an hour, for blobs about to be written under `prefixes`; the
        caller deletes them in the transaction that commits the rows those blobs belong to."""
        with session_scope(self.factory) as short:
            return self._guard(short, prefixes)

    def _guard(self, session: Session, prefixes: list[str]) -> list[int]:
        # Committed without waiting for its WAL flush (synchronous_commit off for this transaction
        # only): the upload's own commit, which waits, flushes the log up to and past this record.
        # Only a server crash in the instant between the two loses a guard, and the cost is an orphan
        # blob, never a document. One round trip and no disk wait on the upload path.
        return list(
            session.scalars(
                text(
                    """
                    WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
                    INSERT INTO blob_purges (prefix, due_at)
                    SELECT prefix, now() + make_interval(secs => :delay)
                    FROM unnest(CAST(:prefixes AS text[])) AS prefix, relaxed
                    RETURNING id
                    """
                ),
                {"prefixes": prefixes, "delay": _UPLOAD_GUARD.total_seconds()},
            )
        )

    def accept_guarded(
        self,
        session: Session,
        owner_id: uuid.UUID,
        document_id: uuid.UUID,
        upload: SpooledFile,
        *,
        filename: str | None,
        pipeline: list[str],
        charge: Callable[[int], None] | None = None,
    ) -> Accepted:
        """`accept` for a caller that guarded `document_prefix(document_id)` itself (`guard`) and
        removes the guard when it commits: many uploads in one unit of work, which then needs no
        connection besides the one `session` holds. `session` sees the documents this unit of work
        made already, so the same bytes twice make one document."""
        name, file_type = self.identify(upload, filename)
        previous = self.existing(session, owner_id, upload, None)
        if previous is not None:
            return Accepted(previous, created=False)
        if charge is not None:
            charge(upload.size)
        prefix = document_prefix(document_id)
        return self._store(
            session,
            owner_id,
            document_id,
            upload,
            name=name,
            file_type=file_type,
            pipeline=pipeline,
            idempotency_key=None,
            forget=lambda: self.forget(prefixes=[prefix]),
        )

    def _store(
        self,
        session: Session,
        owner_id: uuid.UUID,
        document_id: uuid.UUID,
        upload: SpooledFile,
        *,
        name: str,
        file_type: sniff.FileType,
        pipeline: list[str],
        idempotency_key: str | None,
        forget: Callable[[], None],
    ) -> Accepted:
        """The blob, then the row and its first run; `forget` undoes the blob if the row never commits."""
        self.storage.put_file(
            original_key(document_id),
            upload.path,
            content_type=file_type.content_type,
            metadata={"document_id": str(document_id), "sha256": upload.sha256},
        )
        on_rollback(session, forget)
        run_id = uuid.uuid4()
        values = {
            "id": document_id,
            "run_id": run_id,
            "owner_id": owner_id,
            "filename": name,
            "content_type": file_type.content_type,
            "size_bytes": upload.size,
            "sha256": upload.sha256,
            "blob_key": original_key(document_id),
            "status": "queued",
            "page_count": file_type.page_count,
            "pipeline": pipeline,
            "idempotency_key": idempotency_key,
        }
        # ON CONFLICT rather than catching the error: no savepoint round trips on the common path.
        document = session.scalars(
            insert(Document).values(**values).on_conflict_do_nothing().returning(Document)
        ).one_or_none()
        if document is None:
            # The same bytes (or key) arrived concurrently and the other upload won: answer with it.
            previous = self.existing(session, owner_id, upload, idempotency_key)
            if previous is None:
                raise RuntimeError("the document conflicted with one that cannot be found")
            self.storage.delete_prefix(document_prefix(document_id))
            return Accepted(previous, created=False)
        runs.start_first_run(
            session, document_id, owner_id, run_id, pipeline, self.settings.jobs, reason="upload"
        )
        return Accepted(document, created=True)

    def forget(self, *, prefixes: list[str], guard_ids: list[int] | None = None) -> None:
        """Remove blobs written for rows that never committed, then their guards; what fails here the
        sweeper removes once the guards fall due."""
        try:
            for prefix in prefixes:
                self.storage.delete_prefix(prefix)
            if guard_ids:
                with session_scope(self.factory) as cleanup:
                    cleanup.execute(delete(BlobPurge).where(BlobPurge.id.in_(guard_ids)))
        except Exception:
            log.warning("could not remove the blobs of an abandoned upload; the sweeper will", exc_info=True)


# --- reads --------------------------------------------------------------------------------------


def get_document(
    session: Session, user_id: uuid.UUID, document_id: uuid.UUID, at_least: Role = Role.VIEWER
) -> tuple[Document, Role]:
    """The document and the caller's role: 404 when they cannot see it, 403 when the role is too low."""
    return access.require(session, user_id, document_id, at_least)


def _job_fields(job: Job) -> dict[str, Any]:
    """What a job's view shows that is not one of its columns as it stands."""
    error = JobErrorOut(code=job.error_code, message=job.error_message or "") if job.error_code else None
    return {"progress": round(job.progress, 4), "error": error, "depends_on": job.depends_on_id}


def job_view(job: Job) -> JobOut:
    return JobOut.from_row(job, **_job_fields(job))


def job_detail(session: Session, job: Job) -> JobDetailOut:
    events = [JobEventOut.model_validate(event) for event in repository.events_of(session, job.id)]
    return JobDetailOut.from_row(job, **_job_fields(job), events=events)


def document_view(session: Session, document: Document, role: Role) -> DocumentOut:
    shown, current = runs.overview(session, document.id)
    jobs = [job_view(job) for job in shown]
    totals = usage.merge(*([u.model_dump() for u in job.usage] for job in jobs))
    return DocumentOut.from_row(
        document,
        outputs={kind: job.id for kind, job in current.items()},
        role=role.value,
        jobs=jobs,
        usage=[UsageOut.model_validate(entry) for entry in totals],
    )


def summary_view(document: Document, role: str) -> DocumentSummaryOut:
    return DocumentSummaryOut.from_row(document, role=role)


def page_views(
    session: Session, document: Document, *, after: int, limit: int, with_lines: bool
) -> tuple[list[PageOut], str | None]:
    current = repository.current_job(session, document.id, EXTRACT)
    pages = [] if current is None else repository.pages_of(session, current, after=after, limit=limit + 1)
    next_cursor = None
    if len(pages) > limit:
        pages = pages[:limit]
        next_cursor = encode_cursor(pages[-1].page_no)
    views = [PageOut.from_row(p, lines=p.lines if with_lines else None) for p in pages]
    return views, next_cursor


def results_view(session: Session, document: Document) -> ResultsOut:
    current = repository.current_job(session, document.id, AI)
    result = None if current is None else repository.result_of(session, current)
    if result is None:
        raise ResultsNotReady("The AI results are not ready; the ai job has not succeeded yet.")
    classification = (
        ClassificationOut(label=result.classification_label, score=round(result.classification_score or 0, 4))
        if result.classification_label
        else None
    )
    return ResultsOut.from_row(result, classification=classification)


# --- processing again -----------------------------------------------------------------------------


def reprocess_document(
    session: Session, user_id: uuid.UUID, document_id: uuid.UUID, raw_pipeline: str | None, settings: Settings
) -> Document:
    """A new run of the document's pipeline (or `raw_pipeline`, which becomes its pipeline) beside what it
    shows now; an editor may ask. Refused while a run is in flight."""
    document, _ = get_document(session, user_id, document_id, Role.EDITOR)
    pipeline = parse_pipeline(raw_pipeline) if raw_pipeline else list(document.pipeline)
    actions.reprocess(session, document.id, pipeline, settings.jobs)
    session.refresh(document)
    return document


# --- deletion -----------------------------------------------------------------------------------


def delete_document(session: Session, user_id: uuid.UUID, document_id: uuid.UUID) -> None:
    """The row and everything derived from it go in this transaction; its blobs go right after commit,
    through a purge record the sweeper retries until the store confirms."""
    document, _ = get_document(session, user_id, document_id, Role.OWNER)
    lock_document(session, document.id)
    events.document_deleted(session, document.id)
    purge = BlobPurge(prefix=document_prefix(document.id))
    session.add(purge)
    session.delete(document)
    session.flush()
    enqueue(session, purge_message(purge.id))
