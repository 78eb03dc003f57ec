"""Search across what a user may read: pgvector similarity over chunks, PostgreSQL full-text over pages,
fused with reciprocal rank fusion. A hit is a page of a document. Only the outputs a document shows are
searched (those of its `current` jobs), never a run in progress or one that failed."""

from __future__ import annotations

import enum
import logging
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


def _semantic(
    session: Session, scope: _Scope, query: str, depth: int, provider: EmbeddingProvider
) -> list[_Ranked]:
    vector = provider.embed_query(query)
    literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
    dims = int(provider.dimensions)
    # The expression must match the model's partial index exactly for the planner to use HNSW.
    distance = f"(c.embedding::vector({dims}) <=> CAST(:vector AS vector({dims})))"
    params = {"vector": literal, "model": provider.key, "depth": depth, **scope.params}
    # SET cannot take a bind parameter; set_config(..., is_local => true) is the same for this transaction.
    session.execute(
        text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(min(1000, max(depth, 40)))}
    )
    rows = session.execute(
        text(
            f"""
            SELECT c.document_id, d.filename, c.page_start, c.text, 1 - {distance} AS similarity
            FROM chunks c
            JOIN jobs j ON j.id = c.job_id AND j.current
            JOIN documents d ON d.id = c.document_id
            WHERE c.model_key = :model AND {scope.sql}
            ORDER BY {distance}
            LIMIT :depth
            """
        ),
        params,
    ).all()
    if len(rows) < depth:
        # The approximate index returns its nearest neighbours before our visibility filter; when the
        # filter leaves fewer than asked for, search this user's chunks exactly instead.
        rows = session.execute(
            text(
                f"""
                WITH mine AS MATERIALIZED (
                    SELECT c.document_id, d.filename, c.page_start, c.text, c.embedding
                    FROM chunks c
                    JOIN jobs j ON j.id = c.job_id AND j.current
                    JOIN documents d ON d.id = c.document_id
                    WHERE c.model_key = :model AND {scope.sql}
                )
                SELECT c.document_id, c.filename, c.page_start, c.text, 1 - {distance} AS similarity
                FROM mine c
                ORDER BY {distance}
                LIMIT :depth
                """
            ),
            params,
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
