"""Signal handlers for the length of a block, installed only where Python allows (the main thread)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

Handler = Callable[[int, Any], None]


@contextlib.contextmanager
def handling(signals: Sequence[signal.Signals], handler: Handler) -> Iterator[None]:
    """`handler` for `signals` inside the block, the previous handlers after it. Off the main thread,
    where handlers cannot be installed, the block runs with the process's own."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in signals}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
