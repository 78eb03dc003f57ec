"""What a paid-cloud provider's failure means, independent of who called it.

A provider raises `ProviderUnavailable` when the same call may succeed later (unreachable, timed out,
throttled, a 5xx, an incomplete or malformed answer) and `ProviderRejected` when it cannot (credentials,
an input the service refuses or that exceeds its limits). Each boundary decides what that means for it:
the job runner retries or fails the job, the API answers 503. Messages are written by the adapters, never
copied from the service's body, which can quote a masked key.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TypedDict


class ProviderKind(enum.StrEnum):
    OCR = "ocr"
    EMBEDDINGS = "embeddings"
    LLM = "llm"


class Origin(TypedDict):
    """Which service failed and how it answered: the keywords every `ProviderError` takes."""

    provider: str
    kind: ProviderKind
    status: int | None


class ProviderError(Exception):
    """A provider call that failed after the SDK's own retries.

    `code` is stable (`provider_unavailable`, `ocr_rate_limited`, ...), `message` readable by the person
    whose document or search it was, `status` the service's last HTTP status (None when there was no
    answer) and `retry_after` the seconds the service asked us to wait, when it said.
    """

    transient: bool = True

    def __init__(
        self,
        code: str,
        message: str,
        *,
        provider: str,
        kind: ProviderKind,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.provider = provider
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, provider={self.provider!r}, "
            f"kind={self.kind.value!r}, status={self.status!r}, retry_after={self.retry_after!r})"
        )


class ProviderUnavailable(ProviderError):
    """Worth another attempt later."""

    transient = True


class ProviderRejected(ProviderError):
    """No attempt with the same input and configuration can succeed."""

    transient = False


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The wait a response asks for: `retry-after-ms` (OpenAI, Azure OpenAI), else `retry-after` in
    seconds or as an HTTP date. None when absent or unreadable."""
    if not headers:
        return None
    milliseconds = _number(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
