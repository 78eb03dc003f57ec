"""What a paid provider call consumed, counted for the job (or request) it was made for.

Providers call `record(...)` after each call; the job runner opens a `metering()` block per attempt and
stores the totals on the job. A context variable rather than a return value keeps the provider
protocols about their results, and costs nothing where nobody is metering (local providers, tests).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Usage:
    provider: str
    model: str
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    pages: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "model": self.model,
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "pages": self.pages,
        }


@dataclass
class Meter:
    """Usage per (provider, model) for one job attempt or one request."""

    by_model: dict[tuple[str, str], Usage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(
        self, provider: str, model: str, *, requests: int, input_tokens: int, output_tokens: int, pages: int
    ) -> None:
        with self._lock:
            usage = self.by_model.setdefault((provider, model), Usage(provider, model))
            usage.requests += requests
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens
            usage.pages += pages

    def as_list(self) -> list[dict[str, object]]:
        with self._lock:
            return [usage.as_dict() for usage in self.by_model.values()]


_current: contextvars.ContextVar[Meter | None] = contextvars.ContextVar("workopti_usage_meter", default=None)


def record(
    provider: str,
    model: str,
    *,
    requests: int = 1,
    input_tokens: int = 0,
    output_tokens: int = 0,
    pages: int = 0,
) -> None:
    """Count one provider call against whatever is being metered now (nothing, if nothing is)."""
    meter = _current.get()
    if meter is not None:
        meter.add(
            provider,
            model,
            requests=requests,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            pages=pages,
        )


@contextmanager
def metering() -> Iterator[Meter]:
    meter = Meter()
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)
