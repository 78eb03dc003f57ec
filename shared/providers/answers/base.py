"""Answering a question from numbered passages.

An answerer writes the answer as it goes (a stream of text pieces) and cites passages as `[n]` after
what they support. When the passages do not hold the answer it writes exactly NOT_FOUND. What the
citations quote is decided and checked by the caller against the stored page text, never taken on
the answerer's word.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

NOT_FOUND = "NOT_FOUND"


@dataclass(frozen=True)
class Turn:
    """An earlier question of the conversation and the answer it got."""

    question: str
    answer: str


@dataclass(frozen=True)
class Source:
    number: int
    filename: str
    page_no: int
    text: str


class Answerer(Protocol):
    provider: str
    model: str
    extractive: bool  # quotes the documents rather than writing an answer of its own

    def search_query(self, question: str, history: Sequence[Turn]) -> str:
        """What to search for: the question, made to stand on its own when it follows earlier turns."""
        ...

    def answer(self, question: str, history: Sequence[Turn], sources: Sequence[Source]) -> Iterator[str]:
        """The answer in pieces as they are written, citing sources as [n]; NOT_FOUND alone when the
        sources do not answer the question."""
        ...
