"""The real API app served by uvicorn on a local port, for tests that need to build the app with settings
of their own (auth modes, environments) rather than use the session's stack.

Starting and stopping a uvicorn server costs a few tenths of a second, more than most of these tests
take; so servers are kept in a pool for the session and lent to one app at a time. An app still goes
through its own lifespan (startup when lent a server, shutdown when the test ends), over real HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from cli.stack.redis import free_port

# One TLS context for every test client: building one reads the whole CA bundle, which costs more than
# most requests the tests make (and these clients speak plain HTTP to local servers anyway).
CLIENT_TLS = ssl.create_default_context()


class _LentServer:
    """A uvicorn server on a port of its own that serves whichever app it is lent to."""

    def __init__(self) -> None:
        self.port = free_port()
        self.app: FastAPI | None = None
        self._lifespan: AbstractAsyncContextManager[Any] | None = None
        self._loop = asyncio.new_event_loop()
        config = uvicorn.Config(
            self._serve, host="127.0.0.1", port=self.port, log_config=None, lifespan="off", interface="asgi3"
        )
        self._server = uvicorn.Server(config)
        threading.Thread(target=self._loop.run_forever, name=f"api-{self.port}", daemon=True).start()
        self._serving = asyncio.run_coroutine_threadsafe(self._server.serve(), self._loop)
        started = asyncio.run_coroutine_threadsafe(self._wait_started(), self._loop)
        started.result(timeout=30)

    async def _wait_started(self) -> None:
        while not self._server.started:
            if self._serving.done():
                self._serving.result()  # raises what stopped it
            await asyncio.sleep(0.005)

    async def _serve(self, scope: Any, receive: Any, send: Any) -> None:
        app = self.app
        if app is None:
            raise RuntimeError(f"a request reached port {self.port} while no app was lent it")
        await app(scope, receive, send)

    def lend(self, app: FastAPI) -> None:
        self.app = app
        self._lifespan = app.router.lifespan_context(app)
        asyncio.run_coroutine_threadsafe(self._lifespan.__aenter__(), self._loop).result(timeout=30)

    def take_back(self) -> None:
        if self._lifespan is not None:
            ending = self._lifespan.__aexit__(None, None, None)
            asyncio.run_coroutine_threadsafe(ending, self._loop).result(timeout=30)
        self.app, self._lifespan = None, None


_idle: list[_LentServer] = []
_idle_lock = threading.Lock()


def _borrow() -> _LentServer:
    with _idle_lock:
        if _idle:
            return _idle.pop()
    return _LentServer()


class ServedApps:
    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self._lent: list[tuple[_LentServer, httpx.Client]] = []

    def start(self, app: FastAPI) -> httpx.Client:
        # create_app configures the process's logging afresh, which detaches the test's log capture.
        root = logging.getLogger()
        if self.caplog.handler not in root.handlers:
            root.addHandler(self.caplog.handler)
        server = _borrow()
        server.lend(app)
        client = httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=60, verify=CLIENT_TLS)
        self._lent.append((server, client))
        self.caplog.clear()
        return client

    def stop_all(self) -> None:
        for server, client in self._lent:
            client.close()
            server.take_back()
            with _idle_lock:
                _idle.append(server)
        self._lent.clear()
