"""Upload acceptance: requests/s and latency at 16 concurrent clients, against a bare FastAPI endpoint
that streams the same multipart body to disk, both measured in this run on this machine.

Our path does more per request (auth, hashing, type sniffing and validation, blob store, a database
transaction, a broker publish); the baseline shows what the web stack alone costs. A third row runs our
path with every request traced and exported over OTLP (to a local sink), which is what tracing costs.

    python -m bench.upload [--requests 400] [--concurrency 16] [--size 65536]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from bench.report import print_table
from cli.stack.redis import free_port
from cli.stack.stack import Stack, StackOptions

BASELINE_APP = """
import shutil, tempfile
from fastapi import FastAPI, UploadFile
app = FastAPI()
@app.post("/upload", status_code=202)
async def upload(file: UploadFile):
    with tempfile.NamedTemporaryFile(dir="{spool}", delete=True) as out:
        shutil.copyfileobj(file.file, out, 1024 * 1024)
    return {{"ok": True}}
"""


def _payload(index: int, size: int) -> bytes:
    line = f"benchmark document {index} " + os.urandom(8).hex() + "\n"
    body = (line * (size // len(line) + 1))[:size]
    return body.encode()


async def _hammer(
    url: str, users: list[dict[str, str]], total: int, concurrency: int, size: int
) -> tuple[float, list[float], int]:
    """`total` uploads from `concurrency` clients; client k sends as users[k % len(users)]."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker(headers: dict[str, str]) -> None:
            nonlocal errors
            while not queue.empty():
                i = queue.get_nowait()
                files = {"file": (f"doc-{i}.txt", _payload(i, size), "text/plain")}
                started = time.perf_counter()
                response = await client.post(url, files=files, data={"pipeline": "extract"}, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code not in (200, 202):
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(users[k % len(users)]) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, errors


def _row(name: str, total: int, elapsed: float, latencies: list[float], errors: int) -> list[object]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return [
        name,
        total,
        errors,
        f"{total / elapsed:.1f}",
        f"{statistics.median(ordered) * 1000:.1f}",
        f"{p99 * 1000:.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--size", type=int, default=64 * 1024)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        spool = Path(tmp) / "spool"
        spool.mkdir()
        app_file = Path(tmp) / "baseline_app.py"
        app_file.write_text(BASELINE_APP.format(spool=spool))
        port = free_port()
        baseline = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "baseline_app:app", "--port", str(port), "--no-access-log",
             "--log-level", "warning"],
            cwd=tmp,
        )  # fmt: skip
        try:
            _wait(f"http://127.0.0.1:{port}/docs")
            asyncio.run(
                _hammer(f"http://127.0.0.1:{port}/upload", [{}], 32, args.concurrency, args.size)
            )  # warm up
            elapsed, latencies, errors = asyncio.run(
                _hammer(f"http://127.0.0.1:{port}/upload", [{}], args.requests, args.concurrency, args.size)
            )
            rows.append(_row("bare FastAPI, stream to disk", args.requests, elapsed, latencies, errors))
        finally:
            baseline.terminate()
            baseline.wait()

    # One user's uploads share that user's fair-share dispatch lock; many users' do not.
    rows.append(_measure_ours("WorkOpti POST /api/v1/documents, one user", {}, 1, args))
    rows.append(
        _measure_ours(
            f"WorkOpti POST /api/v1/documents, {args.concurrency} users", {}, args.concurrency, args
        )
    )
    with _otlp_sink() as endpoint:
        traced = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "TRACE_SAMPLE_RATIO": "1"}
        rows.append(
            _measure_ours(
                f"the same, {args.concurrency} users, every request traced", traced, args.concurrency, args
            )
        )

    print_table(
        f"Upload acceptance: {args.size // 1024} KiB text files, {args.concurrency} concurrent clients, "
        "one server process each",
        ["endpoint", "requests", "errors", "requests/s", "p50 ms", "p99 ms"],
        rows,
    )


# One user sends every request, faster than any person would: the quotas stay on (their Redis checks
# are part of each request's cost) with limits this run cannot reach.
UNREACHABLE_QUOTAS = {
    "QUOTA_UPLOADS_PER_MINUTE": "1000000",
    "QUOTA_REQUESTS_PER_MINUTE": "1000000",
    "QUOTA_ACTIVE_DOCUMENTS": "1000000",
    "QUOTA_UPLOAD_BYTES_PER_DAY": str(1024**4),
}


def _measure_ours(name: str, env: dict[str, str], user_count: int, args: argparse.Namespace) -> list[object]:
    data_dir = Path(tempfile.mkdtemp(prefix="workopti-bench-"))
    data_dir.chmod(0o755)
    stack = Stack(StackOptions(data_dir=data_dir, api_port=free_port(), flower_port=None, workers=False,
                               env={"DATABASE_URL": "", "REDIS_URL": ""} | UNREACHABLE_QUOTAS | env,
                               fast_unsafe_database=False))  # fmt: skip
    stack.start(wait=False)
    try:
        _wait(f"{stack.api_url}/health/ready")
        users = [_signed_in(stack.api_url, f"bench-{k}") for k in range(user_count)]
        url = f"{stack.api_url}/api/v1/documents"
        asyncio.run(_hammer(url, users, 32, args.concurrency, args.size))
        elapsed, latencies, errors = asyncio.run(
            _hammer(url, users, args.requests, args.concurrency, args.size)
        )
        if errors:
            raise SystemExit(
                f"{name}: {errors} of {args.requests} uploads were refused; the numbers would lie"
            )
        return _row(name, args.requests, elapsed, latencies, errors)
    finally:
        stack.stop()


def _signed_in(api_url: str, user_id: str) -> dict[str, str]:
    token = httpx.post(f"{api_url}/api/v1/auth/dev-token", json={"user_id": user_id}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


class _Sink(BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP exports and drops them, as a collector's receiver would acknowledge them."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def _otlp_sink() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


if __name__ == "__main__":
    main()
