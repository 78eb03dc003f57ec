"""What a step may use while it holds a job: fenced writes, progress, reads, cancellation."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings
from shared.db.engine import session_scope
from shared.jobs import service
from shared.jobs.errors import ClaimLost
from shared.jobs.service import Claim
from shared.jobs.step import JobRef, job_prefix

T = TypeVar("T")


class JobContext:
    def __init__(self, claim: Claim, factory: sessionmaker[Session], settings: Settings) -> None:
        self.claim = claim
        self.settings = settings
        self._factory = factory
        self._lost = threading.Event()
        self._last_progress = -1.0
        self._last_progress_at = 0.0

    @property
    def job_id(self) -> uuid.UUID:
        return self.claim.job_id

    @property
    def document_id(self) -> uuid.UUID:
        return self.claim.document_id

    @property
    def input_job_id(self) -> uuid.UUID | None:
        """The job whose outputs this one reads (the extract job an embed job chunks, say)."""
        return self.claim.input_job_id

    @property
    def ref(self) -> JobRef:
        return JobRef(self.claim.job_id, self.claim.document_id)

    @property
    def blob_prefix(self) -> str:
        return job_prefix(self.claim.document_id, self.claim.job_id)

    def require_input(self) -> uuid.UUID:
        if self.claim.input_job_id is None:
            raise RuntimeError(f"a {self.claim.kind} job needs the job it follows")
        return self.claim.input_job_id

    def mark_lost(self) -> None:
        self._lost.set()

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def ensure_owned(self) -> None:
        """Stop (ClaimLost) once the job was cancelled, taken over or its document deleted. The runner
        checks that every JOB_CANCEL_CHECK_SECONDS; steps call this at least every page or batch."""
        if self._lost.is_set():
            raise ClaimLost(
                f"job {self.claim.job_id} attempt {self.claim.attempt} was cancelled or taken over"
            )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads; nothing written through it is kept."""
        session = self._factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def write(self, work: Callable[[Session], T], *, progress: float | None = None) -> T:
        """Run `work` in its own transaction, fenced on this attempt still owning the job."""
        self.ensure_owned()
        with session_scope(self._factory) as session:
            try:
                service.report_progress(session, self.claim, progress, self.settings.jobs.lease_seconds)
            except ClaimLost:
                self.mark_lost()
                raise
            result = work(session)
        if progress is not None:
            self._last_progress = progress
        return result

    def progress(self, fraction: float) -> None:
        """Report progress; throttled so a fast step does not turn every page into a write."""
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_progress_at < 1.0 and fraction - self._last_progress < 0.1:
            self.ensure_owned()
            return
        self._last_progress_at = now
        self.write(lambda _session: None, progress=fraction)
