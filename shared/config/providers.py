"""Which provider does each kind of work, and how to reach the cloud ones."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from shared.config.base import ENV


class OcrProviderName(enum.StrEnum):
    LOCAL = "local"
    AZURE = "azure"  # Azure AI Document Intelligence


# Document Intelligence's prebuilt models that extraction maps onto schema fields (v4.0 has no
# business card model any more); their fields are catalogued in shared/extraction/prebuilt_fields.py.
PREBUILT_EXTRACTION_MODELS = ("prebuilt-invoice", "prebuilt-receipt", "prebuilt-idDocument")


class EmbeddingsProviderName(enum.StrEnum):
    LOCAL = "local"
    OPENAI = "openai"
    AZURE_OPENAI = "azure_openai"


class LlmProviderName(enum.StrEnum):
    LOCAL = "local"
    OPENAI = "openai"
    AZURE_OPENAI = "azure_openai"


class StorageSettings(BaseSettings):
    model_config = ENV

    local_dir: Path | None = Field(None, alias="LOCAL_STORAGE_DIR")
    # Either selects Azure Blob Storage; the account URL authenticates with DefaultAzureCredential.
    azure_connection_string: SecretStr | None = Field(None, alias="AZURE_STORAGE_CONNECTION_STRING")
    azure_account_url: str | None = Field(None, alias="AZURE_STORAGE_ACCOUNT_URL")
    azure_container: str = Field("workopti", alias="AZURE_STORAGE_CONTAINER", min_length=3, max_length=63)
    sas_ttl_seconds: int = Field(300, alias="AZURE_STORAGE_SAS_TTL_SECONDS", ge=30, le=7 * 24 * 3600)

    @property
    def uses_azure(self) -> bool:
        return bool(self.azure_connection_string or self.azure_account_url)


class OcrSettings(BaseSettings):
    model_config = ENV

    provider: OcrProviderName = Field(OcrProviderName.LOCAL, alias="OCR_PROVIDER")
    render_dpi: int = Field(200, alias="OCR_RENDER_DPI", ge=72, le=600)
    # A PDF page whose text layer has fewer letters and digits than this is treated as scanned.
    text_layer_min_chars: int = Field(16, alias="OCR_TEXT_LAYER_MIN_CHARS", ge=1)
    threads: int = Field(2, alias="OCR_THREADS", ge=1)
    # Pages with a usable text layer are never OCRed unless this is set.
    text_layer_pages: bool = Field(False, alias="OCR_TEXT_LAYER_PAGES")
    azure_endpoint: str | None = Field(None, alias="AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT")
    azure_key: SecretStr | None = Field(None, alias="AZURE_DOCUMENT_INTELLIGENCE_KEY")  # absent: Entra ID
    azure_model: str = Field("prebuilt-read", alias="AZURE_DOCUMENT_INTELLIGENCE_MODEL")
    # The service's limits (S0 tier): checked before a document is sent.
    azure_max_bytes: int = Field(500 * 1024 * 1024, alias="AZURE_DOCUMENT_INTELLIGENCE_MAX_BYTES", ge=1)
    azure_max_pages: int = Field(2000, alias="AZURE_DOCUMENT_INTELLIGENCE_MAX_PAGES", ge=1)
    azure_pages_per_request: int = Field(50, alias="AZURE_DOCUMENT_INTELLIGENCE_PAGES_PER_REQUEST", ge=1)
    azure_polling_seconds: float = Field(1.0, alias="AZURE_DOCUMENT_INTELLIGENCE_POLLING_SECONDS", gt=0)
    # label:model pairs: documents classified with the label have their schemas' fields read by the
    # prebuilt model first, where one of its fields matches. Empty: no prebuilt model is used.
    azure_extraction_models: str = Field(
        "invoice:prebuilt-invoice,receipt:prebuilt-receipt",
        alias="AZURE_DOCUMENT_INTELLIGENCE_EXTRACTION_MODELS",
    )

    @field_validator("azure_extraction_models")
    @classmethod
    def _known_extraction_models(cls, value: str) -> str:
        for entry in filter(None, (part.strip() for part in value.split(","))):
            label, _, model = (item.strip() for item in entry.partition(":"))
            if not label or model not in PREBUILT_EXTRACTION_MODELS:
                raise ValueError(
                    f"AZURE_DOCUMENT_INTELLIGENCE_EXTRACTION_MODELS: {entry!r} is not label:model with a "
                    f"model among {', '.join(PREBUILT_EXTRACTION_MODELS)}"
                )
        return value

    def extraction_models(self) -> dict[str, str]:
        """The prebuilt model per classification label; none without a Document Intelligence endpoint."""
        if not self.azure_endpoint:
            return {}
        pairs = (entry.partition(":") for entry in self.azure_extraction_models.split(",") if entry.strip())
        return {label.strip(): model.strip() for label, _, model in pairs}


class EmbeddingsSettings(BaseSettings):
    model_config = ENV

    provider: EmbeddingsProviderName = Field(EmbeddingsProviderName.LOCAL, alias="EMBEDDINGS_PROVIDER")
    batch_size: int = Field(32, alias="EMBEDDING_BATCH_SIZE", ge=1, le=2048)
    chunk_tokens: int = Field(200, alias="CHUNK_TOKENS", ge=16)
    chunk_overlap_tokens: int = Field(40, alias="CHUNK_OVERLAP_TOKENS", ge=0)
    torch_threads: int = Field(2, alias="TORCH_THREADS", ge=1)
    # Shorter vectors from models that support it (text-embedding-3-*); unset: the model's own size.
    dimensions: int | None = Field(None, alias="EMBEDDING_DIMENSIONS", ge=1, le=16000)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> EmbeddingsSettings:
        if self.chunk_overlap_tokens >= self.chunk_tokens:
            raise ValueError("CHUNK_OVERLAP_TOKENS must be smaller than CHUNK_TOKENS")
        return self


DEFAULT_LABELS = (
    "invoice: a bill requesting payment for goods or services, with amounts, due date and invoice number",
    "receipt: proof of a payment already made at a shop or for a service",
    "contract: a legal agreement between parties with terms, obligations and signatures",
    "letter: correspondence addressed to a person or organisation",
    "resume: a curriculum vitae describing a person's work experience, education and skills",
    "report: a document presenting findings, analysis or results on a subject",
    "form: a document with fields to fill in, such as an application or registration",
    "manual: instructions explaining how to use, install or maintain something",
    "article: an essay, news or scientific article discussing a topic",
)


class LlmSettings(BaseSettings):
    model_config = ENV

    provider: LlmProviderName = Field(LlmProviderName.LOCAL, alias="LLM_PROVIDER")
    # "label: description" entries separated by ";" or a JSON list; the description is what is embedded.
    classification_labels: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_LABELS, alias="CLASSIFICATION_LABELS"
    )
    summary_sentences: int = Field(3, alias="SUMMARY_SENTENCES", ge=1, le=20)
    keywords: int = Field(8, alias="KEYWORDS_COUNT", ge=1, le=50)
    max_input_chars: int = Field(200_000, alias="AI_MAX_INPUT_CHARS", ge=1000)

    @field_validator("classification_labels", mode="before")
    @classmethod
    def _split_labels(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return tuple(json.loads(text))
            return tuple(part.strip() for part in text.split(";") if part.strip())
        return value

    def labels(self) -> list[tuple[str, str]]:
        """(label, description) pairs; a bare label is its own description."""
        pairs = []
        for entry in self.classification_labels:
            label, _, description = entry.partition(":")
            pairs.append((label.strip(), (description or label).strip()))
        return pairs


class OpenAISettings(BaseSettings):
    """OpenAI itself, or any server speaking its API at OPENAI_BASE_URL."""

    model_config = ENV

    api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    embedding_model: str = Field("text-embedding-3-small", alias="OPENAI_EMBEDDING_MODEL")
    chat_model: str = Field("gpt-4o-mini", alias="OPENAI_CHAT_MODEL")
    timeout_seconds: float = Field(60.0, alias="OPENAI_TIMEOUT_SECONDS", gt=0)
    # Retries inside the SDK (honouring retry-after); the job's own retries come on top.
    max_retries: int = Field(2, alias="OPENAI_MAX_RETRIES", ge=0, le=10)


class AzureOpenAISettings(BaseSettings):
    model_config = ENV

    endpoint: str | None = Field(None, alias="AZURE_OPENAI_ENDPOINT")
    api_key: SecretStr | None = Field(None, alias="AZURE_OPENAI_API_KEY")  # absent: Entra ID
    api_version: str = Field("2024-10-21", alias="OPENAI_API_VERSION")
    embedding_deployment: str | None = Field(None, alias="AZURE_OPENAI_EMBEDDING_DEPLOYMENT")
    chat_deployment: str | None = Field(None, alias="AZURE_OPENAI_CHAT_DEPLOYMENT")
