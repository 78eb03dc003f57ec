"""Embeddings: text to L2-normalised vectors, with the model's own tokenizer for token-aware chunking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class EmbeddingProvider(Protocol):
    """One embedding model. Implementations load the model on first use and are safe to share."""

    key: str  # "<provider>:<model>", the row in the embedding_models table
    provider: str
    model: str
    max_input_tokens: int  # tokens the model reads per text, special tokens excluded

    @property
    def dimensions(self) -> int:
        """The length of its vectors (a cloud deployment may have to be asked once)."""
        ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) character offsets in `text` of each model token, without special tokens."""
        ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit-length vector per text, in input order."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """The vector of a search query."""
        ...
