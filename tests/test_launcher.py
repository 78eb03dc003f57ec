"""`workopti run`, the process behind `make run`: it brings everything up, answers ready, and leaves no
process behind, whether it is stopped with SIGTERM or killed outright while the broker is gone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from cli.stack.redis import free_port
from cli.stack.stack import worker_queues
from tests.conftest import STACK_ENV, _data_dir, _keep_logs

EVERY_SERVICE = ("postgres", "redis-server", "uvicorn", *(f"-Q {q}" for q in worker_queues()), "flower")

# `workopti run` starts its own embedded PostgreSQL and Redis, not the session's: that start is under test.
pytestmark = pytest.mark.stack


@dataclass
class Launched:
    process: subprocess.Popen[str]
    data_dir: Path
    api_port: int
    flower_port: int

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def process_of(self, marker: str, among: list[psutil.Process]) -> psutil.Process:
        """The service's main process (its children share its command line but not its parent)."""
        return next(p for p in among if marker in _command(p) and p.ppid() == self.process.pid)


@contextmanager
def launched(name: str) -> Iterator[Launched]:
    """`workopti run` in a process of its own, with its own data directory and free ports, until ready."""
    data_dir = _data_dir(name)
    api_port, flower_port = free_port(), free_port()
    env = {**os.environ, **STACK_ENV, "WORKOPTI_DATA_DIR": str(data_dir), "API_PORT": str(api_port),
           "FLOWER_PORT": str(flower_port), "DATABASE_URL": "", "REDIS_URL": ""}  # fmt: skip
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "workopti"), "run"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    started = Launched(process, data_dir, api_port, flower_port)
    seen: list[psutil.Process] = []
    try:
        _wait_ready(started)
        seen = started.descendants()
        yield started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for leftover in seen:  # a failed run leaves nothing behind either
            if leftover.is_running():
                leftover.kill()
        _keep_logs(data_dir / "logs", name)
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_ready(launched: Launched) -> None:
    deadline = time.monotonic() + 240
    ready = None
    status: dict = {}
    while time.monotonic() < deadline and launched.process.poll() is None:
        try:
            ready = httpx.get(f"http://127.0.0.1:{launched.api_port}/health/ready", timeout=2)
            status = httpx.get(f"http://127.0.0.1:{launched.api_port}/health/status", timeout=5).json()
            if ready.status_code == 200 and not status["queues_without_workers"]:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    assert ready is not None and ready.status_code == 200 and not status["queues_without_workers"], (
        launched.process.stdout.read()
        if launched.process.stdout and launched.process.poll() is not None
        else ""
    )
    assert set(worker_queues()) <= {q for queues in status["workers"].values() for q in queues}


def _command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _commands(processes: list[psutil.Process]) -> str:
    return "\n".join(_command(p) for p in processes if _alive(p))


def _alive(process: psutil.Process) -> bool:
    # An orphan's zombie is not a survivor: it runs nothing, and where PID 1 does not reap it stays.
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _survivors(processes: list[psutil.Process], within: float) -> list[psutil.Process]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(_alive(p) for p in processes):
        time.sleep(0.2)
    return [p for p in processes if _alive(p)]


def test_run_starts_everything_and_sigterm_leaves_no_orphan() -> None:
    with launched("launcher") as stack:
        assert httpx.get(f"http://127.0.0.1:{stack.flower_port}/", timeout=5).status_code == 200
        descendants = stack.descendants()
        names = _commands(descendants)
        for expected in (*EVERY_SERVICE, "cli.stack.guardian"):
            assert expected in names, expected

        stack.process.send_signal(signal.SIGTERM)
        output, _ = stack.process.communicate(timeout=120)
        assert stack.process.returncode == 0, output
        assert "stopped" in output
        assert [_command(p) for p in _survivors(descendants, within=5)] == []
        assert "stopping process groups" not in (stack.data_dir / "logs" / "guardian.log").read_text()


def test_a_killed_launcher_leaves_no_process_even_with_workers_stuck_reconnecting() -> None:
    with launched("launcher-killed") as stack:
        before = stack.descendants()
        redis = stack.process_of("redis-server", before)
        logs = stack.data_dir / "logs"
        workers = [logs / f"worker-{queue}.log" for queue in worker_queues()]
        offsets = {log: log.stat().st_size for log in workers}

        # The broker goes away for good: its directory is replaced by a file, so every restart the
        # launcher attempts fails, and then the running server is killed.
        redis_dir = stack.data_dir / "redis"
        redis_dir.rename(stack.data_dir / "redis-gone")
        redis_dir.write_text("not a directory")
        redis.kill()

        # Generous: on a loaded machine a worker busy with a beat or sweep tick notices last.
        deadline = time.monotonic() + 240
        reconnecting: set[Path] = set()
        while time.monotonic() < deadline and len(reconnecting) < len(workers):
            for log in workers:
                with log.open("rb") as lines:
                    lines.seek(offsets[log])
                    if b"Connection to broker lost" in lines.read():
                        reconnecting.add(log)
            time.sleep(0.5)
        assert reconnecting == set(workers), "every worker should be in its reconnect loop"
        assert stack.process.poll() is None  # the launcher itself kept going, restarting Redis in vain

        # Pool children and Redis restarts may have come and gone since: everything seen counts.
        descendants = list({p.pid: p for p in [*before, *stack.descendants()]}.values())
        names = _commands(descendants)
        for expected in (*EVERY_SERVICE, "cli.stack.guardian"):
            assert expected in names or expected == "redis-server", expected
        workers_and_pools = [p for p in descendants if "worker.app worker" in _command(p)]
        assert len(workers_and_pools) > len(worker_queues())  # their pool children are watched too

        # One worker cannot act on SIGTERM at all (frozen, as one stuck in its reconnect loop was found
        # to be): the launcher's death must still take it, which a single parent-death signal cannot.
        stuck = stack.process_of(f"-Q {worker_queues()[0]}", descendants)
        stuck.suspend()

        stack.process.send_signal(signal.SIGKILL)
        stack.process.wait()
        survivors = _survivors(descendants, within=90)
        assert [_command(p) for p in survivors] == []
        said = (logs / "guardian.log").read_text()
        killed = next((line for line in said.splitlines() if "killing process groups" in line), "")
        assert str(stuck.pid) in killed, said  # SIGTERM, then SIGKILL after the grace
