from __future__ import annotations

from shared.errors import Conflict, NotFound


class JobError(Exception):
    """A job attempt that did not succeed, with a code and a message a person can read."""

    transient = True

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after  # seconds a dependency asked us to wait before trying again


class TransientJobError(JobError):
    """Worth another attempt: a dependency was down, a limit was hit, a worker was lost."""

    transient = True


class PermanentJobError(JobError):
    """No attempt can succeed (an unreadable file): the job fails at once."""

    transient = False


class ClaimLost(Exception):
    """This attempt no longer owns its job (cancelled, retried, or its lease expired and it was
    handed to another worker). Whatever it was about to write must not be written."""


class JobNotFound(NotFound):
    code = "job_not_found"


class JobConflict(Conflict):
    code = "job_state_conflict"
