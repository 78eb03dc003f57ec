"""Search at scale: keyword, semantic and hybrid latency through the product's own `search()`, and the
recall of semantic search against an exact search, for callers who can read 1 %, 10 % and 100 % of a
large corpus, measured in this run on a fresh embedded PostgreSQL (pgvector 0.6).

**The corpus.** `--chunks N` chunks (100,000 by default) in documents of ten pages, one chunk per page,
each made current by a succeeded extract and embed job as the pipeline leaves them. The text is prose made
from the repository's own sentence generators (the asking set's facts and filler, the embedding
benchmark's paragraphs, the extraction set's goods, services and customers): a few thousand base
paragraphs, each chunk two of them with its page number. Only the base paragraphs go through the real
embedding model (all-MiniLM-L6-v2, 384 dimensions); a chunk's vector is its two paragraphs' vectors mixed
3:1 plus Gaussian noise, normalised, so the corpus takes minutes to build and no two vectors are equal.
The schema is the migrations' (the product's HNSW index and full-text index); the HNSW index is dropped
for the bulk load (COPY) and built again with the same definition, which is what the build-time row times.

**Who sees what.** One caller owns 1 % of the documents; another owns 9 % and was granted another 1 %;
forty other users own the rest. The 100 % rows hand every document to a third caller afterwards.

**How to read the tables.** Latencies are milliseconds per `search()` call with limit 10 (a session from
the product's engine per call, as the API does), over `--queries` queries after a warm-up; the query's
embedding is computed once beforehand and its cost shown on its own row, since it does not depend on the
corpus. *exact* is the baseline: the caller's visible chunks ordered by distance without the index (the
ground truth of *recall@10*, the share of the exact top-10 pages that semantic search returned).

    python -m bench.search [--chunks 100000] [--queries 60]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import struct
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bench.embeddings import PARAGRAPHS
from bench.report import print_table
from cli.stack.postgres import DATABASE_NAME, EmbeddedPostgres
from cli.stack.processes import Supervisor
from cli.stack.redis import free_port
from shared.config import Settings
from shared.db import build_engine, build_session_factory
from shared.documents.access import VISIBLE_SQL
from shared.migrations.runner import upgrade
from shared.providers.embeddings import EmbeddingProvider, get_embedding_provider
from shared.query_text import clean_query
from shared.search.service import EXACT_SCAN_MAX_CHUNKS, Hit, SearchMode, _Scope, _VectorSearch, search
from shared.search.vector_index import index_name
from testkit.documents import LOREM
from testkit.extraction_set import CUSTOMERS, GOODS, SERVICES
from testkit.questions import FILLER, KINDS, NAMES, PEOPLE, PLACES

MODEL_KEY = "local:all-MiniLM-L6-v2"
DIMENSIONS = 384
PAGES_PER_DOCUMENT = 10
BASE_PARAGRAPHS = 3000
NOISE = 0.015  # per dimension: a noise vector of norm ~0.3 against unit vectors
OTHER_OWNERS = 40
LIMIT = 10
T = TypeVar("T")
WARM_UP = 10


# ---------------------------------------------------------------------------------------------- text


def _sentences(rng: random.Random) -> Iterator[str]:
    """An endless stream of varied sentences from the repository's generators."""
    prose = [s.strip().rstrip(".") + "." for p in (LOREM, *PARAGRAPHS) for s in p.split(". ") if s.strip()]
    months = ("January", "March", "May", "July", "September", "November")
    while True:
        choice = rng.random()
        if choice < 0.35:
            fact, _question = rng.choice(KINDS)
            yield fact.format(
                name=rng.choice(NAMES), n=rng.randint(12, 900), a=rng.choice(PLACES), b=rng.choice(PLACES),
                h=rng.randint(6, 11), person=rng.choice(PEOPLE), year=rng.randint(1990, 2025),
            )  # fmt: skip
        elif choice < 0.6:
            yield rng.choice(FILLER)
        elif choice < 0.75:
            yield rng.choice(prose)
        elif choice < 0.88:
            yield (
                f"The order from {rng.choice(CUSTOMERS)} included {rng.randint(2, 60)} units of "
                f"{rng.choice(GOODS).lower()}, delivered in {rng.choice(months)}."
            )
        else:
            yield f"{rng.choice(SERVICES)} for {rng.choice(CUSTOMERS)} was invoiced in {rng.choice(months)}."


def base_paragraphs(count: int, rng: random.Random) -> list[str]:
    stream = _sentences(rng)
    return [" ".join(next(stream) for _ in range(rng.randint(2, 4))) for _ in range(count)]


