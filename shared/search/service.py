"""Search across what a user may read: pgvector similarity over chunks, PostgreSQL full-text over pages,
fused with reciprocal rank fusion. A hit is a page of a document. Only the outputs a document shows are
searched (those of its `current` jobs), never a run in progress or one that failed."""

from __future__ import annotations

import enum
import logging
import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from shared.documents.access import VISIBLE_SQL
from shared.errors import Invalid
from shared.providers.embeddings import EmbeddingProvider
from shared.query_text import clean_query
from shared.search.vector_index import index_name

log = logging.getLogger(__name__)

RRF_K = 60  # the constant from Cormack et al.; damps the weight of the very first ranks
_MARK_START, _MARK_END = "\u0002", "\u0003"  # never in stored text, so offsets are unambiguous
SNIPPET_CHARS = 240
_WORDS = re.compile(r"[^\W_]+")


class SearchMode(enum.StrEnum):
    HYBRID = "hybrid"
    SEMANTIC = "semantic"
    KEYWORD = "keyword"


@dataclass
class Hit:
    document_id: uuid.UUID
    filename: str
    page_no: int
    score: float
    snippet: str = ""
    highlights: list[tuple[int, int]] = field(default_factory=list)
    matched_by: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Ranked:
    document_id: uuid.UUID
    filename: str
    page_no: int
    score: float
    text: str | None = None


def search(
    session: Session,
    user_id: uuid.UUID,
    query: str,
    *,
    limit: int,
    mode: SearchMode,
    embeddings: Callable[[], EmbeddingProvider],
    within: Sequence[uuid.UUID] | None = None,
    any_word: bool = False,
) -> list[Hit]:
    """The best pages for `query`. `within` limits the search to those documents (which the caller
    must still be able to read); `any_word` lets a keyword match any word of the query rather than all
    of them, for questions in plain language."""
    query = clean_query(query)
    if not query:
        raise Invalid("The query is empty.", code="empty_query")
    if len(query) > 1000:
        raise Invalid("The query is longer than 1000 characters.", code="query_too_long")
    depth = max(limit * 4, 40)
    scope = _Scope(user_id, list(within) if within is not None else None)
    keyword = (
        _keyword(session, scope, _any_word(query) if any_word else query, depth)
        if mode is not SearchMode.SEMANTIC
        else []
    )
    semantic = _semantic(session, scope, query, depth, embeddings()) if mode is not SearchMode.KEYWORD else []

    if mode is SearchMode.KEYWORD:
        hits = [_hit(r, r.score, ["keyword"]) for r in keyword[:limit]]
    elif mode is SearchMode.SEMANTIC:
        hits = [_hit(r, r.score, ["semantic"]) for r in _best_per_page(semantic)[:limit]]
    else:
        hits = _fuse(keyword, _best_per_page(semantic))[:limit]
    _add_snippets(session, query, hits, {(r.document_id, r.page_no): r.text for r in semantic if r.text})
    return hits


def _hit(ranked: _Ranked, score: float, matched_by: list[str]) -> Hit:
    return Hit(ranked.document_id, ranked.filename, ranked.page_no, round(score, 6), matched_by=matched_by)


@dataclass(frozen=True)
class _Scope:
    """Whose documents, and which of them: the visibility rule always applies."""

    user_id: uuid.UUID
    document_ids: list[uuid.UUID] | None

    @property
    def sql(self) -> str:
        if self.document_ids is None:
            return VISIBLE_SQL
        return f"{VISIBLE_SQL} AND d.id = ANY(CAST(:within AS uuid[]))"

    @property
    def documents_sql(self) -> str:
        """The visible documents (id, filename), found through the owner and grant indexes: the
        owned-or-granted subquery only lets the planner start from the caller's rows instead of scanning
        every document; the rule itself is still `sql`."""
        return f"""
            SELECT d.id, d.filename FROM documents d
            WHERE d.id IN (SELECT id FROM documents WHERE owner_id = :user_id
                           UNION ALL SELECT document_id FROM document_grants WHERE user_id = :user_id)
              AND {self.sql}
        """

    @property
    def params(self) -> dict[str, object]:
        if self.document_ids is None:
            return {"user_id": self.user_id}
        return {"user_id": self.user_id, "within": self.document_ids}


