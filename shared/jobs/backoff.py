from __future__ import annotations

import random


def retry_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before attempt `attempt + 1`: exponential in the attempts made, with equal jitter so
    jobs that failed together (a dependency outage) do not all come back at the same instant."""
    ceiling: float = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
