"""Semantic search finds a caller's truly nearest pages however small their share of the corpus: the
approximate index is searched across everyone's chunks before visibility filters them (pgvector 0.6 has
no iterative scans), so the search must size itself to the caller rather than lose what it filtered out."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from shared.models import Chunk, Job
from shared.search import service
from shared.search.service import SearchMode, search
from tests.db.conftest import make_document, make_user

MODEL_KEY = "local:all-MiniLM-L6-v2"  # the migrations' model, so its HNSW index is the one searched
DIMENSIONS = 384
DOCUMENTS = 400
PAGES = 10


class _QueryVector:
    """An embedding provider that embeds every query as one given vector."""

    key = MODEL_KEY
    provider = "local"
    model = "all-MiniLM-L6-v2"
    max_input_tokens = 256
    dimensions = DIMENSIONS

    def __init__(self, vector: np.ndarray) -> None:
        self.vector = [float(x) for x in vector]

    def embed_query(self, text: str) -> list[float]:
        return self.vector


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _corpus(
    session: Session, caller_documents: int, seed: int
) -> tuple[uuid.UUID, np.ndarray, list[tuple[uuid.UUID, int]]]:
    """4,000 chunks in clusters (as real text embeds), one per page, in 400 documents of which the caller
    owns `caller_documents`; another user owns the rest. Returns the caller, a query vector and the
    caller's ten nearest pages to it by exact distance."""
    rng = np.random.default_rng(seed)
    centres = _unit(rng.normal(size=(40, DIMENSIONS)))
    vectors = _unit(
        centres[rng.integers(0, 40, DOCUMENTS * PAGES)] + rng.normal(0, 0.04, (DOCUMENTS * PAGES, DIMENSIONS))
    )
    caller, other = make_user(session), make_user(session)
    owned = set(rng.choice(DOCUMENTS, size=caller_documents, replace=False).tolist())
    rows, where = [], {}
    for d in range(DOCUMENTS):
        document = make_document(
            session, caller if d in owned else other, filename=f"{d}.pdf", status="ready"
        )
        job = Job(document_id=document.id, run_id=uuid.uuid4(), kind="embed", queue="embed", status="succeeded",
                  current=True, max_attempts=1)  # fmt: skip
        session.add(job)
        session.flush()
        for page in range(1, PAGES + 1):
            n = d * PAGES + page - 1
            rows.append(
                {"job_id": job.id, "document_id": document.id, "model_key": MODEL_KEY, "chunk_no": page - 1,
                 "page_start": page, "page_end": page, "text": f"chunk {n}", "token_count": 2,
                 "embedding": vectors[n]}
            )  # fmt: skip
            where[n] = (document.id, page, d in owned)
    session.execute(insert(Chunk), rows)
    # As autovacuum would have: the search reads the index's size from the statistics.
    session.execute(text("ANALYZE chunks"))
    query = _unit(centres[0] + rng.normal(0, 0.04, DIMENSIONS))
    distances = 1 - vectors @ query
    nearest = [where[n][:2] for n in np.argsort(distances) if where[n][2]][:10]
    return caller.id, query, nearest


def _semantic(session: Session, user_id: uuid.UUID, query: np.ndarray) -> list[tuple[uuid.UUID, int]]:
    provider = _QueryVector(query)
    hits = search(
        session, user_id, "anything", limit=10, mode=SearchMode.SEMANTIC, embeddings=lambda: provider
    )
    return [(hit.document_id, hit.page_no) for hit in hits]


def test_a_caller_owning_one_percent_gets_the_exact_nearest_pages(session: Session) -> None:
    caller, query, nearest = _corpus(session, caller_documents=4, seed=1)

    assert _semantic(session, caller, query) == nearest


def test_a_caller_above_the_exact_scan_size_gets_the_exact_nearest_pages_from_the_index(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Below the real threshold this caller would be scanned exactly; lowered, the index is searched
    # with ef_search raised for a caller who can read a fifth of the chunks.
    monkeypatch.setattr(service, "EXACT_SCAN_MAX_CHUNKS", 100)
    passes: list[int | str] = []  # each pass over the chunks: an HNSW pass's ef_search, or "exact"
    approximate, exact = service._VectorSearch.approximate, service._VectorSearch.exact

    def approximate_pass(self: service._VectorSearch, ef_search: int) -> list:
        passes.append(ef_search)
        return approximate(self, ef_search)

    def exact_pass(self: service._VectorSearch) -> list:
        passes.append("exact")
        return exact(self)

    monkeypatch.setattr(service._VectorSearch, "approximate", approximate_pass)
    monkeypatch.setattr(service._VectorSearch, "exact", exact_pass)
    caller, query, nearest = _corpus(session, caller_documents=80, seed=2)

    assert _semantic(session, caller, query) == nearest
    probe, *_, last = passes
    assert isinstance(probe, int) and isinstance(last, int) and last > probe, passes
