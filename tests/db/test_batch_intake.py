"""A batch commits whole or leaves nothing: on this package's own database, a batch whose unit of work
fails midway (blob storage failing, or anything raising after some documents were written) leaves no
row, no blob and no purge guard behind; one that succeeds leaves its rows and blobs and no guard."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from shared.batches import service as batches
from shared.config import AppSettings, DatabaseSettings, Settings, StorageSettings
from shared.db import build_session_factory
from shared.db.engine import session_scope
from shared.db.outbox import TaskMessage
from shared.documents.service import Intake
from shared.documents.spool import SpooledFile, SpoolWriter
from shared.models import Batch, BatchDocument, BlobPurge, Document, User
from shared.providers.storage import BlobStoreUnavailable
from shared.providers.storage.local import LocalBlobStore
from testkit import documents as make
from tests import zips


class _FailingStore(LocalBlobStore):
    """The local store, failing its `fail_at`-th write as an unreachable Azure would."""

    def __init__(self, root: Path, fail_at: int | None) -> None:
        super().__init__(root)
        self.fail_at, self.writes = fail_at, 0

    def put_file(self, key: str, path: Path, **kwargs: object) -> None:  # type: ignore[override]
        self.writes += 1
        if self.writes == self.fail_at:
            raise BlobStoreUnavailable("the store went away")
        super().put_file(key, path, **kwargs)  # type: ignore[arg-type]


class _Published(list[TaskMessage]):
    """Where the jobs go after commit: kept, since no broker runs here."""

    def publish(self, messages: list[TaskMessage]) -> None:
        self.extend(messages)


def _spooled(tmp_path: Path, data: bytes) -> SpooledFile:
    writer = SpoolWriter(tmp_path / "incoming", len(data))
    writer.write(data)
    return writer.finish()


def _archive() -> bytes:
    return zips.archive(
        [(f"note-{n}.txt", make.txt(f"Note {n} of the batch {uuid.uuid4()}")) for n in range(3)]
        + [("../refused.txt", b"never read")]
    )


def _run(
    db_engine: Engine, tmp_path: Path, fail_at: int | None, charge: Callable[[int], None] | None = None
) -> tuple[uuid.UUID, Path, int]:
    """Make a batch as the API does; (the user, the blob root, the purge records before)."""
    factory = build_session_factory(db_engine)
    settings = Settings(
        app=AppSettings(WORKOPTI_DATA_DIR=tmp_path),
        db=DatabaseSettings(DATABASE_URL=str(db_engine.url)),
        storage=StorageSettings(LOCAL_STORAGE_DIR=tmp_path / "blobs"),
    )
    blobs = tmp_path / "blobs"
    intake = Intake(settings, _FailingStore(blobs, fail_at), factory)
    with session_scope(factory) as session:
        user = User(subject=f"batch-{uuid.uuid4().hex[:8]}")
        session.add(user)
        session.flush()
        user_id = user.id
        purges = session.scalar(select(func.count()).select_from(BlobPurge)) or 0
    upload = _spooled(tmp_path, _archive())
    with session_scope(factory, _Published()) as session:
        batches.create_batch(
            session, intake, user_id, upload, filename="notes.zip", pipeline=["extract"], charge=charge
        )
    return user_id, blobs, purges


def _state(db_engine: Engine, user_id: uuid.UUID) -> dict[str, int]:
    factory = build_session_factory(db_engine)
    with session_scope(factory) as session:
        count = lambda query: session.scalar(query) or 0  # noqa: E731
        return {
            "batches": count(select(func.count()).select_from(Batch).where(Batch.owner_id == user_id)),
            "documents": count(
                select(func.count()).select_from(Document).where(Document.owner_id == user_id)
            ),
            "links": count(
                select(func.count())
                .select_from(BatchDocument)
                .join(Batch, Batch.id == BatchDocument.batch_id)
                .where(Batch.owner_id == user_id)
            ),
            "purges": count(select(func.count()).select_from(BlobPurge)),
        }


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def cleanup(db_engine: Engine):
    made: list[uuid.UUID] = []
    yield made
    with session_scope(build_session_factory(db_engine)) as session:
        session.execute(delete(User).where(User.id.in_(made)))


def test_a_batch_commits_its_rows_and_blobs_and_no_guard(db_engine: Engine, tmp_path: Path, cleanup) -> None:
    user_id, blobs, purges = _run(db_engine, tmp_path, fail_at=None)
    cleanup.append(user_id)
    assert _state(db_engine, user_id) == {"batches": 1, "documents": 3, "links": 3, "purges": purges}
    stored = [p.relative_to(blobs).parts[0] for p in _files(blobs) if not p.name.endswith(".meta.json")]
    assert sorted(stored) == ["batches", "documents", "documents", "documents"]


@pytest.mark.parametrize("fail_at", [1, 3], ids=["the-archive", "the-second-entry"])
def test_blob_storage_failing_midway_leaves_nothing(
    db_engine: Engine, tmp_path: Path, cleanup, fail_at: int
) -> None:
    with pytest.raises(BlobStoreUnavailable):
        _run(db_engine, tmp_path, fail_at=fail_at)
    user_id = _last_user(db_engine)
    cleanup.append(user_id)
    state = _state(db_engine, user_id)
    assert (state["batches"], state["documents"], state["links"]) == (0, 0, 0)
    assert [p for p in _files(tmp_path / "blobs") if not p.name.endswith(".meta.json")] == []
    assert not _guards(db_engine)


def test_a_failure_after_documents_were_written_leaves_nothing(
    db_engine: Engine, tmp_path: Path, cleanup
) -> None:
    charged: list[int] = []

    def charge(size: int) -> None:
        charged.append(size)
        if len(charged) == 3:
            raise RuntimeError("the quota service broke")

    with pytest.raises(RuntimeError):
        _run(db_engine, tmp_path, fail_at=None, charge=charge)
    user_id = _last_user(db_engine)
    cleanup.append(user_id)
    state = _state(db_engine, user_id)
    assert (state["batches"], state["documents"], state["links"]) == (0, 0, 0)
    assert [p for p in _files(tmp_path / "blobs") if not p.name.endswith(".meta.json")] == []
    assert not _guards(db_engine)


def _last_user(db_engine: Engine) -> uuid.UUID:
    with session_scope(build_session_factory(db_engine)) as session:
        return session.scalars(
            select(User.id).where(User.subject.like("batch-%")).order_by(User.created_at.desc()).limit(1)
        ).one()


def _guards(db_engine: Engine) -> list[str]:
    """Purge records still waiting for blobs of a batch or its documents written in these tests."""
    with session_scope(build_session_factory(db_engine)) as session:
        return list(session.scalars(select(BlobPurge.prefix).where(BlobPurge.due_at > func.now())))
