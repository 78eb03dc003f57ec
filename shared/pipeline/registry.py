"""The steps of the pipeline with their providers, loaded on first use and kept for the process."""

from __future__ import annotations

from functools import cached_property

from shared.config import Settings
from shared.jobs.runner import Step
from shared.jobs.states import JobKind
from shared.pipeline.steps.ai import AiStep
from shared.pipeline.steps.embed import EmbedStep
from shared.pipeline.steps.extract import ExtractStep
from shared.providers.embeddings import EmbeddingProvider, get_embedding_provider
from shared.providers.llm import AnalysisProvider, get_analysis_provider
from shared.providers.ocr import OcrProvider, get_ocr_provider
from shared.providers.storage import BlobStore


class Providers:
    """Heavy models are loaded only by the worker that needs them: an OCR worker never loads the LLM."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def ocr(self) -> OcrProvider:
        return get_ocr_provider(self.settings.ocr)

    @cached_property
    def embeddings(self) -> EmbeddingProvider:
        return get_embedding_provider(self.settings)

    @cached_property
    def analyzer(self) -> AnalysisProvider:
        return get_analysis_provider(self.settings, self.embeddings)


def build_steps(settings: Settings, storage: BlobStore, providers: Providers) -> dict[JobKind, Step]:
    return {
        JobKind.EXTRACT: ExtractStep(storage, lambda: providers.ocr),
        JobKind.EMBED: EmbedStep(lambda: providers.embeddings),
        JobKind.AI: AiStep(lambda: providers.analyzer),
    }
