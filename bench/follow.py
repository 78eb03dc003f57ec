"""Following a batch of uploads to the end: HTTP requests and time with the live event stream against
ETag polling (the baseline, once a second, as `workopti submit --wait` did before the stream), on the
same product in this run. Each way follows its own batch of small text documents through the whole
pipeline; the requests counted are those made while following (the uploads are the same for both).

Polling costs one request per unfinished document per second, so its count grows with how long the
documents take; the stream costs two per document (one look when it opens, one when each ends).

    python -m bench.follow [--documents 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.report import print_table
from cli.client import ApiClient
from cli.follow import by_events, by_polling
from cli.stack.redis import free_port
from cli.stack.stack import Stack, StackOptions

QUOTAS_OFF = {
    "QUOTA_UPLOADS_PER_MINUTE": "0",
    "QUOTA_REQUESTS_PER_MINUTE": "0",
    "QUOTA_ACTIVE_DOCUMENTS": "0",
}


class CountingClient(ApiClient):
    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.requests = 0
        self.http.event_hooks["request"].append(self._count)

    def _count(self, _request: httpx.Request) -> None:
        self.requests += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="workopti-bench-follow-"))
    data_dir.chmod(0o755)
    stack = Stack(
        StackOptions(data_dir=data_dir, api_port=free_port(), flower_port=None,
                     env={"DATABASE_URL": "", "REDIS_URL": ""} | QUOTAS_OFF)
    )  # fmt: skip
    stack.start()
    rows = []
    try:
        _measure(stack, "warm-up", "polling", 3, data_dir, 0)  # the workers load their models once
        # Alternated, so neither way always runs on the warmer (or busier) machine.
        ways = (("ETag polling, every second", "polling"), ("live event stream", "events"))
        for round_no in range(1, args.rounds + 1):
            for name, follow in ways if round_no % 2 else reversed(ways):
                rows.append([round_no, *_measure(stack, name, follow, args.documents, data_dir, round_no)])
    finally:
        stack.stop()
    print_table(
        f"Following {args.documents} uploaded text documents until all are ready (extract, embed, ai)",
        ["round", "how", "requests while following", "requests per document", "seconds to all ready"],
        rows,
    )


def _measure(stack: Stack, name: str, how: str, count: int, data_dir: Path, round_no: int) -> list[object]:
    client = CountingClient(stack.api_url)
    client.sign_in_dev(f"bench-follow-{how}-{round_no}")
    documents: dict[str, dict[str, Any]] = {}
    for index in range(count):
        path = data_dir / f"{how}-{round_no}-{index}.txt"
        path.write_text(f"Bench note {index} {uuid.uuid4()}: the harbour office opens at six on weekdays.")
        document, _ = client.upload(path)
        documents[document["id"]] = document
    client.requests = 0
    started = time.perf_counter()
    if how == "events":
        by_events(client, documents, lambda _: None, status_only=False)
    else:
        by_polling(client, documents, lambda _: None, poll_seconds=1.0, status_only=False)
    elapsed = time.perf_counter() - started
    if any(document["status"] != "ready" for document in documents.values()):
        raise SystemExit(f"{name}: not every document became ready")
    client.close()
    return [name, client.requests, f"{client.requests / count:.1f}", f"{elapsed:.1f}"]


if __name__ == "__main__":
    main()
