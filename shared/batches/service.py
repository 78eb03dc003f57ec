"""Batches: a ZIP archive taken in as one document per file inside, in one unit of work.

The archive is judged whole first (a ZIP at all, readable, within the entry and size limits), then each
file is screened by what the directory says, streamed out to a spool file and taken in through the
same intake as a single upload. The archive, every new document and the batch commit together: if the
unit of work fails, the blobs written for it are removed, and the guards committed before the first
blob was written let the sweeper remove them if the process itself dies.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any, BinaryIO

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from shared.batches import archive, repository
from shared.batches.archive import Entry, Refusal
from shared.batches.errors import BatchNotFound
from shared.batches.schemas import BatchCountsOut, BatchEntryOut, BatchList, BatchOut, BatchSummaryOut
from shared.db.outbox import enqueue, on_rollback
from shared.documents.access import Role
from shared.documents.filenames import clean_filename
from shared.documents.service import Accepted, Intake, document_view
from shared.documents.spool import SpooledFile, SpoolWriter
from shared.errors import DomainError, ErrorKind, Invalid
from shared.messaging.tasks import purge_message
from shared.models import Batch, BatchDocument, BlobPurge
from shared.providers.storage import batch_prefix, batch_source_key, document_prefix

ZIP = "application/zip"
# What a single upload's refusal means for an entry, when the upload's own code would mislead.
_ENTRY_CODES = {
    "archive_use_batches": archive.NESTED_ARCHIVE,
    "invalid_filename": archive.UNSAFE_NAME,
}
# Refusals of the entry's content, recorded beside it; anything else (a store or database down) fails
# the whole batch.
_ENTRY_KINDS = (ErrorKind.INVALID, ErrorKind.TOO_LARGE, ErrorKind.UNPROCESSABLE)


def create_batch(
    session: Session,
    intake: Intake,
    owner_id: uuid.UUID,
    upload: SpooledFile,
    *,
    filename: str | None,
    pipeline: list[str],
    charge: Callable[[int], None] | None = None,
) -> Batch:
    """The batch, with a document for every entry that passes; `charge(size)` as for a single upload,
    for each new document. Raises a 4xx domain error, having stored nothing, for an archive refused
    whole."""
    limits = intake.settings.limits
    if upload.size == 0:
        raise Invalid("The file is empty.", code="empty_file")
    name = clean_filename(filename, fallback="batch.zip")
    screened = archive.screen(archive.read_directory(upload.path, upload.head, upload.size, limits), limits)

    batch_id = uuid.uuid4()
    document_ids = {entry.index: uuid.uuid4() for entry, refusal in screened if refusal is None}
    prefixes = [batch_prefix(batch_id), *map(document_prefix, document_ids.values())]
    guard_ids = intake.guard(prefixes)
    # Registered before any blob is written, so it runs after every other compensation.
    on_rollback(session, lambda: intake.forget(prefixes=prefixes, guard_ids=guard_ids))
    intake.storage.put_file(
        batch_source_key(batch_id),
        upload.path,
        content_type=ZIP,
        metadata={"batch_id": str(batch_id), "sha256": upload.sha256},
    )

    refused: list[Refusal] = []
    links: list[dict[str, Any]] = []
    take = _Take(session, intake, owner_id, pipeline, charge)
    with upload.path.open("rb") as handle:
        for entry, screened_out in screened:
            refusal, accepted = screened_out, None
            if refusal is None:
                refusal, accepted = take(handle, entry, document_ids[entry.index])
            if accepted is None:
                assert refusal is not None
                refused.append(refusal)
                continue
            links.append(
                {
                    "batch_id": batch_id,
                    "position": entry.index,
                    "document_id": accepted.document.id,
                    "name": entry.name[:1024],
                    "created": accepted.created,
                }
            )
    created = sum(1 for link in links if link["created"])
    batch = Batch(
        id=batch_id,
        owner_id=owner_id,
        filename=name,
        size_bytes=upload.size,
        sha256=upload.sha256,
        blob_key=batch_source_key(batch_id),
        refused=[dataclasses.asdict(refusal) for refusal in refused],
        entry_count=len(screened),
        created_count=created,
        existing_count=len(links) - created,
        refused_count=len(refused),
    )
    session.add(batch)
    session.flush()
    if links:
        session.execute(insert(BatchDocument), links)
    session.execute(delete(BlobPurge).where(BlobPurge.id.in_(guard_ids)))
    return batch


@dataclasses.dataclass(frozen=True)
class _Take:
    """Taking one screened entry in: streamed to a spool file, checked, accepted as an upload."""

    session: Session
    intake: Intake
    owner_id: uuid.UUID
    pipeline: list[str]
    charge: Callable[[int], None] | None

    def __call__(
        self, handle: BinaryIO, entry: Entry, document_id: uuid.UUID
    ) -> tuple[Refusal | None, Accepted | None]:
        writer = SpoolWriter(self.intake.settings.spool_dir, entry.size)
        try:
            refusal = archive.read_entry(handle, entry, writer)
            if refusal is not None:
                return refusal, None
            spooled = writer.finish()
            nested = archive.archive_content(spooled.head)
            if nested is not None:
                return entry.refused(
                    archive.NESTED_ARCHIVE, f"The entry is {nested}; archives are not unpacked."
                ), None
            try:
                accepted = self.intake.accept_guarded(
                    self.session,
                    self.owner_id,
                    document_id,
                    spooled,
                    filename=entry.basename,
                    pipeline=self.pipeline,
                    charge=self.charge,
                )
            except DomainError as exc:
                code = _entry_code(exc)
                if code is None:
                    raise
                if code == archive.NESTED_ARCHIVE:
                    return entry.refused(
                        code, "The entry is a ZIP archive itself; archives are not unpacked."
                    ), None
                return entry.refused(code, exc.detail), None
            return None, accepted
        finally:
            writer.discard()


def _entry_code(error: DomainError) -> str | None:
    if error.code in _ENTRY_CODES:
        return _ENTRY_CODES[error.code]
    if error.kind is ErrorKind.UNSUPPORTED_MEDIA_TYPE:
        return archive.UNSUPPORTED_TYPE
    if error.kind is ErrorKind.RATE_LIMITED:
        return archive.QUOTA_EXCEEDED
    return error.code if error.kind in _ENTRY_KINDS else None


# --- reads and deletion -------------------------------------------------------------------------


def _owned(session: Session, owner_id: uuid.UUID, batch_id: uuid.UUID) -> Batch:
    batch = repository.get(session, batch_id)
    if batch is None or batch.owner_id != owner_id:
        error = BatchNotFound(f"Batch {batch_id} was not found.")
        error.denied = batch is not None
        raise error
    return batch


def _counts(batch: Batch) -> BatchCountsOut:
    return BatchCountsOut(
        entries=batch.entry_count,
        created=batch.created_count,
        existing=batch.existing_count,
        refused=batch.refused_count,
    )


def summary_view(batch: Batch) -> BatchSummaryOut:
    return BatchSummaryOut.from_row(batch, counts=_counts(batch))


def batch_view(session: Session, batch: Batch) -> BatchOut:
    """The batch with its documents as they are now; a document deleted since has left it."""
    links = repository.links(session, batch.id)
    found = repository.documents(session, [link.document_id for link in links])
    shown = dict.fromkeys(link.document_id for link in links if link.document_id in found)
    return BatchOut.from_row(
        batch,
        counts=_counts(batch),
        documents=[document_view(session, found[document_id], Role.OWNER) for document_id in shown],
        entries=[BatchEntryOut.from_row(link) for link in links],
    )


def get_batch(session: Session, owner_id: uuid.UUID, batch_id: uuid.UUID) -> BatchOut:
    return batch_view(session, _owned(session, owner_id, batch_id))


def list_batches(session: Session, owner_id: uuid.UUID, limit: int, cursor: str | None) -> BatchList:
    rows, next_cursor = repository.list_owned(session, owner_id, limit, cursor)
    return BatchList(items=[summary_view(batch) for batch in rows], next_cursor=next_cursor)


def delete_batch(session: Session, owner_id: uuid.UUID, batch_id: uuid.UUID) -> None:
    """The batch and its archive go (the archive right after commit, through a purge record the sweeper
    retries); the documents it made stay, as documents in their own right."""
    batch = _owned(session, owner_id, batch_id)
    purge = BlobPurge(prefix=batch_prefix(batch.id))
    session.add(purge)
    session.delete(batch)
    session.flush()
    enqueue(session, purge_message(purge.id))
