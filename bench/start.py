"""Start: how long `make run` takes on an installed checkout until the whole product is up (the database,
Redis, migrations, the API serving the app, every worker and Flower: what `workopti run` waits for
before it prints "WorkOpti is up"), on a fresh data directory (the database is created and migrated)
and again on the same one, beside what a bare FastAPI app takes to answer its first request under
uvicorn on the same machine (the floor for any Python web process).

    python -m bench.start [--runs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import print_table
from cli.stack.redis import free_port

ROOT = Path(__file__).resolve().parent.parent
READY_LINE = "WorkOpti is up"
BARE_APP = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/")
def root():
    return {"ok": True}
"""


def time_make_run(data_dir: Path, timeout: float = 300) -> float:
    """Seconds from `make run` to the product saying it is up; the product is stopped afterwards."""
    env = os.environ | {
        "WORKOPTI_DATA_DIR": str(data_dir),
        "API_PORT": str(free_port()),
        "FLOWER_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # Ctrl-C goes to the whole group, as from a terminal
    )
    assert process.stdout is not None
    try:
        deadline = started + timeout
        seen: list[str] = []
        for line in process.stdout:
            if line.startswith(READY_LINE):
                return time.perf_counter() - started
            seen.append(line)
            if time.perf_counter() > deadline:
                break
        tail = "".join(seen[-20:])
        raise SystemExit(f"make run did not come up within {timeout:.0f} s (exit {process.poll()}):\n{tail}")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def time_bare_uvicorn(work: Path, timeout: float = 60) -> float:
    (work / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning"],
        cwd=work,
    )
    try:
        while time.perf_counter() - started < timeout:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                time.sleep(0.02)
        raise SystemExit("the bare app did not answer")
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--runs", type=int, default=2, help="starts on the same data directory after the first"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # the embedded PostgreSQL runs as its own user and must reach its directory
        data_dir = work / "data"
        rows: list[list[object]] = [
            ["bare FastAPI under uvicorn, first answer", f"{time_bare_uvicorn(work):.1f}"]
        ]
        rows.append(
            ["make run, fresh data directory (database created, migrated)", f"{time_make_run(data_dir):.1f}"]
        )
        for n in range(args.runs):
            rows.append(
                [f"make run again, same data directory (start {n + 2})", f"{time_make_run(data_dir):.1f}"]
            )
        shutil.rmtree(data_dir, ignore_errors=True)
    print_table(
        "Start: seconds until everything is up (API, app, every worker, Flower)", ["start", "seconds"], rows
    )


if __name__ == "__main__":
    main()
