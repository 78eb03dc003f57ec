"""The guardian: whatever kills the launcher, its services go too, even those that ignore their stop
signal, and a guardian that was itself killed is replaced without losing track of them."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from cli.stack.processes import ServiceSpec, Supervisor
from tests.conftest import _data_dir

# Each starts real processes (a launcher, its guardian and services) and waits for them.
pytestmark = pytest.mark.slow

# A launcher in miniature: the real Supervisor with one service that ignores SIGTERM and SIGINT (as a
# Celery worker stuck reconnecting to a vanished broker does) and has a child of its own, and one that
# stops on SIGTERM. It prints the guardian's pid, then the replacement's after the test kills it.
LAUNCHER = """
import sys, time
from pathlib import Path
from cli.stack.processes import ServiceSpec, Supervisor

supervisor = Supervisor(Path(sys.argv[1]))
env = {"PATH": "/usr/bin:/bin"}
supervisor.start(ServiceSpec("stubborn", ["bash", "-c", "trap '' TERM INT; sleep 600 & wait"], env))
supervisor.start(ServiceSpec("polite", ["sleep", "600"], env))
supervisor.watch(interval=0.1)
print(supervisor.guardian.pid, flush=True)
first = supervisor.guardian.pid
while supervisor.guardian.pid == first or not supervisor.guardian.running():
    time.sleep(0.05)
print(supervisor.guardian.pid, flush=True)
time.sleep(600)
"""


@pytest.fixture
def log_dir() -> Iterator[Path]:
    path = _data_dir("guardian")
    yield path / "logs"
    shutil.rmtree(path, ignore_errors=True)


def _gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_killed_launcher_takes_every_service_with_it_even_one_ignoring_sigterm(log_dir: Path) -> None:
    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(log_dir)], stdout=subprocess.PIPE, text=True
    )
    services: list[psutil.Process] = []
    try:
        assert launcher.stdout is not None
        first_guardian = psutil.Process(int(launcher.stdout.readline()))
        services = [
            p for p in psutil.Process(launcher.pid).children(recursive=True) if p.pid != first_guardian.pid
        ]
        commands = [" ".join(p.cmdline()) for p in services]
        assert len([c for c in commands if c == "sleep 600"]) == 2 and any("trap" in c for c in commands)

        first_guardian.kill()  # whoever killed it, the launcher starts another and tells it every group
        guardian = psutil.Process(int(launcher.stdout.readline()))
        assert guardian.pid != first_guardian.pid

        launcher.send_signal(signal.SIGKILL)
        launcher.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(_gone(p) for p in [*services, guardian]):
            time.sleep(0.2)
        assert [" ".join(p.cmdline()) for p in services if not _gone(p)] == []
        assert _gone(guardian)
        said = (log_dir / "guardian.log").read_text()
        assert "killing process groups" in said, said  # the stubborn one needed SIGKILL
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        for process in services:  # a failed run leaves nothing behind either
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def test_an_orderly_stop_leaves_the_guardian_nothing_to_do(log_dir: Path) -> None:
    supervisor = Supervisor(log_dir)
    supervisor.start(ServiceSpec("polite", ["sleep", "600"], {"PATH": "/usr/bin:/bin"}))
    guardian = supervisor.guardian.process
    assert guardian is not None and guardian.poll() is None
    supervisor.stop()
    assert guardian.returncode == 0
    assert "stopping process groups" not in (log_dir / "guardian.log").read_text()