def queries(count: int, rng: random.Random) -> list[str]:
    """Questions about the facts (as a user asks them) and short keyword queries, half and half."""
    words = [
        "ferry passengers", "warehouse pallets frozen fish", "library Sunday", "branch office manager",
        "bridge metres", "project budget", "parking spaces entrance", "fire drill", "travel expenses",
        "loyalty programme churn", "forklift brakes", "delivery note damage", "quarterly revenue northern",
        "heating east wing", "booking system training", "printer toner supply room",
    ]  # fmt: skip
    out = []
    for i in range(count):
        if i % 2 == 0:
            _fact, question = KINDS[(i // 2) % len(KINDS)]
            out.append(question.format(name=rng.choice(NAMES)))
        else:
            out.append(f"{words[(i // 2) % len(words)]} {rng.choice(NAMES) if i % 4 == 1 else ''}".strip())
    return out


# ------------------------------------------------------------------------------------------- database


@contextmanager
def embedded_postgres() -> Iterator[EmbeddedPostgres]:
    """A throwaway embedded PostgreSQL with the product's settings (fsync off: nothing here is kept)."""
    data_dir = Path(tempfile.mkdtemp(prefix="workopti-bench-search-"))
    data_dir.chmod(0o755)
    server = EmbeddedPostgres(data_dir, port=free_port(), fast_unsafe=True)
    server.prepare()
    supervisor = Supervisor(data_dir / "logs")
    try:
        supervisor.start(server.spec())
        server.wait_ready()
        server.ensure_database()
        yield server
    finally:
        supervisor.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _copy_binary(conn: psycopg.Connection[Any], statement: str, rows: Iterator[Sequence[bytes]]) -> None:
    """COPY ... (FORMAT BINARY) from rows of already-encoded fields: fast enough for a million vectors."""
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        buffer = bytearray()
        for row in rows:
            buffer += struct.pack(">h", len(row))
            for field in row:
                buffer += struct.pack(">i", len(field)) + field
            if len(buffer) > 1 << 20:
                copy.write(bytes(buffer))
                buffer.clear()
        buffer += struct.pack(">h", -1)
        copy.write(bytes(buffer))


def _int4(value: int) -> bytes:
    return struct.pack(">i", value)


@dataclass
class Corpus:
    callers: dict[str, uuid.UUID]  # share label -> user id
    everything: uuid.UUID
    chunks: int
    documents: int
    load_seconds: float
    index_seconds: float
    index_bytes: int
    gin_bytes: int
    table_bytes: int


def build_corpus(conninfo: str, chunks: int, vectors: np.ndarray, paragraphs: list[str], seed: int) -> Corpus:
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    documents = max(1, chunks // PAGES_PER_DOCUMENT)
    users = {label: uuid.uuid4() for label in ("1 %", "10 %", "100 %")}
    others = [uuid.uuid4() for _ in range(OTHER_OWNERS)]
    document_ids = [uuid.uuid4() for _ in range(documents)]
    order = list(range(documents))
    rng.shuffle(order)
    one, ten = max(1, documents // 100), max(1, documents * 9 // 100)
    owner = {}
    granted = []
    for rank, index in enumerate(order):
        if rank < one:
            owner[index] = users["1 %"]
        elif rank < one + ten:
            owner[index] = users["10 %"]
        else:
            owner[index] = others[rank % OTHER_OWNERS]
            if rank < 2 * one + ten:
                granted.append(index)  # the 10 % caller's other 1 %, read through grants

    hnsw = index_name(MODEL_KEY)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        definition = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", (hnsw,)).fetchone()
        assert definition is not None, f"the migrations made no index {hnsw}"
        conn.execute(f'DROP INDEX "{hnsw}"')
        started = time.perf_counter()
        with conn.transaction():
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO users (id, subject) VALUES (%s, %s)",
                    [(uid, f"bench-{uid.hex[:8]}") for uid in [*users.values(), *others]],
                )
            extract_jobs = [uuid.uuid4() for _ in range(documents)]
            embed_jobs = [uuid.uuid4() for _ in range(documents)]
            runs = [uuid.uuid4() for _ in range(documents)]
            with conn.cursor() as cursor:
                with cursor.copy(
                    "COPY documents (id, owner_id, filename, content_type, size_bytes, sha256, blob_key, "
                    "status, page_count, pipeline, run_id) FROM STDIN"
                ) as copy:
                    for i, doc in enumerate(document_ids):
                        copy.write_row(
                            (doc, owner[i], f"report-{i:07d}.pdf", "application/pdf", 50_000,
                             uuid.uuid4().hex * 2, f"documents/{doc}/original", "ready", PAGES_PER_DOCUMENT,
                             ["extract", "embed"], runs[i])
                        )  # fmt: skip
                with cursor.copy(
                    "COPY jobs (id, document_id, run_id, kind, queue, status, current, max_attempts, "
                    "progress, depends_on_id) FROM STDIN"
                ) as copy:
                    for i, doc in enumerate(document_ids):
                        copy.write_row((extract_jobs[i], doc, runs[i], "extract", "extract", "succeeded", True,
                                        3, 1.0, None))  # fmt: skip
                        copy.write_row((embed_jobs[i], doc, runs[i], "embed", "embed", "succeeded", True, 3,
                                        1.0, extract_jobs[i]))  # fmt: skip
                with cursor.copy("COPY document_grants (document_id, user_id, role) FROM STDIN") as copy:
                    for i in granted:
                        copy.write_row((document_ids[i], users["10 %"], "viewer"))

            bases = len(paragraphs)
            first = noise.integers(0, bases, size=chunks)
            second = noise.integers(0, bases, size=chunks)
            texts = [
                f"Page {n % PAGES_PER_DOCUMENT + 1}. {paragraphs[first[n]]} {paragraphs[second[n]]}"
                for n in range(chunks)
            ]
            _copy_binary(
                conn,
                "COPY pages (job_id, document_id, page_no, text, source) FROM STDIN (FORMAT BINARY)",
                (
                    (extract_jobs[n // PAGES_PER_DOCUMENT].bytes, document_ids[n // PAGES_PER_DOCUMENT].bytes,
                     _int4(n % PAGES_PER_DOCUMENT + 1), texts[n].encode(), b"text_layer")
                    for n in range(chunks)
                ),
            )  # fmt: skip
            vector_header = struct.pack(">HH", DIMENSIONS, 0)

            def chunk_rows() -> Iterator[Sequence[bytes]]:
                step = 50_000
                model = MODEL_KEY.encode()
                for start in range(0, chunks, step):
                    stop = min(chunks, start + step)
                    mixed = 0.75 * vectors[first[start:stop]] + 0.25 * vectors[second[start:stop]]
                    mixed += noise.normal(0, NOISE, size=mixed.shape)
                    mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
                    encoded = mixed.astype(">f4")
                    for n in range(start, stop):
                        page = n % PAGES_PER_DOCUMENT + 1
                        d = n // PAGES_PER_DOCUMENT
                        yield (
                            embed_jobs[d].bytes, document_ids[d].bytes, model, _int4(page - 1), _int4(page),
                            _int4(page), texts[n].encode(), vector_header + encoded[n - start].tobytes(),
                            _int4(len(texts[n]) // 5),
                        )  # fmt: skip

            _copy_binary(
                conn,
                "COPY chunks (job_id, document_id, model_key, chunk_no, page_start, page_end, text, embedding, "
                "token_count) FROM STDIN (FORMAT BINARY)",
                chunk_rows(),
            )
        load_seconds = time.perf_counter() - started
        # As much memory as a maintenance window would give it, so the graph is built in memory.
        conn.execute("SET maintenance_work_mem = '2GB'")
        started = time.perf_counter()
        conn.execute(definition[0])
        index_seconds = time.perf_counter() - started
        conn.execute("VACUUM ANALYZE")
        sizes = conn.execute(
            "SELECT pg_relation_size(%s), pg_relation_size('ix_pages_tsv'), pg_table_size('chunks')", (hnsw,)
        ).fetchone()
        assert sizes is not None
    return Corpus(
        callers=users, everything=users["100 %"], chunks=chunks, documents=documents,
        load_seconds=load_seconds, index_seconds=index_seconds, index_bytes=sizes[0], gin_bytes=sizes[1],
        table_bytes=sizes[2],
    )  # fmt: skip


def give_everything_to(conninfo: str, user_id: uuid.UUID) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("UPDATE documents SET owner_id = %s", (user_id,))
        conn.execute("VACUUM ANALYZE documents")


# -------------------------------------------------------------------------------------------- measure


class PrecomputedQueries:
    """The real provider, with each query embedded once up front: the model's time per query does not
    depend on the corpus, so it is measured on its own and kept out of the search latencies."""

    def __init__(self, real: EmbeddingProvider, texts: Sequence[str]) -> None:
        self.real = real
        self.key, self.provider, self.model = real.key, real.provider, real.model
        self.max_input_tokens = real.max_input_tokens
        self.seconds: list[float] = []
        self.vectors: dict[str, list[float]] = {}
        for query in map(clean_query, texts):  # as search() cleans it before embedding
            started = time.perf_counter()
            self.vectors[query] = real.embed_query(query)
            self.seconds.append(time.perf_counter() - started)

    @property
    def dimensions(self) -> int:
        return self.real.dimensions

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.real.token_spans(text)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.real.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.vectors[text]


def exact_top_pages(session: Session, user_id: uuid.UUID, vector: list[float]) -> list[tuple[uuid.UUID, int]]:
    """The caller's best pages by exact distance: every visible current chunk, no index."""
    literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
    distance = f"(c.embedding::vector({DIMENSIONS}) <=> CAST(:vector AS vector({DIMENSIONS})))"
    rows = session.execute(
        text(
            f"""
            WITH mine AS MATERIALIZED (
                SELECT c.document_id, c.page_start, c.embedding
                FROM chunks c
                JOIN jobs j ON j.id = c.job_id AND j.current
                JOIN documents d ON d.id = c.document_id
                WHERE c.model_key = :model AND {VISIBLE_SQL}
            )
            SELECT c.document_id, c.page_start FROM mine c ORDER BY {distance} LIMIT :depth
            """
        ),
        {"vector": literal, "model": MODEL_KEY, "user_id": user_id, "depth": LIMIT * 4},
    ).all()
    pages: list[tuple[uuid.UUID, int]] = []
    for row in rows:
        if (row.document_id, row.page_start) not in pages:
            pages.append((row.document_id, row.page_start))
    return pages[:LIMIT]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(run: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


SWEEP_EF = (40, 100, 200, 400, 1000)


def sweep(
    factory: sessionmaker[Session], user_id: uuid.UUID, texts: list[str], provider: PrecomputedQueries
) -> list[list[object]]:
    """The parts the product chooses between, each alone: the bounded count, the exact scan, and a
    filtered HNSW pass at each ef_search (rows it leaves of the 40 asked for, how often too few, and the
    recall@10 of what it returned)."""
    depth = LIMIT * 4
    scope = _Scope(user_id, None)
    with factory() as session:
        truths = {
            query: exact_top_pages(session, user_id, provider.vectors[clean_query(query)]) for query in texts
        }

    def run_all(part: Callable[[_VectorSearch], T]) -> list[tuple[float, T]]:
        """`part` for every query after a warm-up, each in a session of its own: (ms, result) pairs."""
        results = []
        for query in [*texts[:WARM_UP], *texts]:
            literal = "[" + ",".join(f"{x:.7g}" for x in provider.vectors[clean_query(query)]) + "]"
            with factory() as session:
                search = _VectorSearch(session, scope, literal, DIMENSIONS, MODEL_KEY, depth)
                results.append(_timed(lambda search=search: part(search)))
        return results[WARM_UP:]

    def latency(results: Sequence[tuple[float, object]]) -> list[object]:
        timings = [ms for ms, _ in results]
        return [_percentile(timings, 0.5), _percentile(timings, 0.95)]

    out: list[list[object]] = [
        [f"count visible chunks (up to {EXACT_SCAN_MAX_CHUNKS:,})",
         *latency(run_all(lambda s: s.visible_chunks(bound=EXACT_SCAN_MAX_CHUNKS))), "—", "—", "—"],
        ["exact scan", *latency(run_all(lambda s: s.exact())), "—", "—", "1.000"],
    ]  # fmt: skip
    for ef in SWEEP_EF:
        results = run_all(lambda s, ef=ef: s.approximate(ef))
        recalls = []
        for query, (_, rows) in zip(texts, results, strict=True):
            pages: list[tuple[uuid.UUID, int]] = []
            for row in rows:
                if (row.document_id, row.page_no) not in pages:
                    pages.append((row.document_id, row.page_no))
            truth = truths[query]
            recalls.append(len(set(pages[:LIMIT]) & set(truth)) / len(truth) if truth else 1.0)
        returned = [len(rows) for _, rows in results]
        out.append([
            f"HNSW + filter, ef_search {ef}", *latency(results), statistics.fmean(returned),
            f"{sum(n < depth for n in returned) / len(returned):.0%}", f"{statistics.fmean(recalls):.3f}",
        ])  # fmt: skip
    return out


def measure_share(
    factory: sessionmaker[Session], user_id: uuid.UUID, texts: list[str], provider: PrecomputedQueries
) -> tuple[int, dict[str, list[float]], float]:
    """Latencies (ms) per mode and the exact baseline, and the mean recall@10 of semantic search."""
    with factory() as session:
        visible = session.execute(
            text(
                f"SELECT count(*) FROM chunks c JOIN jobs j ON j.id = c.job_id AND j.current "
                f"JOIN documents d ON d.id = c.document_id WHERE c.model_key = :model AND {VISIBLE_SQL}"
            ),
            {"model": MODEL_KEY, "user_id": user_id},
        ).scalar_one()
    latencies: dict[str, list[float]] = {}
    recalls = []
    for mode in (SearchMode.KEYWORD, SearchMode.SEMANTIC, SearchMode.HYBRID):

        def once(query: str, mode: SearchMode = mode) -> list[Hit]:
            with factory() as session:
                return search(session, user_id, query, limit=LIMIT, mode=mode, embeddings=lambda: provider)

        for query in texts[:WARM_UP]:
            once(query)
        timings = []
        for query in texts:
            ms, hits = _timed(lambda query=query: once(query))
            timings.append(ms)
            if mode is SearchMode.SEMANTIC:
                with factory() as session:
                    truth = exact_top_pages(session, user_id, provider.vectors[clean_query(query)])
                found = {(h.document_id, h.page_no) for h in hits}
                recalls.append(len(found & set(truth)) / len(truth) if truth else 1.0)
        latencies[mode.value] = timings

    def exact(query: str) -> object:
        with factory() as session:
            return exact_top_pages(session, user_id, provider.vectors[clean_query(query)])

    for query in texts[:WARM_UP]:
        exact(query)
    latencies["exact (no index)"] = [_timed(lambda query=query: exact(query))[0] for query in texts]
    return visible, latencies, statistics.fmean(recalls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--bases", type=int, default=BASE_PARAGRAPHS, help="paragraphs through the model")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    settings_probe = Settings()
    provider = get_embedding_provider(settings_probe)
    assert provider.key == MODEL_KEY, f"this benchmark needs the local model, not {provider.key}"
    paragraphs = base_paragraphs(args.bases, rng)
    started = time.perf_counter()
    vectors = np.asarray(provider.embed(paragraphs), dtype=np.float32)
    embed_seconds = time.perf_counter() - started
    texts = queries(args.queries, rng)
    cached = PrecomputedQueries(provider, texts)

    with embedded_postgres() as server:
        url = server.url
        upgrade(url)
        conninfo = f"host={server.socket_dir} port={server.port} user=postgres dbname={DATABASE_NAME}"
        print(f"building {args.chunks:,} chunks ...", flush=True)
        corpus = build_corpus(conninfo, args.chunks, vectors, paragraphs, args.seed)
        os.environ["DATABASE_URL"] = url
        engine = build_engine(Settings())
        factory = build_session_factory(engine)

        rows: list[list[object]] = []
        sweep_rows: list[list[object]] = []
        for label in ("1 %", "10 %", "100 %"):
            if label == "100 %":
                give_everything_to(conninfo, corpus.everything)
            print(f"measuring the {label} caller ...", flush=True)
            visible, latencies, recall = measure_share(factory, corpus.callers[label], texts, cached)
            for row in sweep(factory, corpus.callers[label], texts, cached):
                sweep_rows.append([label, visible, *row])
            for name, timings in latencies.items():
                rows.append([
                    label, visible, name, _percentile(timings, 0.5), _percentile(timings, 0.95),
                    f"{recall:.3f}" if name == "semantic" else "—",
                ])  # fmt: skip
        engine.dispose()

    mb = 1024 * 1024
    print_table(
        f"Corpus: {corpus.chunks:,} chunks in {corpus.documents:,} documents, PostgreSQL 16 + pgvector 0.6",
        ["step", "value"],
        [
            [f"embed {len(paragraphs):,} base paragraphs (s)", embed_seconds],
            ["load users, documents, jobs, pages, chunks by COPY (s)", corpus.load_seconds],
            ["build the HNSW index (s, maintenance_work_mem 2GB)", corpus.index_seconds],
            ["HNSW index size (MB)", corpus.index_bytes / mb],
            ["full-text GIN index size (MB)", corpus.gin_bytes / mb],
            ["chunks table with TOAST (MB)", corpus.table_bytes / mb],
            [
                "embed one query, p50 (ms; not in the latencies below)",
                _percentile(cached.seconds, 0.5) * 1000,
            ],
        ],
    )
    print_table(
        f"Search latency (ms, limit {LIMIT}, {len(texts)} queries) and semantic recall@10 against exact search",
        ["caller sees", "visible chunks", "path", "p50 ms", "p95 ms", "recall@10"],
        rows,
    )
    print_table(
        "The parts alone (ms): what the strategy in shared/search/service.py chooses between",
        ["caller sees", "visible chunks", "part", "p50 ms", "p95 ms", "rows of 40", "too few", "recall@10"],
        sweep_rows,
    )


if __name__ == "__main__":
    main()
