"""Messages that leave only after the transaction that made them has committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_KEY = "workopti.outbox"
_ROLLBACK_KEY = "workopti.on_rollback"
_COMMIT_KEY = "workopti.after_commit"


@dataclass(frozen=True)
class TaskMessage:
    """A task to run: its registered name, the queue it goes to and the ids it works on."""

    task: str
    queue: str
    args: tuple[str, ...]


class TaskPublisher(Protocol):
    def publish(self, messages: list[TaskMessage]) -> None:
        """Hand the messages to the broker. May raise; the sweeper republishes what was lost."""
        ...


def attach_outbox(session: Session) -> None:
    session.info[_KEY] = []
    session.info[_ROLLBACK_KEY] = []


def on_rollback(session: Session, compensate: Callable[[], None]) -> None:
    """Undo, outside the database, something done for this transaction if it does not commit
    (a blob written for a row that never came to exist)."""
    session.info.setdefault(_ROLLBACK_KEY, []).append(compensate)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call `callback` once after this transaction commits (once however often it is asked for), never
    if it rolls back. For what tells other processes to look, not for what must not be lost."""
    callbacks = session.info.setdefault(_COMMIT_KEY, [])
    if callback not in callbacks:
        callbacks.append(callback)


def run_compensations(session: Session) -> None:
    for compensate in reversed(session.info.pop(_ROLLBACK_KEY, [])):
        try:
            compensate()
        except Exception:
            log.warning("a rollback compensation failed", exc_info=True)
    session.info.pop(_KEY, None)
    session.info.pop(_COMMIT_KEY, None)


def has_outbox(session: Session) -> bool:
    return session.info.get(_KEY) is not None


def enqueue(session: Session, message: TaskMessage) -> None:
    """Publish `message` once the session's transaction commits; forget it if it rolls back."""
    outbox = session.info.get(_KEY)
    if outbox is None:
        raise RuntimeError(
            "this session has no outbox; open it with session_scope() or the request dependency"
        )
    outbox.append(message)


def pending(session: Session) -> list[TaskMessage]:
    return list(session.info.get(_KEY, []))


def flush_outbox(session: Session, publisher: TaskPublisher | None) -> None:
    """Publish after a successful commit. A broker fault is logged, not raised: the rows are committed
    and the sweeper republishes queued jobs whose messages never arrived."""
    session.info.pop(_ROLLBACK_KEY, None)
    for callback in session.info.pop(_COMMIT_KEY, []):
        try:
            callback()
        except Exception:
            log.warning("an after-commit callback failed", exc_info=True)
    messages = session.info.pop(_KEY, [])
    if not messages:
        return
    if publisher is None:
        raise RuntimeError("messages were enqueued but no publisher was given to deliver them")
    try:
        publisher.publish(messages)
    except Exception:
        log.warning(
            "publishing %d message(s) failed; the sweeper will republish them", len(messages), exc_info=True
        )
