"""Cost accounting: what paid providers consumed, per job, per document and per user.

Local providers report nothing, so with everything local these stay empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.models import Document, Job, UsageCounter

_FIELDS = ("requests", "input_tokens", "output_tokens", "pages")


def merge(*usages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum usage entries per (provider, model)."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for entries in usages:
        for entry in entries:
            key = (str(entry["provider"]), str(entry["model"]))
            total = totals.setdefault(key, {"provider": key[0], "model": key[1]} | dict.fromkeys(_FIELDS, 0))
            for name in _FIELDS:
                total[name] += int(entry.get(name) or 0)
    return [totals[key] for key in sorted(totals)]


def charge_job(session: Session, job_id: uuid.UUID, usage: Sequence[dict[str, Any]]) -> None:
    """Add an attempt's usage to its job and to the document owner's counters (same transaction as
    the job's transition, so a retried attempt's cost is neither lost nor counted twice)."""
    if not usage:
        return
    row = session.execute(
        select(Job.usage, Job.kind, Document.owner_id)
        .join(Document, Document.id == Job.document_id)
        .where(Job.id == job_id)
    ).first()
    if row is None:
        return
    session.execute(update(Job).where(Job.id == job_id).values(usage=merge(row.usage or [], usage)))
    charge_user(session, row.owner_id, row.kind, usage)


def charge_user(session: Session, user_id: uuid.UUID, kind: str, usage: Sequence[dict[str, Any]]) -> None:
    for entry in merge(usage):
        values = {name: entry[name] for name in _FIELDS}
        stmt = insert(UsageCounter).values(
            user_id=user_id, provider=entry["provider"], model=entry["model"], kind=kind, **values
        )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[
                    UsageCounter.user_id,
                    UsageCounter.provider,
                    UsageCounter.model,
                    UsageCounter.kind,
                ],
                set_={name: getattr(UsageCounter, name) + stmt.excluded[name] for name in _FIELDS},
            )
        )


def of_user(session: Session, user_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(
        select(UsageCounter)
        .where(UsageCounter.user_id == user_id)
        .order_by(UsageCounter.provider, UsageCounter.model, UsageCounter.kind)
    ).scalars()
    return [
        {"provider": r.provider, "model": r.model, "kind": r.kind}
        | {name: getattr(r, name) for name in _FIELDS}
        for r in rows
    ]


def totals(session: Session) -> list[dict[str, Any]]:
    """Across all users, per provider, model and kind: for /health/metrics."""
    rows = session.execute(
        select(
            UsageCounter.provider,
            UsageCounter.model,
            UsageCounter.kind,
            *(func.sum(getattr(UsageCounter, name)).label(name) for name in _FIELDS),
        ).group_by(UsageCounter.provider, UsageCounter.model, UsageCounter.kind)
    ).all()
    return [dict(row._mapping) for row in rows]
