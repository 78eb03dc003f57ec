"""The real API app served by uvicorn on a free port in a thread, for tests that need to build the app
with settings of their own (auth modes, environments) rather than use the session's stack."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from cli.stack.redis import free_port


class ServedApps:
    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self._running: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(self, app: FastAPI) -> httpx.Client:
        # create_app configures the process's logging afresh, which detaches the test's log capture.
        root = logging.getLogger()
        if self.caplog.handler not in root.handlers:
            root.addHandler(self.caplog.handler)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
        thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
        thread.start()
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        self._running.append((server, thread, client))
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
            time.sleep(0.02)
        self.caplog.clear()
        return client

    def stop_all(self) -> None:
        for server, thread, client in self._running:
            client.close()
            server.should_exit = True
            thread.join(timeout=30)
