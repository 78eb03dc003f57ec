"""From the answer's [n] markers to citations whose quotes are in the page: a marker for a passage
that was not given is dropped, and a quote is the page's own text or nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from shared.ask.quotes import best_sentence
from shared.ask.retrieval import Passage
from shared.extraction.evidence import verbatim

# [2], [1][3], [1, 3] and [1,3]
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_QUOTED = re.compile(r"[“\"]([^”\"]{8,})[”\"]")
_CLAIM_START = re.compile(r"(?:[.!?…]\s+|\n|\]\s+)(?=\S)")


def resolve(answer: str, passages: Sequence[Passage]) -> tuple[str, list[dict[str, Any]]]:
    """The answer without markers that cite no given passage, and one citation per (passage, quote),
    in the order the answer cites them."""
    by_number = {p.number: p for p in passages}
    citations: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    kept: list[str] = []
    position = 0
    for match in _MARKER.finditer(answer):
        kept.append(answer[position : match.start()])
        position = match.end()
        numbers = [int(n) for n in match.group(1).split(",") if int(n) in by_number]
        if not numbers:
            continue  # a passage that was never given: the claim keeps no citation
        kept.append("".join(f"[{n}]" for n in numbers))
        claim = _claim_before(answer, match.start())
        for number in numbers:
            passage = by_number[number]
            quote = _quote(claim, passage)
            if quote is None or (number, quote) in seen:
                continue
            seen.add((number, quote))
            citations.append(
                {
                    "number": number,
                    "document_id": str(passage.document_id),
                    "filename": passage.filename,
                    "page_no": passage.page_no,
                    "quote": quote,
                }
            )
    kept.append(answer[position:])
    return "".join(kept).strip(), citations


def _claim_before(answer: str, end: int) -> str:
    """The statement a marker at `end` closes: from the previous sentence end or marker to `end`."""
    starts = [m.end() for m in _CLAIM_START.finditer(answer, 0, end)]
    return answer[starts[-1] if starts else 0 : end]


def _quote(claim: str, passage: Passage) -> str | None:
    """What the claim quotes, when the page really has it; else the passage's sentence that shares the
    most words with the claim."""
    for match in _QUOTED.finditer(claim):
        found = verbatim(match.group(1), passage.page_text)
        if found is not None:
            return found
    return verbatim(best_sentence(passage.text, claim), passage.page_text)
