"""Quotes that are really in the page: every citation's quote is a slice of the stored page text.

A quote is located by shared.extraction.evidence (extracted values are held to the same rule); here are
the sentences a quote is chosen from.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A sentence ends at . ! ? or a line break that is followed by a blank line or a bullet.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*(?=\s)|\n\s*\n")
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its",
    "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with", "what", "when", "where",
    "which", "who", "whom", "how", "why", "does", "do", "did", "can", "could", "should", "would", "there",
    "their", "they", "them", "i", "me", "my", "we", "our", "you", "your", "he", "she", "his", "her", "not",
    "no", "any", "all", "about", "into", "than", "then", "so", "such",
})  # fmt: skip


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in `text`, trimmed of surrounding whitespace."""
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        piece = text[begin:end]
        stripped = piece.strip()
        if stripped:
            offset = begin + piece.index(stripped)
            trimmed.append((offset, offset + len(stripped)))
    return trimmed


def content_words(text: str) -> set[str]:
    return {w for w in (m.group().casefold() for m in _WORD.finditer(text)) if w not in STOP_WORDS}


def best_sentence(passage: str, claim: str) -> str:
    """The sentence of `passage` sharing the most words with `claim` (the first on a tie), verbatim."""
    wanted = content_words(claim)
    best, best_score = None, -1
    for start, end in sentences(passage):
        score = len(wanted & content_words(passage[start:end]))
        if score > best_score:
            best, best_score = (start, end), score
    if best is None:
        return passage.strip()
    return passage[best[0] : best[1]]
