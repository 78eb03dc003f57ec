"""What a job kind's step is: the work, and the outputs it owns.

A step writes everything it makes tagged with its job's id, beside what earlier runs made: database rows
carry the job id, blobs go under the job's prefix (`job_prefix`). The engine makes a run's outputs the
document's current ones when the whole run has succeeded (`publish`), and asks the step to `discard` a
job's outputs when they will never be shown (the job failed or was cancelled, its run was superseded)
or when a newer run replaced them. Discarding is a class method because it happens wherever jobs change
state (the API, the sweeper, another queue's worker), where the step's providers are never loaded.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy.orm import Session

from shared.providers.storage.base import job_prefix

if TYPE_CHECKING:
    from shared.jobs.context import JobContext

# Runs inside the transaction that marks the job succeeded: final results and success commit together.
Finalizer = Callable[[Session], None]


@dataclass(frozen=True)
class JobRef:
    """The job whose outputs are meant: what a step's outputs are tagged with."""

    job_id: uuid.UUID
    document_id: uuid.UUID


__all__ = ["Finalizer", "JobRef", "Step", "job_prefix"]


class Step(abc.ABC):
    """One job kind's work. Built once per worker process with the process's resources (settings,
    storage, providers loaded on first use); `run` is called once per attempt."""

    # True when the step writes blobs under its job's prefix: the engine purges the prefix with the job.
    stores_blobs: ClassVar[bool] = False

    def __init__(self, resources: Any) -> None:
        self.resources = resources

    @abc.abstractmethod
    def run(self, ctx: JobContext) -> Finalizer | None:
        """Do the work through `ctx` (fenced writes, progress, cancellation checks at least every page
        or batch). What it returns runs in the transaction that marks the job succeeded."""

    @classmethod
    @abc.abstractmethod
    def discard(cls, session: Session, job: JobRef) -> None:
        """Delete every row `job` stored, in the caller's transaction."""

    @classmethod  # noqa: B027 - optional: most steps need nothing when their outputs become current
    def publish(cls, session: Session, job: JobRef) -> None:
        """`job`'s outputs have just become the document's current ones (same transaction)."""
