"""Keyset paging: opaque cursors that carry the last row's sort key."""

from __future__ import annotations

import base64
import datetime as dt
import json

from shared.errors import Invalid


def encode_cursor(*parts: object) -> str:
    """An opaque cursor: the last row's sort key, as JSON (a filename may hold any character)."""
    raw = json.dumps([p.isoformat() if isinstance(p, dt.datetime) else str(p) for p in parts])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, count: int) -> list[str]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        if not isinstance(parts, list) or len(parts) != count or not all(isinstance(p, str) for p in parts):
            raise ValueError(parts)
        return parts
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("The cursor is not one this API issued.", code="invalid_cursor") from exc
