"""Quotes that are really in the page: every citation's quote is a slice of the stored page text.

A quote is looked for as written, then ignoring case, runs of whitespace and typographic variants of
quotes and dashes (what OCR and models change most); what is found is returned as the page has it.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
# A sentence ends at . ! ? or a line break that is followed by a blank line or a bullet.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*(?=\s)|\n\s*\n")
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its",
    "of", "on", "or", "that", "the", "this", "to", "was", "were", "will", "with", "what", "when", "where",
    "which", "who", "whom", "how", "why", "does", "do", "did", "can", "could", "should", "would", "there",
    "their", "they", "them", "i", "me", "my", "we", "our", "you", "your", "he", "she", "his", "her", "not",
    "no", "any", "all", "about", "into", "than", "then", "so", "such",
})  # fmt: skip


def verbatim(quote: str, page_text: str) -> str | None:
    """The slice of `page_text` that `quote` stands for, or None when the page does not hold it."""
    quote = quote.strip()
    if not quote:
        return None
    if quote in page_text:
        return quote
    folded, positions = _folded(page_text)
    needle, _ = _folded(quote)
    at = folded.find(needle)
    if not needle or at < 0:
        return None
    return page_text[positions[at] : positions[at + len(needle) - 1] + 1]


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


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` in lower case with whitespace runs as one space, and each folded character's index in
    `text`, so a match in the folded text maps back to a slice of the original."""
    out: list[str] = []
    positions: list[int] = []
    in_space = False
    for index, char in enumerate(text.translate(_FOLD)):
        if char.isspace():
            if out and not in_space:
                out.append(" ")
                positions.append(index)
            in_space = True
            continue
        in_space = False
        for lowered in char.casefold():
            out.append(lowered)
            positions.append(index)
    while out and out[-1] == " ":
        out.pop()
        positions.pop()
    return "".join(out), positions
