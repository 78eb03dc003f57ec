from shared.db.base import Base
from shared.db.engine import build_engine, build_session_factory, session_scope
from shared.db.outbox import TaskMessage, TaskPublisher, enqueue

__all__ = [
    "Base",
    "TaskMessage",
    "TaskPublisher",
    "build_engine",
    "build_session_factory",
    "enqueue",
    "session_scope",
]
