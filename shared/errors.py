"""Errors the domain raises for the boundary to translate (the API into problem+json, tasks into job state)."""

from __future__ import annotations

import enum
from typing import Any


class ErrorKind(enum.StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNPROCESSABLE = "unprocessable"
    UNAUTHORIZED = "unauthorized"
    UNAVAILABLE = "unavailable"
    RATE_LIMITED = "rate_limited"


class DomainError(Exception):
    """A failure with a stable machine-readable `code` and a message a person can act on."""

    kind: ErrorKind = ErrorKind.INVALID
    code: str = "invalid_request"
    title: str = "The request is not valid"

    # True when the resource exists but the caller may not see or touch it: answered like any other
    # error, but recorded as a security event (never shown to the caller).
    denied: bool = False

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra or {}


class NotFound(DomainError):
    kind = ErrorKind.NOT_FOUND
    code = "not_found"
    title = "Not found"


class Forbidden(DomainError):
    """The caller can see the resource but may not do this to it."""

    denied = True
    kind = ErrorKind.FORBIDDEN
    code = "forbidden"
    title = "Not allowed"


class Conflict(DomainError):
    kind = ErrorKind.CONFLICT
    code = "conflict"
    title = "Conflict with the current state"


class Invalid(DomainError):
    kind = ErrorKind.INVALID


class TooLarge(DomainError):
    kind = ErrorKind.TOO_LARGE
    code = "file_too_large"
    title = "Too large"


class UnsupportedMediaType(DomainError):
    kind = ErrorKind.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_file_type"
    title = "Unsupported file type"


class Unprocessable(DomainError):
    """Well-formed, but the content cannot be processed (a damaged or encrypted file)."""

    kind = ErrorKind.UNPROCESSABLE
    code = "unprocessable_file"
    title = "The file cannot be processed"


class Unauthorized(DomainError):
    kind = ErrorKind.UNAUTHORIZED
    code = "unauthorized"
    title = "Authentication required"


class RateLimited(DomainError):
    """Too much, too fast: `retry_after` says when the same request will be accepted."""

    kind = ErrorKind.RATE_LIMITED
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class Unavailable(DomainError):
    kind = ErrorKind.UNAVAILABLE
    code = "dependency_unavailable"
    title = "A dependency is unavailable"