def _any_word(query: str) -> str:
    """The query's words joined by `or`, in websearch_to_tsquery's syntax."""
    words = [word for word in _WORDS.findall(query) if word.lower() != "or"]
    return " or ".join(words) if words else query


def _keyword(session: Session, scope: _Scope, query: str, depth: int) -> list[_Ranked]:
    rows = session.execute(
        text(
            f"""
            SELECT p.document_id, d.filename, p.page_no, ts_rank_cd(p.tsv, q, 32) AS rank
            FROM pages p
            JOIN jobs j ON j.id = p.job_id AND j.current
            JOIN documents d ON d.id = p.document_id,
                 websearch_to_tsquery('english', :query) AS q
            WHERE {scope.sql} AND p.tsv @@ q
            ORDER BY rank DESC, p.document_id, p.page_no
            LIMIT :depth
            """
        ),
        {"query": query, "depth": depth, **scope.params},
    ).all()
    return [_Ranked(r.document_id, r.filename, r.page_no, float(r.rank)) for r in rows]


# Semantic search on pgvector 0.6, which has no iterative index scans: an HNSW scan yields at most
# `hnsw.ef_search` candidates nearest the query across *every* user's chunks, and only then does the
# visibility filter run, so a caller who can read a share s of the model's chunks keeps about
# s * ef_search of them. Asking for fewer than we need sends the search to the exact fallback (correct,
# but a scan of all the caller's chunks); asking the index for a fixed few, as a caller owning little
# would need, would lose recall. So the search is sized to the caller (bench/search.py measures it):
# - a caller who can read few chunks gets an exact scan of them at once: below EXACT_SCAN_MAX_CHUNKS the
#   scan is as fast as a filtered HNSW search and it is exact (a bounded count decides, cheaply);
# - otherwise a first HNSW pass with a small ef_search (2 x depth) is enough for a caller who reads most
#   of the corpus, and otherwise shows what share of the nearest candidates the caller may read (at
#   least the counted lower bound); a second pass raises ef_search to MARGIN / share times what is
#   needed (capped at pgvector's 1,000) so the filter leaves enough rows and the caller's best ones lie
#   well inside the candidates, where HNSW's recall is high (measured recall@10: 1.0 at 10 %, 0.97 at 100 %);
# - a caller whose share is too small even for ef_search 1,000 still ends in the exact scan.
# EXACT_SCAN_MAX_CHUNKS: on 100,000 chunks the exact scan took ~5 ms for 1,000 chunks and ~44-65 ms for
# 10,000 (4-7 us a chunk), a filtered HNSW pass at ef_search 1,000 ~18-28 ms; they cross near 5,000.
EXACT_SCAN_MAX_CHUNKS = 5_000
MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
CANDIDATE_MARGIN = 2.0  # candidates per row needed, over the caller's share: a margin for its variance


def _semantic(
    session: Session, scope: _Scope, query: str, depth: int, provider: EmbeddingProvider
) -> list[_Ranked]:
    vector = provider.embed_query(query)
    literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
    dims = int(provider.dimensions)
    vectors = _VectorSearch(session, scope, literal, dims, provider.key, depth)
    visible = vectors.visible_chunks(bound=EXACT_SCAN_MAX_CHUNKS)
    if visible < EXACT_SCAN_MAX_CHUNKS:
        return vectors.exact()
    probe_ef = min(MAX_EF_SEARCH, max(40, math.ceil(CANDIDATE_MARGIN * depth)))
    rows = vectors.approximate(probe_ef)
    if len(rows) >= depth:
        return rows
    # The probe's share is a sample of a few dozen candidates: size ef_search on a low estimate (two
    # standard deviations down, never below the counted lower bound) and try it when the likely share
    # fills the rows; sized on the likely share alone, half the 10 % caller's searches fell back.
    counted_share = visible / max(vectors.indexed_chunks(), visible)
    likely_share = max(len(rows) / probe_ef, counted_share)
    low_share = max((len(rows) - 2 * math.sqrt(len(rows))) / probe_ef, counted_share)
    ef = min(MAX_EF_SEARCH, math.ceil(CANDIDATE_MARGIN * depth / low_share))
    if likely_share * ef >= depth:
        rows = vectors.approximate(ef)
        if len(rows) >= depth:
            return rows
    # The approximate index returns its nearest neighbours before our visibility filter; when the
    # filter leaves fewer than asked for, search this user's chunks exactly instead.
    return vectors.exact()


