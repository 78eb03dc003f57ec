"""Queue wait and run time per job kind, as cumulative histogram buckets kept in the database."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.models import JobTiming

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, math.inf)


def observe(session: Session, kind: str, metric: str, seconds: float) -> None:
    """Count one observation in the smallest bucket that holds it (cumulated when read)."""
    seconds = max(0.0, seconds)
    le = next(b for b in BUCKETS if seconds <= b)
    stmt = insert(JobTiming).values(kind=kind, metric=metric, le=le, observations=1, sum_seconds=seconds)
    stmt = stmt.on_conflict_do_update(
        index_elements=[JobTiming.kind, JobTiming.metric, JobTiming.le],
        set_={
            "observations": JobTiming.observations + 1,
            "sum_seconds": JobTiming.sum_seconds + seconds,
        },
    )
    session.execute(stmt)


@dataclass(frozen=True)
class Histogram:
    kind: str
    metric: str
    buckets: list[tuple[float, int]]  # (upper bound, cumulative count)
    count: int
    sum_seconds: float


def histograms(session: Session) -> list[Histogram]:
    rows = session.execute(
        select(
            JobTiming.kind, JobTiming.metric, JobTiming.le, JobTiming.observations, JobTiming.sum_seconds
        ).order_by(JobTiming.kind, JobTiming.metric, JobTiming.le)
    ).all()
    grouped: dict[tuple[str, str], dict[float, tuple[int, float]]] = {}
    for kind, metric, le, observations, total in rows:
        grouped.setdefault((kind, metric), {})[le] = (observations, total)
    result = []
    for (kind, metric), by_le in sorted(grouped.items()):
        cumulative, buckets = 0, []
        for le in BUCKETS:
            cumulative += by_le.get(le, (0, 0.0))[0]
            buckets.append((le, cumulative))
        result.append(Histogram(kind, metric, buckets, cumulative, sum(total for _, total in by_le.values())))
    return result
