"""`workopti run`, the process behind `make run`: it brings everything up, answers ready, and on SIGTERM
stops every child it started, leaving no process behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from cli.stack.redis import free_port
from tests.conftest import _data_dir


def test_run_starts_everything_and_sigterm_leaves_no_orphan() -> None:
    data_dir = _data_dir("launcher")
    api_port, flower_port = free_port(), free_port()
    env = {**os.environ, "WORKOPTI_DATA_DIR": str(data_dir), "API_PORT": str(api_port),
           "FLOWER_PORT": str(flower_port), "DATABASE_URL": "", "REDIS_URL": ""}  # fmt: skip
    launcher = subprocess.Popen(
        [str(Path(sys.executable).parent / "workopti"), "run"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        ready = None
        while time.monotonic() < deadline and launcher.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{api_port}/health/ready", timeout=2)
                status = httpx.get(f"http://127.0.0.1:{api_port}/health/status", timeout=5).json()
                if ready.status_code == 200 and not status["queues_without_workers"]:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert ready is not None and ready.status_code == 200, (
            launcher.stdout.read() if launcher.stdout else ""
        )
        assert httpx.get(f"http://127.0.0.1:{flower_port}/", timeout=5).status_code == 200
        assert set(status["workers"]) and {"ocr", "embed", "ai", "maintenance"} <= {
            q for queues in status["workers"].values() for q in queues
        }
        descendants = psutil.Process(launcher.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in descendants)
        for expected in (
            "postgres",
            "redis-server",
            "uvicorn",
            "-Q ocr",
            "-Q embed",
            "-Q ai",
            "-Q maintenance",
            "flower",
        ):
            assert expected in names, expected

        launcher.send_signal(signal.SIGTERM)
        output, _ = launcher.communicate(timeout=120)
        assert launcher.returncode == 0, output
        assert "stopped" in output
        time.sleep(0.5)
        survivors = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert survivors == [], [p.cmdline() for p in survivors]
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
