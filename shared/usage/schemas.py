"""The shape a user's consumption of paid providers takes on the way out."""

from __future__ import annotations

from shared.schemas import Schema


class UsageRowOut(Schema):
    provider: str
    model: str
    kind: str
    requests: int
    input_tokens: int
    output_tokens: int
    pages: int


class UsageList(Schema):
    items: list[UsageRowOut]
    next_cursor: None = None
