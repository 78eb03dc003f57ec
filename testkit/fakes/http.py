"""The lifecycle every fake service shares: a threaded HTTP server on a local port, started and stopped
by the test (or a whole stack's fixture), whose handlers reach the fake as `self.server.fake`; and the
request handler base that answers JSON and keeps no access log."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

# shutdown() returns at serve_forever's next poll: at the default half second, every test that stops a
# fake would wait that long.
POLL_SECONDS = 0.02


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: Any

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that closes a kept-alive connection is not a fault.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the tests read what the fake recorded, not stderr

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """`body` as JSON (None: an empty body), with `headers` besides the length and type."""
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Hold:
    """Work the fake keeps waiting until the test releases it: how a test makes a provider call last as
    long as it needs (to cancel a job while its step is inside that call, say)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._armed = 0
        self._skip = 0
        self._released = threading.Event()
        self.held = 0  # how many were kept waiting so far

    def arm(self, times: int = 1, *, skip: int = 0) -> None:
        """Keep `times` calls waiting, after letting the next `skip` through."""
        with self._condition:
            self._armed += times
            self._skip = skip
            self._released.clear()

    def keep_if_armed(self, limit: float = 300) -> None:
        """Called by the fake on its way to answer: waits for release() when the hold is armed."""
        with self._condition:
            if self._armed <= 0:
                return
            if self._skip > 0:
                self._skip -= 1
                return
            self._armed -= 1
            self.held += 1
            self._condition.notify_all()
        self._released.wait(limit)

    def wait_until_held(self, count: int = 1, timeout: float = 120) -> None:
        with self._condition:
            if not self._condition.wait_for(lambda: self.held >= count, timeout):
                raise TimeoutError(f"no call arrived to hold within {timeout:.0f}s")

    def release(self) -> None:
        with self._condition:
            self._armed = 0
        self._released.set()


class HttpFake:
    handler: type[BaseHTTPRequestHandler]
    thread_name = "fake-service"

    def __init__(self, port: int = 0) -> None:
        self.requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        server = _Server(("127.0.0.1", self.requested_port), self.handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(POLL_SECONDS,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("start() the fake first")
        return self._server.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"
