"""OpenAI embeddings throughput: our provider against the bare SDK call, on the same inputs, in this run.

Both talk to the local fake OpenAI service (testkit/fakes/openai_server.py, in a process of its own so its
work does not compete with the client for the interpreter) through the same SDK client configuration, so
the difference is what the provider adds: counting and cutting inputs with tiktoken, grouping them within
the service's limits, checking the reply (count, order, size, unit length) and recording usage. Against
the real service, network and model time come on top of both, so the provider's share is smaller still.

- raw: `client.embeddings.create(model=..., input=batch)` per batch (the SDK's default base64);
- ours: `OpenAIEmbeddingProvider.embed(batch)` per batch.

Inputs are chunk-sized passages. Batches of 32 are what the embed step sends (EMBEDDING_BATCH_SIZE);
batches of 2048 are the most one request may carry. The two paths take turns, five runs each; the best
run is reported (the machine is shared). "client CPU" is the CPU time of this process in that run.

    python -m bench.openai_embeddings
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

from bench.report import print_table
from shared.config import EmbeddingsSettings, OpenAISettings, Settings
from shared.providers.embeddings.openai import OpenAIEmbeddingProvider, tokenizer
from shared.providers.openai_client import build_client
from testkit.fakes.openai_server import FakeOpenAI

RUNS = 5
INPUTS = 4096
MODEL = "text-embedding-3-small"
PARAGRAPHS = (
    "The supplier shall deliver the goods within ten working days of the order. Risk passes to the "
    "customer on delivery. Claims for visible damage must be made on the delivery note.",
    "Customer churn fell from six to four percent after the loyalty programme was introduced, while "
    "the average order value rose by nine percent in the same period.",
    "Always check the brakes, horn and lights before starting a shift, and never lift loads above the "
    "rated capacity shown on the data plate of the forklift.",
    "The quarterly report describes the revenue of the northern region. Sales grew by twelve percent "
    "compared with the previous quarter, driven by new customers in the logistics sector.",
)


def passages(count: int) -> list[str]:
    """Distinct chunk-sized passages: four paragraphs in rotating order, numbered."""
    return [
        f"Section {n}. " + " ".join(PARAGRAPHS[(n + i) % len(PARAGRAPHS)] for i in range(4))
        for n in range(count)
    ]


def serve(conn: Connection) -> None:
    """The fake service, in its own process until told to stop."""
    with FakeOpenAI() as fake:
        conn.send((fake.base_url, fake.api_key))
        conn.recv()


def timed(run: Callable[[], object]) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    texts = passages(INPUTS)
    mean_tokens = sum(len(tokenizer().encode_ordinary(t)) for t in texts) / len(texts)
    ours_end, server_end = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(server_end,), daemon=True)
    server.start()
    try:
        base_url, api_key = ours_end.recv()
        settings = Settings(
            embeddings=EmbeddingsSettings(provider="openai"),
            openai=OpenAISettings(api_key=api_key, base_url=base_url, embedding_model=MODEL),
        )
        provider = OpenAIEmbeddingProvider(settings, "openai")
        client = build_client(settings, "openai")
        rows: list[list[object]] = []
        for size in (32, 2048):
            batches = [texts[i : i + size] for i in range(0, len(texts), size)]

            def raw(batches: list[list[str]] = batches) -> None:
                for batch in batches:
                    client.embeddings.create(model=MODEL, input=batch)

            def ours(batches: list[list[str]] = batches) -> None:
                for batch in batches:
                    provider.embed(batch)

            raw()  # the fake's word vectors cached, connections open, tokenizer loaded
            ours()
            runs: dict[str, list[tuple[float, float]]] = {"raw": [], "ours": []}
            for _ in range(RUNS):
                runs["raw"].append(timed(raw))
                runs["ours"].append(timed(ours))
            raw_seconds = min(runs["raw"])[0]
            for name, path in (("raw", "raw client.embeddings.create"), ("ours", "ours: provider.embed")):
                seconds, cpu = min(runs[name])
                rows.append(
                    [
                        path,
                        size,
                        len(batches),
                        seconds,
                        len(batches) / seconds,
                        len(texts) / seconds,
                        cpu,
                        f"{(seconds / raw_seconds - 1) * 100:+.1f}%",
                    ]
                )
    finally:
        ours_end.send("stop")
        server.join(timeout=10)
    print_table(
        f"OpenAI embeddings against the local fake service, {MODEL} (1536 dimensions): "
        f"{len(texts)} inputs of {mean_tokens:.0f} tokens on average",
        ["path", "batch", "requests", "seconds", "batches/s", "inputs/s", "client CPU s", "time vs raw"],
        rows,
    )


if __name__ == "__main__":
    main()
