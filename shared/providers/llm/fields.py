"""Key fields found by patterns: dates, amounts, emails, phone numbers and reference numbers.

Each field is a list of {"value": normalised, "text": as found, "page": n, ...}, first occurrence
first, one entry per value. The patterns themselves are extraction's (shared.extraction.patterns), so
key fields and user-defined fields read a document the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from shared.extraction import patterns

FIELD_NAMES = ("dates", "amounts", "emails", "phone_numbers", "references")
_MAX_PER_FIELD = 50


def extract_fields(pages: Sequence[tuple[int, str]]) -> dict[str, list[dict[str, Any]]]:
    """All key fields of the pages, in page order."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in FIELD_NAMES}
    region = patterns.phone_region(text for _, text in pages)
    for page_no, text in pages:
        found["emails"].extend(_entry(hit, page_no) for hit in patterns.find_emails(text))
        found["phone_numbers"].extend(_entry(hit, page_no) for hit in patterns.find_phones(text, region))
        dates = patterns.find_dates(text, day_first=region != "US")
        found["dates"].extend(_entry(hit, page_no) for hit in dates)
        found["amounts"].extend(_entry(hit, page_no, "currency") for hit in patterns.find_amounts(text))
        found["references"].extend(_entry(hit, page_no, "kind") for hit in patterns.find_references(text))
    return {name: _unique(items)[:_MAX_PER_FIELD] for name, items in found.items()}


def _entry(hit: patterns.Hit, page_no: int, tag: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": hit.value}
    if tag is not None:
        entry[tag] = hit.tag
    entry.update(text=hit.text, page=page_no)
    return entry


def _unique(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for item in items:
        key = (item["value"], item.get("currency"), item.get("kind"))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
