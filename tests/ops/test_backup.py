"""`workopti db-backup` and `db-restore` against the session's real database, through the real
command line: a deleted document comes back with its jobs, pages, vectors and file, and a restore
into a database that is not the configured one needs an explicit flag."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
WORKOPTI = str(Path(sys.executable).parent / "workopti")


def workopti(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WORKOPTI, *args], env=stack.env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def rows_of(engine: Engine, document_id: str) -> dict[str, Any]:
    """Everything the database holds about one document, in a comparable form."""
    with engine.connect() as conn:
        one = {"id": document_id}
        return {
            "document": conn.execute(
                text("SELECT filename, sha256, size_bytes, owner_id FROM documents WHERE id = :id"), one
            ).all(),
            "jobs": conn.execute(
                text("SELECT id, kind, status, attempts FROM jobs WHERE document_id = :id ORDER BY id"), one
            ).all(),
            "pages": conn.execute(
                text("SELECT page_no, text, source FROM pages WHERE document_id = :id ORDER BY page_no"), one
            ).all(),
            "chunks": conn.execute(
                text(
                    "SELECT model_key, text, embedding::text FROM chunks WHERE document_id = :id "
                    "ORDER BY model_key, id"
                ),
                one,
            ).all(),
        }


def search_hits(user: ApiUser, word: str) -> set[str]:
    found = user.http.get("/api/v1/search", params={"q": word})
    assert found.status_code == 200, found.text
    return {hit["document_id"] for hit in found.json()["items"]}


def test_a_backup_brings_back_a_deleted_document(
    stack: Stack, user: ApiUser, engine: Engine, tmp_path: Path
) -> None:
    word = f"zephyrine{uuid.uuid4().hex[:8]}"
    content = make.txt(
        f"The lighthouse keeper wrote about the {word} storm in the harbour log. "
        "Ships waited outside the breakwater until the tide turned and the wind fell."
    )
    created = user.upload("keeper.txt", content)
    assert created.status_code == 202, created.text
    document_id = created.json()["id"]
    assert user.wait_for(document_id)["status"] == "ready"
    before = rows_of(engine, document_id)
    assert before["document"] and before["pages"] and before["chunks"]
    assert all(status == "succeeded" for _, _, status, _ in before["jobs"])
    assert document_id in search_hits(user, word)

    dump = tmp_path / "nightly.dump"
    backed_up = workopti(stack, "db-backup", "--file", str(dump))
    assert backed_up.returncode == 0, backed_up.stderr
    assert dump.stat().st_size > 0 and dump.stat().st_mode & 0o077 == 0
    blobs = tmp_path / "nightly.blobs.tar"
    with tarfile.open(blobs) as tar:
        archived = [m for m in tar.getmembers() if m.isfile() and f"documents/{document_id}/" in m.name]
        assert any(tar.extractfile(m).read() == content for m in archived)  # type: ignore[union-attr]

    assert user.http.delete(f"/api/v1/documents/{document_id}").status_code == 204
    assert user.http.get(f"/api/v1/documents/{document_id}").status_code == 404
    assert rows_of(engine, document_id) == {"document": [], "jobs": [], "pages": [], "chunks": []}
    blob_dir = stack.data_dir / "blobs" / "documents" / document_id
    deadline = time.monotonic() + 60
    while blob_dir.exists():  # the sweeper purges the files shortly after the delete
        assert time.monotonic() < deadline, f"{blob_dir} was never purged"
        time.sleep(0.5)
    assert document_id not in search_hits(user, word)

    restored = workopti(stack, "db-restore", str(dump), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert rows_of(engine, document_id) == before
    document = user.http.get(f"/api/v1/documents/{document_id}")
    assert document.status_code == 200 and document.json()["status"] == "ready"
    original = user.http.get(f"/api/v1/documents/{document_id}/file")
    assert original.status_code == 200 and original.content == content
    assert document_id in search_hits(user, word)


def test_restoring_into_another_database_needs_the_flag(stack: Stack, engine: Engine, tmp_path: Path) -> None:
    dump = tmp_path / "drill.dump"
    assert workopti(stack, "db-backup", "--file", str(dump), "--no-blobs").returncode == 0
    assert not (tmp_path / "drill.blobs.tar").exists()
    with engine.connect() as conn:
        documents = conn.execute(text("SELECT count(*) FROM documents")).scalar_one()
        vectors = conn.execute(text("SELECT count(*) FROM chunks")).scalar_one()
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    live = psycopg.conninfo.conninfo_to_dict(stack.env["DATABASE_URL"])
    admin = psycopg.conninfo.make_conninfo(**(live | {"dbname": "postgres"}))
    drill = f"workopti_drill_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{drill}"')
    try:
        target = stack.env["DATABASE_URL"].replace("/workopti?", f"/{drill}?")
        refused = workopti(stack, "db-restore", str(dump), "--target", target, "--yes")
        assert refused.returncode == 2
        assert "--allow-other-database" in refused.stderr + refused.stdout
        drill_info = psycopg.conninfo.make_conninfo(**(live | {"dbname": drill}))
        with psycopg.connect(drill_info) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
            assert tables == (0,)

        allowed = workopti(
            stack, "db-restore", str(dump), "--target", target, "--allow-other-database", "--yes"
        )
        assert allowed.returncode == 0, allowed.stderr
        with psycopg.connect(drill_info) as conn:
            assert conn.execute("SELECT count(*) FROM documents").fetchone() == (documents,)
            assert conn.execute("SELECT count(*) FROM chunks WHERE embedding IS NOT NULL").fetchone() == (
                vectors,
            )
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (revision,)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{drill}" WITH (FORCE)')
