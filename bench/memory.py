"""Peak memory of every process of the product while it processes one big document: a 500-page text PDF
(text layer, chunked and embedded in batches) and a 100-page scan (every page OCRed), each uploaded to
a fresh local stack (`make run`'s processes: API, one worker per queue with its pool, beat, PostgreSQL,
Redis). Resident memory (RSS, with a worker's pool children added to it) is sampled every 0.2 s until
the document is ready; the baseline is the same processes idle, measured just before the upload. The
upload limit is raised to the scan's size (noisy scans are large).

    python -m bench.memory [--text-pages 500] [--scan-pages 100]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from bench.report import print_table
from cli.stack.redis import free_port
from cli.stack.stack import Stack, StackOptions
from testkit import documents

MIB = 1024 * 1024
PARAGRAPH = (
    "Page {n}. The committee reviewed the harbour accounts for the quarter, the maintenance of the "
    "northern breakwater, the dredging contract and the new fee schedule for visiting vessels. "
)


def _rss(process: psutil.Process) -> tuple[int, int]:
    """The resident memory of the process with its children (a worker's pool), and of the largest."""
    total = largest = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            rss = member.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


class Sampler(threading.Thread):
    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peaks = dict.fromkeys(pids, 0)
        self.largest = dict.fromkeys(pids, 0)
        self.stopped = threading.Event()

    def sample(self) -> dict[str, tuple[int, int]]:
        return {name: _rss(process) for name, process in self.processes.items()}

    def run(self) -> None:
        while not self.stopped.is_set():
            for name, (total, largest) in self.sample().items():
                self.peaks[name] = max(self.peaks[name], total)
                self.largest[name] = max(self.largest[name], largest)
            time.sleep(0.2)


def measure(label: str, content: bytes, filename: str) -> list[list[object]]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    data_dir.chmod(0o755)
    # A noisy 150-dpi scan of 100 pages passes the default 50 MiB upload limit.
    env = {"DATABASE_URL": "", "REDIS_URL": "", "MAX_UPLOAD_BYTES": str(len(content) + MIB)}
    stack = Stack(StackOptions(data_dir=data_dir, api_port=free_port(), flower_port=None, env=env))
    stack.start()
    try:
        api = httpx.Client(base_url=stack.api_url, timeout=120)
        token = api.post("/api/v1/auth/dev-token", json={"user_id": "memory"}).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        pids = {name: process.pid for name, process in stack.supervisor.processes.items() if process.pid}
        sampler = Sampler(pids)
        idle = sampler.sample()
        sampler.start()
        started = time.monotonic()
        uploaded = api.post("/api/v1/documents", files={"file": (filename, content, "application/pdf")})
        uploaded.raise_for_status()
        document_id = uploaded.json()["id"]
        while (status := api.get(f"/api/v1/documents/{document_id}").json()["status"]) not in (
            "ready", "failed", "cancelled",
        ):  # fmt: skip
            time.sleep(1)
        elapsed = time.monotonic() - started
        sampler.stopped.set()
        sampler.join()
        if status != "ready":
            raise SystemExit(f"{label}: the document ended {status}")
        return [
            [
                f"{label}: {name}",
                f"{idle[name][0] / MIB:.0f}",
                f"{sampler.peaks[name] / MIB:.0f}",
                f"{sampler.largest[name] / MIB:.0f}",
                f"{elapsed:.0f}",
            ]
            for name in sorted(pids)
        ]
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--text-pages", type=int, default=500)
    parser.add_argument("--scan-pages", type=int, default=100)
    args = parser.parse_args()
    rows: list[list[object]] = []
    if args.text_pages:
        pages = [PARAGRAPH.format(n=n) * 6 for n in range(1, args.text_pages + 1)]
        rows += measure(f"{args.text_pages}-page text PDF", documents.text_pdf(pages), "big-text.pdf")
    if args.scan_pages:
        pages = [PARAGRAPH.format(n=n) * 3 for n in range(1, args.scan_pages + 1)]
        rows += measure(f"{args.scan_pages}-page scan", documents.scanned_pdf(pages), "big-scan.pdf")
    print_table(
        "Peak memory per service while one big document is processed (RSS; a worker's peak adds its pool "
        "process to its main process, the largest process is either alone)",
        ["document: service", "idle MiB", "peak MiB", "largest process MiB", "seconds to ready"],
        rows,
    )


if __name__ == "__main__":
    main()
