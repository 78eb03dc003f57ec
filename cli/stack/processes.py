"""Child processes that cannot outlive the launcher.

Each child runs in its own session (so a terminal's Ctrl-C reaches only the launcher, which then stops
everything in order) and is stopped by signalling its whole process group, so pool children of a Celery
worker go with it. If the launcher dies instead, the guardian (cli/stack/guardian.py, which explains the
choice) stops every group it was told about, escalating to SIGKILL; the kernel's parent-death signal
(PR_SET_PDEATHSIG) is each child's first, immediate notice.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from cli.stack.guardian import Guardian
from cli.stack.output import tail

log = logging.getLogger("workopti.stack")

_PR_SET_PDEATHSIG = 1


def _child_setup(death_signal: int) -> Callable[[], None]:
    launcher = os.getpid()

    def setup() -> None:
        # Runs in the child after any user switch (the kernel clears the setting on a credential change).
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, death_signal)
            if os.getppid() != launcher:  # the launcher died before prctl took effect
                os.kill(os.getpid(), death_signal)

    return setup


@dataclass
class ServiceSpec:
    """How to run one service."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 15.0
    user: str | None = None  # run as this system user (the embedded PostgreSQL refuses root)...
    group: str | None = None  # ...and this group, with no supplementary groups (none of root's)
    restart: bool = True


@dataclass
class ManagedProcess:
    spec: ServiceSpec
    log_path: Path
    echo: TextIO | None = None
    guardian: Guardian | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    _reader: threading.Thread | None = field(default=None, repr=False)
    _log_offset: int = 0  # where this run's output starts in the log file

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.process = subprocess.Popen(
            self.spec.argv,
            env=self.spec.env,
            cwd=self.spec.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self.spec.user,
            group=self.spec.group,
            extra_groups=[] if self.spec.user else None,
            preexec_fn=_child_setup(self.spec.stop_signal),
        )
        if self.guardian is not None:  # the child leads its own group: the group id is its pid
            self.guardian.watch(self.process.pid, self.spec.stop_signal)
        self._reader = threading.Thread(target=self._pump, name=f"log-{self.spec.name}", daemon=True)
        self._reader.start()
        log.info("started %s (pid %s)", self.spec.name, self.process.pid)

    def _pump(self) -> None:
        assert self.process and self.process.stdout
        prefix = f"{self.spec.name:>16} | ".encode()
        with self.log_path.open("ab") as sink:
            for line in iter(self.process.stdout.readline, b""):
                sink.write(line)
                sink.flush()
                if self.echo is not None:
                    try:
                        self.echo.buffer.write(prefix + line)
                        self.echo.flush()
                    except (ValueError, OSError):
                        pass

    def output(self) -> str:
        """The tail of what this run printed, once it has exited (for an error message)."""
        if self._reader is not None and not self.running():
            self._reader.join(timeout=5)
        with self.log_path.open("rb") as log_file:
            log_file.seek(self._log_offset)
            return tail(log_file.read())

    def failure(self, what: str) -> str:
        """`what`, with the exit status (if it exited) and the tail of what it printed."""
        code = self.process.poll() if self.process else None
        status = f" (exit code {code})" if code is not None else ""
        return f"{what}{status}. It printed:\n{self.output()}"

    def signal_group(self, sig: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:  # a child running as another user: signal the leader we started
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)

    def stop(self) -> None:
        """Ask politely, then insist: the stop signal, SIGKILL to the group after the timeout."""
        if self.process is None:
            return
        if self.running():
            self.signal_group(self.spec.stop_signal)
            try:
                self.process.wait(self.spec.stop_timeout)
            except subprocess.TimeoutExpired:
                log.warning(
                    "%s did not stop within %.0fs; killing it", self.spec.name, self.spec.stop_timeout
                )
        # Whatever is left in the group (a pool child that ignored the signal) is killed.
        self.signal_group(signal.SIGKILL)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            log.error("%s (pid %s) survived SIGKILL", self.spec.name, self.process.pid)
        else:
            if self.guardian is not None:
                self.guardian.forget(self.process.pid)
        if self._reader is not None:
            self._reader.join(timeout=2)


class Supervisor:
    """Starts services in order, restarts one that dies, stops them all in reverse order."""

    def __init__(self, log_dir: Path, echo: TextIO | None = None) -> None:
        self.log_dir = log_dir
        self.echo = echo
        self.processes: dict[str, ManagedProcess] = {}
        self.guardian = Guardian(log_dir / "guardian.log")
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self, spec: ServiceSpec) -> ManagedProcess:
        proc = ManagedProcess(spec, self.log_dir / f"{spec.name}.log", echo=self.echo, guardian=self.guardian)
        with self._lock:
            if self.guardian.process is None:  # before the first child, so none can be orphaned
                self.guardian.start()
            self.processes[spec.name] = proc
        proc.start()
        return proc

    def watch(self, interval: float = 0.5) -> None:
        """Restart services that exit on their own, with a growing pause between restarts."""
        self._watcher = threading.Thread(target=self._watch, args=(interval,), name="supervisor", daemon=True)
        self._watcher.start()

    def _watch(self, interval: float) -> None:
        next_try: dict[str, float] = {}
        while not self._stopping.wait(interval):
            try:
                self.guardian.ensure_running()
            except RuntimeError as exc:  # tried again next round; restarting services must go on
                log.error("%s", exc)
            with self._lock:
                procs = list(self.processes.values())
            for proc in procs:
                if proc.running() or not proc.spec.restart or self._stopping.is_set():
                    continue
                now = time.monotonic()
                if proc.spec.name not in next_try:
                    code = proc.process.returncode if proc.process else None
                    delay = min(30.0, 2.0**proc.restarts)
                    log.warning("%s exited (code %s); restarting in %.0fs", proc.spec.name, code, delay)
                    next_try[proc.spec.name] = now + delay
                if now >= next_try[proc.spec.name]:
                    del next_try[proc.spec.name]
                    proc.restarts += 1
                    proc.stop()  # reap and clear what is left of the old group
                    proc.start()

    def stop(self, tiers: list[list[str]] | None = None) -> None:
        """Stop tier by tier (the services of a tier side by side), then anything not named."""
        self._stopping.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=5)
        named = [name for tier in tiers or [] for name in tier]
        rest = [name for name in reversed(self.processes) if name not in named]
        for tier in [*(tiers or []), *([[name] for name in rest])]:
            procs = [self.processes[name] for name in tier if name in self.processes]
            threads = [threading.Thread(target=proc.stop, name=f"stop-{proc.spec.name}") for proc in procs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.guardian.close()
