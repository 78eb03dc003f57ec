"""Security events: structured records of who was refused what, and why.

One logger (`workopti.security`), one record per event, with `event`, `user`, `route`, `method`,
`client` and `reason` as attributes, so the JSON log format carries them as fields and a text log
reads as a sentence. Never put a token, a secret or document contents in `reason` or `fields`.
"""

from __future__ import annotations

import enum
import logging
from typing import Any

from starlette.requests import Request

log = logging.getLogger("workopti.security")


class SecurityEvent(enum.StrEnum):
    AUTH_FAILED = "auth_failed"
    ACCESS_DENIED = "access_denied"
    UPLOAD_REJECTED = "upload_rejected"
    RATE_LIMITED = "rate_limited"


def record(
    event: SecurityEvent, request: Request | None, *, reason: str, user: str | None = None, **fields: Any
) -> None:
    route = method = client = None
    if request is not None:
        found = request.scope.get("route")
        route = getattr(found, "path", None) or request.url.path
        method = request.method
        client = request.client.host if request.client else None
    details = {
        "event": event.value,
        "user": user,
        "route": route,
        "method": method,
        "client": client,
        "reason": reason,
    }
    log.warning(
        "security event %s: %s (user=%s, %s %s)", event.value, reason, user or "-", method or "-", route or "-",
        extra={"security": details | fields, **details, **{f"detail_{k}": v for k, v in fields.items()}},
    )  # fmt: skip
