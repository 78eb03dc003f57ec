"""Document analysis: summary, classification, key fields and keywords."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Classification:
    label: str
    score: float  # 0..1


@dataclass(frozen=True)
class Analysis:
    summary: str
    classification: Classification | None
    # "dates", "amounts", "emails", "phone_numbers", "references": lists of items with at least
    # "value" (normalised), "text" (as found) and "page".
    fields: dict[str, list[dict[str, Any]]]
    keywords: list[str]


class AnalysisProvider(Protocol):
    """Analyses a document's pages. `model` names honestly what produced the results."""

    provider: str
    model: str

    def analyze(self, pages: Sequence[tuple[int, str]]) -> Analysis:
        """Analysis of (page_no, text) pages in page order."""
        ...


def cap_pages(pages: Sequence[tuple[int, str]], max_chars: int) -> list[tuple[int, str]]:
    """The pages cut to `max_chars` characters in total."""
    capped: list[tuple[int, str]] = []
    used = 0
    for page_no, text in pages:
        if used >= max_chars:
            break
        capped.append((page_no, text[: max_chars - used]))
        used += len(capped[-1][1])
    return capped
