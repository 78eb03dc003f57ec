"""What the pipeline's steps are built with: settings, blob storage and providers, each provider loaded
on first use and kept for the process, so an OCR worker never loads the language model."""

from __future__ import annotations

from functools import cached_property

from shared.config import Settings
from shared.providers.embeddings import EmbeddingProvider, get_embedding_provider
from shared.providers.llm import AnalysisProvider, get_analysis_provider
from shared.providers.ocr import OcrProvider, get_ocr_provider
from shared.providers.storage import BlobStore


class Resources:
    def __init__(self, settings: Settings, storage: BlobStore) -> None:
        self.settings = settings
        self.storage = storage

    @cached_property
    def ocr(self) -> OcrProvider:
        return get_ocr_provider(self.settings.ocr)

    @cached_property
    def embeddings(self) -> EmbeddingProvider:
        return get_embedding_provider(self.settings)

    @cached_property
    def analyzer(self) -> AnalysisProvider:
        return get_analysis_provider(self.settings, self.embeddings)
