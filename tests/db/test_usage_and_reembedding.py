"""Cost accounting across attempts, and queueing a library for a new embedding model."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.config import JobSettings
from shared.db.outbox import pending
from shared.jobs import dispatch, runs, service
from shared.jobs.errors import TransientJobError
from shared.models import Chunk, Document, EmbeddingModel, Job
from shared.pipeline.reembed import requeue_embeddings
from shared.usage import service as usage
from tests.db.conftest import make_document, make_user

SETTINGS = JobSettings(JOB_MAX_ATTEMPTS=3)
SPENT = [
    {
        "provider": "azure_openai",
        "model": "chat",
        "requests": 1,
        "input_tokens": 900,
        "output_tokens": 120,
        "pages": 0,
    }
]


def _pipeline(session: Session):
    owner = make_user(session)
    document = make_document(session, owner)
    jobs = {
        j.kind: j
        for j in runs.start_run(session, document.id, ["extract", "embed", "ai"], SETTINGS, reason="upload")
    }
    return owner, document, jobs


def test_every_attempt_is_charged_to_the_job_and_its_owner(session: Session) -> None:
    owner, _, jobs = _pipeline(session)
    service.complete(session, service.claim(session, jobs["extract"].id, "w", 60))
    ai = jobs["ai"].id
    first = service.claim(session, ai, "w", 60)
    service.fail(session, first, TransientJobError("provider_unavailable", "503"), SETTINGS, usage=SPENT)
    session.execute(update(Job).where(Job.id == ai).values(status="queued"))
    service.complete(session, service.claim(session, ai, "w", 60), SPENT)

    job_usage = session.scalar(select(Job.usage).where(Job.id == ai))
    assert job_usage == [
        {
            "provider": "azure_openai",
            "model": "chat",
            "requests": 2,
            "input_tokens": 1800,
            "output_tokens": 240,
            "pages": 0,
        }
    ]
    (row,) = usage.of_user(session, owner.id)
    assert row["kind"] == "ai" and row["input_tokens"] == 1800 and row["requests"] == 2
    assert usage.totals(session)  # what /health/metrics serves


def test_local_work_costs_nothing(session: Session) -> None:
    owner, _, jobs = _pipeline(session)
    service.complete(session, service.claim(session, jobs["extract"].id, "w", 60), [])
    assert session.scalar(select(Job.usage).where(Job.id == jobs["extract"].id)) == []
    assert usage.of_user(session, owner.id) == []


def test_usage_entries_merge_per_provider_and_model() -> None:
    merged = usage.merge(
        [{"provider": "a", "model": "m", "requests": 1, "input_tokens": 5}],
        [
            {"provider": "a", "model": "m", "requests": 2, "pages": 3},
            {"provider": "b", "model": "m", "requests": 1},
        ],
    )
    assert merged == [
        {"provider": "a", "model": "m", "requests": 3, "input_tokens": 5, "output_tokens": 0, "pages": 3},
        {"provider": "b", "model": "m", "requests": 1, "input_tokens": 0, "output_tokens": 0, "pages": 0},
    ]


def test_a_new_model_queues_every_document_without_its_vectors(session: Session) -> None:
    done = []
    for _ in range(3):
        _, document, jobs = _pipeline(session)
        for kind in ["extract", "embed", "ai"]:
            service.complete(session, service.claim(session, jobs[kind].id, "w", 60))
        done.append((document, jobs))
    _, busy, _ = _pipeline(session)  # still being processed: its own run embeds it
    session.add(EmbeddingModel(key="openai:new", provider="openai", name="new", dimensions=3))
    session.flush()
    first, first_jobs = done[0]
    session.add(
        Chunk(job_id=first_jobs["embed"].id, document_id=first.id, model_key="openai:new", chunk_no=0,
              page_start=1, page_end=1, text="x", token_count=1, embedding=[1, 0, 0])
    )  # fmt: skip
    session.flush()
    before = len(pending(session))

    queued = requeue_embeddings(session, "openai:new", SETTINGS)
    assert queued >= 2
    runs_of = {
        document.id: session.scalars(
            select(Job).where(Job.document_id == document.id, Job.kind == "embed").order_by(Job.created_at)
        ).all()
        for document, _ in done
    }
    assert len(runs_of[first.id]) == 1  # it already has the new vectors
    for document, jobs in done[1:]:
        old, new = runs_of[document.id]
        assert old.id == jobs["embed"].id and old.current  # keeps serving until the new run succeeds
        assert new.status == "queued" and not new.current and new.depends_on_id == jobs["extract"].id
        # Held, not published: the sweeper's dispatch publishes them with fair share.
        assert new.published_at is None
    assert session.scalar(select(func.count()).where(Job.document_id == busy.id)) == 3
    assert len(pending(session)) == before
    owner = session.scalar(select(Document.owner_id).where(Document.id == done[1][0].id))
    assert (owner, "embed") in dispatch.held_owners(session, 100)


def test_each_model_gets_its_own_vector_index(db_engine) -> None:
    from sqlalchemy import text as sql

    from shared.search.vector_index import HNSW_MAX_DIMENSIONS, ensure_index, index_name

    name = ensure_index(db_engine, "openai:text-embedding-3-small@512", 512)
    assert name == index_name("openai:text-embedding-3-small@512") and len(name) <= 63
    with db_engine.connect() as connection:
        definition = connection.execute(
            sql("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": name}
        ).scalar_one()
    assert "vector(512)" in definition and "openai:text-embedding-3-small@512" in definition
    assert ensure_index(db_engine, "openai:text-embedding-3-small@512", 512) == name  # idempotent
    assert ensure_index(db_engine, "openai:text-embedding-3-large", HNSW_MAX_DIMENSIONS + 1) is None
    with db_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sql(f'DROP INDEX "{name}"'))
