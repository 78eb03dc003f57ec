"""Token-aware chunks of a document's pages, for embedding.

Chunks are windows over the document's token stream (the embedding model's own tokens), so every chunk
fits the model. Pages are read lazily and tokens are forgotten once no window can reach them, so a long
document is chunked in memory proportional to one page plus one window. The output depends only on
the input: a retried job makes the same chunks with the same numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

TokenSpans = Callable[[str], list[tuple[int, int]]]

# A window that fills up ends at the best boundary found in its last fifth.
_BOUNDARY_ZONE = 0.2
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
_SENTENCE_END = frozenset(".!?…\u3002\uff01\uff1f")  # with the CJK full stop, ! and ?

# Boundary strengths: where a window may end, best first.
_PAGE_OR_PARAGRAPH = 3
_SENTENCE = 2
_LINE = 1
_WORD = 0
_INSIDE_WORD = -1


@dataclass(frozen=True)
class TextChunk:
    chunk_no: int  # 0-based, consecutive
    page_start: int
    page_end: int
    text: str  # the covered text; the parts from two pages are joined with "\n"
    token_count: int


@dataclass(frozen=True)
class _Token:
    page_no: int
    start: int
    end: int


def chunk_pages(
    pages: Iterable[tuple[int, str]],
    token_spans: TokenSpans,
    max_tokens: int,
    overlap_tokens: int,
) -> Iterator[TextChunk]:
    """Windows of at most `max_tokens` tokens over the pages, consecutive windows sharing about
    `overlap_tokens` tokens.

    `pages` are (page_no, text) in increasing page order; whitespace-only pages are skipped.
    `token_spans(text)` gives the character span of each model token of `text`. A window never ends
    inside a word unless one word alone is longer than a window.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError("overlap_tokens must be at least 0 and smaller than max_tokens")
    return _Chunker(iter(pages), token_spans, max_tokens, overlap_tokens).chunks()


class _Chunker:
    def __init__(
        self, pages: Iterator[tuple[int, str]], token_spans: TokenSpans, max_tokens: int, overlap: int
    ) -> None:
        self.pages = pages
        self.token_spans = token_spans
        self.max_tokens = max_tokens
        self.overlap = overlap
        self.tokens: list[_Token] = []
        self.texts: dict[int, str] = {}
        self.exhausted = False
        self.last_page_no: int | None = None

    def chunks(self) -> Iterator[TextChunk]:
        chunk_no = 0
        start = 0
        while True:
            self._fill(start + self.max_tokens + 1)
            if start >= len(self.tokens):
                return
            end = min(start + self.max_tokens, len(self.tokens))
            if end < len(self.tokens):
                end = self._best_end(start, end)
            yield self._chunk(chunk_no, start, end)
            chunk_no += 1
            if end >= len(self.tokens) and self.exhausted:
                return
            start = self._next_start(start, end)
            start = self._forget_before(start)

    def _fill(self, wanted: int) -> None:
        """Read pages until `wanted` tokens are buffered or the pages run out."""
        while len(self.tokens) < wanted and not self.exhausted:
            try:
                page_no, text = next(self.pages)
            except StopIteration:
                self.exhausted = True
                return
            if self.last_page_no is not None and page_no <= self.last_page_no:
                raise ValueError(f"pages must come in increasing order: {page_no} after {self.last_page_no}")
            self.last_page_no = page_no
            if not text.strip():
                continue
            spans = self.token_spans(text)
            if spans:
                self.texts[page_no] = text
                self.tokens.extend(_Token(page_no, s, e) for s, e in spans)

    def _strength(self, index: int) -> int:
        """How good a place it is to end a window just before token `index`."""
        before, after = self.tokens[index - 1], self.tokens[index]
        if before.page_no != after.page_no:
            return _PAGE_OR_PARAGRAPH
        text = self.texts[after.page_no]
        gap = text[before.end : after.start]
        if not gap:
            joined = text[before.end - 1 : after.start + 1]
            return _INSIDE_WORD if joined.isalnum() else _WORD
        if _PARAGRAPH_BREAK.search(gap):
            return _PAGE_OR_PARAGRAPH
        if text[before.end - 1] in _SENTENCE_END and gap.isspace():
            return _SENTENCE
        if "\n" in gap:
            return _LINE
        return _WORD

    def _best_end(self, start: int, end: int) -> int:
        """The end of a full window: the strongest boundary (paragraph, sentence, line) in its last fifth,
        the latest of equals; else the latest word boundary; else `end` itself."""
        zone_start = max(start + 1, end - math.floor(self.max_tokens * _BOUNDARY_ZONE))
        best, best_strength = end, self._strength(end)
        for index in range(end - 1, zone_start - 1, -1):
            strength = self._strength(index)
            if strength > best_strength:
                best, best_strength = index, strength
        if best_strength >= _LINE:
            return best
        for index in range(end, start, -1):
            if self._strength(index) >= _WORD:
                return index
        return end

    def _next_start(self, start: int, end: int) -> int:
        """The next window begins `overlap` tokens before `end`, moved forward to the start of a word."""
        candidate = max(start + 1, end - self.overlap)
        while candidate < end and self._strength(candidate) < _WORD:
            candidate += 1
        return candidate

    def _forget_before(self, start: int) -> int:
        """Drop tokens (and page texts) no later window can reach; returns `start` re-based."""
        if start == 0:
            return 0
        del self.tokens[:start]
        live = {token.page_no for token in self.tokens}
        for page_no in [p for p in self.texts if p not in live]:
            del self.texts[page_no]
        return 0

    def _chunk(self, chunk_no: int, start: int, end: int) -> TextChunk:
        window = self.tokens[start:end]
        parts: list[str] = []
        first = window[0]
        for index in range(1, len(window) + 1):
            if index == len(window) or window[index].page_no != first.page_no:
                last = window[index - 1]
                parts.append(self.texts[first.page_no][first.start : last.end])
                if index < len(window):
                    first = window[index]
        return TextChunk(
            chunk_no=chunk_no,
            page_start=window[0].page_no,
            page_end=window[-1].page_no,
            text="\n".join(parts),
            token_count=len(window),
        )
