"""One user's many uploads do not starve another user's single document."""

from __future__ import annotations

import uuid

import pytest

from testkit import documents as make

pytestmark = pytest.mark.stack


def _extract_finished(document: dict) -> str:
    return next(job["finished_at"] for job in document["jobs"] if job["kind"] == "extract")


def test_a_single_document_is_not_queued_behind_a_busy_users_batch(user_factory) -> None:
    busy, quiet = user_factory(None), user_factory(None)
    batch = [
        busy.upload(
            f"scan-{i}.png", make.png(f"Busy page {i} {uuid.uuid4().hex[:8]} of a long batch")
        ).json()["id"]
        for i in range(12)
    ]
    single = quiet.upload("mine.png", make.png(f"The quiet user's only page {uuid.uuid4().hex[:8]}")).json()[
        "id"
    ]

    mine = quiet.wait_for(single)
    theirs = [busy.wait_for(document_id) for document_id in batch]
    assert mine["status"] == "ready" and all(d["status"] == "ready" for d in theirs)
    finished_after_mine = sum(_extract_finished(d) > _extract_finished(mine) for d in theirs)
    # First come, first served would finish all twelve first. With at most two of the busy user's jobs
    # published at a time, the single page is behind at most those two and the one being read.
    assert finished_after_mine >= 8, finished_after_mine
