"""Text a person typed into a filter or search box, made safe to put in a query."""

from __future__ import annotations


def clean_query(text: str) -> str:
    """Control characters become spaces (NUL above all: PostgreSQL text cannot hold it), runs of
    whitespace one space, and the ends are trimmed."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
