"""What the pipeline's steps are built with: settings, blob storage and providers, each provider loaded
on first use and kept for the process, so an OCR worker never loads the language model."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from shared.config import LlmProviderName, Settings
from shared.extraction.local import LocalExtractor
from shared.extraction.types import Extractor
from shared.providers.embeddings import EmbeddingProvider, get_embedding_provider
from shared.providers.llm import AnalysisProvider, get_analysis_provider
from shared.providers.ocr import OcrProvider, get_ocr_provider
from shared.providers.ocr.factory import get_document_intelligence
from shared.providers.storage import BlobStore

if TYPE_CHECKING:
    from shared.providers.ocr.azure import AzureDocumentIntelligenceProvider


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

    def prebuilt_model(self, label: str | None) -> str | None:
        """The Document Intelligence prebuilt model that reads documents classified `label`, if any."""
        return self.settings.ocr.extraction_models().get(label) if label else None

    @cached_property
    def document_intelligence(self) -> AzureDocumentIntelligenceProvider:
        return get_document_intelligence(self.settings.ocr)

    @cached_property
    def extractor(self) -> Extractor:
        """Extraction of a schema's fields: the chat model of OpenAI or Azure OpenAI when LLM_PROVIDER
        names one, else local (patterns and the embeddings provider's model, no language model; its
        results say so)."""
        provider = self.settings.llm.provider
        if provider in (LlmProviderName.OPENAI, LlmProviderName.AZURE_OPENAI):
            from shared.providers.llm.extraction_openai import OpenAIExtractor

            return OpenAIExtractor(self.settings, provider.value)
        embeddings = self.embeddings
        return LocalExtractor(lambda texts: np.asarray(embeddings.embed(texts)), model=embeddings.model)