@dataclass(frozen=True)
class _VectorSearch:
    session: Session
    scope: _Scope
    vector: str
    dims: int
    model_key: str
    depth: int

    @property
    def _params(self) -> dict[str, object]:
        return {"vector": self.vector, "model": self.model_key, "depth": self.depth, **self.scope.params}

    @property
    def _distance(self) -> str:
        # The expression must match the model's partial index exactly for the planner to use HNSW.
        return f"(c.embedding::vector({self.dims}) <=> CAST(:vector AS vector({self.dims})))"

    # The caller's chunks are reached document by document (visible documents, their current jobs, the
    # jobs' chunks by index): a LATERAL subquery kept apart by OFFSET 0, because the planner, expecting
    # a tenth of the table, would otherwise read every chunk (and its vector) to join them by hash,
    # which measured 10-20 times slower on 100,000 chunks (bench/search.py).
    _MINE = """
        WITH visible AS MATERIALIZED ({documents})
        SELECT {columns}
        FROM visible d
        CROSS JOIN LATERAL (
            SELECT c.id, c.embedding
            FROM jobs j
            JOIN chunks c ON c.job_id = j.id AND c.document_id = d.id AND c.model_key = :model
            WHERE j.document_id = d.id AND j.current
            OFFSET 0
        ) c
    """

    def visible_chunks(self, bound: int) -> int:
        """How many of the model's current chunks the caller may read, counted up to `bound`."""
        mine = self._MINE.format(documents=self.scope.documents_sql, columns="1")
        count = self.session.execute(
            text(f"SELECT count(*) FROM ({mine} LIMIT :bound) counted"),
            {"model": self.model_key, "bound": bound, **self.scope.params},
        ).scalar_one()
        return int(count)

    def indexed_chunks(self) -> int:
        """The entries of the model's HNSW index (every run's chunks, shown or not), from the statistics
        that autovacuum keeps; the chunks table's when the index has none yet."""
        index_rows, table_rows = self.session.execute(
            text(
                "SELECT (SELECT reltuples FROM pg_class WHERE oid = to_regclass(:index)), "
                "(SELECT reltuples FROM pg_class WHERE oid = 'chunks'::regclass)"
            ),
            {"index": index_name(self.model_key)},
        ).one()
        # reltuples is -1 until the relation was first vacuumed or analysed.
        for estimate in (index_rows, table_rows):
            if estimate is not None and estimate > 0:
                return int(estimate)
        return 0

    def approximate(self, ef_search: int) -> list[_Ranked]:
        """The caller's nearest chunks among the HNSW index's `ef_search` nearest candidates."""
        # SET cannot take a bind parameter; set_config(..., is_local => true) is the same for this transaction.
        self.session.execute(text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(ef_search)})
        rows = self.session.execute(
            text(
                f"""
                SELECT c.document_id, d.filename, c.page_start, c.text, 1 - {self._distance} AS similarity
                FROM chunks c
                JOIN jobs j ON j.id = c.job_id AND j.current
                JOIN documents d ON d.id = c.document_id
                WHERE c.model_key = :model AND {self.scope.sql}
                ORDER BY {self._distance}
                LIMIT :depth
                """
            ),
            self._params,
        ).all()
        return [_Ranked(r.document_id, r.filename, r.page_start, float(r.similarity), r.text) for r in rows]

    def exact(self) -> list[_Ranked]:
        """The caller's nearest chunks by exact distance: all of them are read, no index is used (the
        ordering is over materialised distances, which no index can give). Only ids and distances are
        kept while ranking, so a large caller's scan does not spill texts and vectors to disk."""
        mine = self._MINE.format(
            documents=self.scope.documents_sql, columns=f"c.id, {self._distance} AS distance"
        )
        rows = self.session.execute(
            text(
                f"""
                WITH mine AS MATERIALIZED ({mine})
                SELECT c.document_id, d.filename, c.page_start, c.text, 1 - best.distance AS similarity
                FROM (SELECT id, distance FROM mine ORDER BY distance LIMIT :depth) best
                JOIN chunks c ON c.id = best.id
                JOIN documents d ON d.id = c.document_id
                ORDER BY best.distance
                """
            ),
            self._params,
        ).all()
        return [_Ranked(r.document_id, r.filename, r.page_start, float(r.similarity), r.text) for r in rows]


