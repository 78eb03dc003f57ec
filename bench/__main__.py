"""Run every benchmark in turn: `python -m bench` (or `make bench`). Each prints its own table."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "bench.start",
    "bench.upload",
    "bench.memory",
    "bench.dispatch",
    "bench.ask",
    "bench.follow",
    "bench.text_layer",
    "bench.ocr",
    "bench.extraction",
    "bench.embeddings",
    "bench.search",
    "bench.openai_embeddings",
    "bench.azure_ocr",
)


def main() -> int:
    failed = []
    for module in BENCHMARKS:
        print(f"\n=== {module}", flush=True)
        if subprocess.call([sys.executable, "-m", module]) != 0:
            failed.append(module)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
