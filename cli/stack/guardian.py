"""A small process that stops every service once the launcher is gone, however it went.

The launcher starts the guardian before any service and keeps one end of a socket pair to it; it tells
the guardian each service's process group and stop signal as it starts them, and forgets a group once
it has stopped and reaped it. The kernel closes the launcher's end when the launcher exits for any
reason, SIGKILL included, so the guardian reads end-of-file; it then sends every group still known its
stop signal, waits a short grace for them to go, SIGKILLs what is left and exits. After an orderly stop
the launcher has forgotten every group, so the guardian just exits.

Why a process rather than PR_SET_PDEATHSIG alone: the parent-death signal is one signal, sent once,
to the direct child only. A Celery worker whose broker has gone is stuck in its reconnect loop and
does not act on SIGTERM, its pool children never get the signal at all, and nothing can follow up
with SIGKILL. The kernel also sends it when the *thread* that started the child ends, not the process.
The children keep their parent-death signal as a first, immediate notice (it needs no other process
if the guardian was killed too); the guardian is what makes the stop certain.

The guardian runs in a session of its own, so a Ctrl-C or a signal to the launcher's process group
does not reach it, and logs to a file, since the launcher's terminal or pipe may be gone too. It
imports only the standard library, so it starts in a fraction of a second.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from cli.stack.output import tail

log = logging.getLogger("workopti.stack")

# How long services get to stop on their own signal before SIGKILL, once the launcher is gone.
GRACE_SECONDS = 10.0
_READY = b"ready\n"


class Guardian:
    """The launcher's side: starts the guardian and keeps it told which process groups to stop."""

    def __init__(self, log_path: Path, grace: float = GRACE_SECONDS) -> None:
        self.log_path = log_path
        self.grace = grace
        self.process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._groups: dict[int, int] = {}  # process group -> its stop signal
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None and self._socket is not None

    def start(self) -> None:
        """Start the guardian and tell it every group already known; refuse to go on without one."""
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        self._close_locked()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        ours, theirs = socket.socketpair()
        with self.log_path.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli.stack.guardian", str(theirs.fileno()), str(self.grace)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sink,
                pass_fds=(theirs.fileno(),), start_new_session=True,
            )  # fmt: skip
        theirs.close()
        ours.settimeout(30)
        try:
            answer = ours.recv(len(_READY))
        except OSError:
            answer = b""
        if answer != _READY:
            ours.close()
            self.process.kill()
            self.process.wait()
            raise RuntimeError(
                f"the launcher's guardian did not start (exit {self.process.returncode}): "
                f"{tail(self.log_path.read_bytes())}"
            )
        ours.settimeout(None)
        self._socket = ours
        for group, stop_signal in self._groups.items():
            self._send_locked(f"add {group} {stop_signal}")
        log.info("started guardian (pid %s)", self.process.pid)

    def watch(self, group: int, stop_signal: int) -> None:
        with self._lock:
            self._groups[group] = stop_signal
            self._send_locked(f"add {group} {stop_signal}")

    def forget(self, group: int) -> None:
        with self._lock:
            self._groups.pop(group, None)
            self._send_locked(f"drop {group}")

    def ensure_running(self) -> None:
        """Start a new guardian if this one died (someone killed it); the groups carry over."""
        with self._lock:
            if self.process is None or (self.process.poll() is None and self._socket is not None):
                return
            code = self.process.returncode
            log.error("the guardian exited (code %s); starting another", code)
            self._start_locked()

    def close(self) -> None:
        """Let the guardian go: it stops whatever is still registered, then exits."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.wait(self.grace + 10)
            except subprocess.TimeoutExpired:
                log.error("the guardian (pid %s) did not exit; killing it", self.process.pid)
                self.process.kill()
                self.process.wait()

    def _send_locked(self, command: str) -> None:
        if self._socket is None:
            return
        try:
            self._socket.sendall(command.encode() + b"\n")
        except OSError:  # it died: ensure_running starts another and replays every group
            self._socket.close()
            self._socket = None


# --- the guardian process ----------------------------------------------------------------------


def _say(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        sys.stderr.write(f"{stamp} guardian[{os.getpid()}]: {message}\n")
        sys.stderr.flush()
    except OSError:
        pass


def _live(groups: set[int]) -> set[int]:
    """Groups that still have a process other than a zombie (an orphaned zombie is harmless, and
    may never be reaped where PID 1 does not reap)."""
    if not os.path.isdir("/proc"):
        return {group for group in groups if _signal({group: 0})}
    live: set[int] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) in groups:
            live.add(int(fields[2]))
    return live


def _signal(signals: dict[int, int]) -> bool:
    """Send each group its signal; whether any group was there to receive one."""
    reached = False
    for group, sig in signals.items():
        try:
            os.killpg(group, sig)
            reached = True
        except (ProcessLookupError, PermissionError):
            pass
    return reached


def stop_groups(groups: dict[int, int], grace: float) -> None:
    """Each group's stop signal, then SIGKILL to any group still alive after `grace` seconds."""
    if not groups:
        return
    _say(f"the launcher's end closed; stopping process groups {sorted(groups)}")
    _signal(groups)
    deadline = time.monotonic() + grace
    remaining = _live(set(groups))
    while remaining and time.monotonic() < deadline:
        time.sleep(0.1)
        remaining = _live(remaining)
    if remaining:
        _say(f"still running after {grace:.0f}s, killing process groups {sorted(remaining)}")
        _signal(dict.fromkeys(remaining, signal.SIGKILL))


def main(argv: list[str]) -> int:
    channel = socket.socket(fileno=int(argv[1]))
    grace = float(argv[2])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    groups: dict[int, int] = {}
    channel.sendall(_READY)
    with channel.makefile("rb") as commands:
        for line in commands:  # ends when the launcher's end closes: on purpose or because it died
            match line.split():
                case [b"add", group, stop_signal]:
                    groups[int(group)] = int(stop_signal)
                case [b"drop", group]:
                    groups.pop(int(group), None)
    stop_groups(groups, grace)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