def _best_per_page(ranked: Sequence[_Ranked]) -> list[_Ranked]:
    seen: set[tuple[uuid.UUID, int]] = set()
    best = []
    for r in ranked:  # already best first
        key = (r.document_id, r.page_no)
        if key not in seen:
            seen.add(key)
            best.append(r)
    return best


def _fuse(*lists: Sequence[_Ranked]) -> list[Hit]:
    names = ("keyword", "semantic")
    fused: dict[tuple[uuid.UUID, int], Hit] = {}
    for name, ranked in zip(names, lists, strict=False):
        for rank, r in enumerate(ranked, start=1):
            key = (r.document_id, r.page_no)
            hit = fused.setdefault(key, Hit(r.document_id, r.filename, r.page_no, 0.0))
            hit.score += 1.0 / (RRF_K + rank)
            hit.matched_by.append(name)
    hits = sorted(fused.values(), key=lambda h: (-h.score, str(h.document_id), h.page_no))
    for hit in hits:
        hit.score = round(hit.score, 6)
    return hits


def _add_snippets(
    session: Session, query: str, hits: list[Hit], chunk_text: dict[tuple[uuid.UUID, int], str]
) -> None:
    """A highlighted excerpt of each hit's page where the words match, else the start of its chunk."""
    if not hits:
        return
    rows = session.execute(
        text(
            """
            SELECT p.document_id, p.page_no,
                   ts_headline('english', p.text, websearch_to_tsquery('english', :query),
                               :options) AS headline,
                   p.tsv @@ websearch_to_tsquery('english', :query) AS matched
            FROM pages p
            JOIN jobs j ON j.id = p.job_id AND j.current
            WHERE (p.document_id, p.page_no) IN (SELECT * FROM unnest(CAST(:docs AS uuid[]), CAST(:pages AS int[])))
            """
        ),
        {
            "query": query,
            "options": f"StartSel={_MARK_START}, StopSel={_MARK_END}, MaxWords=35, MinWords=15, "
            'MaxFragments=2, FragmentDelimiter=" … "',
            "docs": [h.document_id for h in hits],
            "pages": [h.page_no for h in hits],
        },
    ).all()
    headlines = {(r.document_id, r.page_no): r.headline for r in rows if r.matched}
    for hit in hits:
        key = (hit.document_id, hit.page_no)
        if key in headlines:
            hit.snippet, hit.highlights = _unmark(headlines[key])
        else:
            source = chunk_text.get(key) or ""
            hit.snippet = _clip(" ".join(source.split()), SNIPPET_CHARS)


def _unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    position, start = 0, None
    for ch in marked:
        if ch == _MARK_START:
            start = position
        elif ch == _MARK_END:
            if start is not None:
                spans.append((start, position))
            start = None
        else:
            out.append(ch)
            position += 1
    return "".join(out).replace("\n", " "), spans


def _clip(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    cut = value.rfind(" ", 0, limit)
    return value[: cut if cut > limit // 2 else limit] + " …"
