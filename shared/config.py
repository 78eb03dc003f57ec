"""Settings, grouped by concern and read from the environment (and an optional `.env`).

Nothing is read at import time: call `get_settings()` (cached) or build `Settings()` directly in tests.
Every group keeps the flat variable names operators know (`DATABASE_URL`, `REDIS_URL`, ...), so a group
is a plain `BaseSettings` with aliases rather than a nested model with `__` delimiters.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_ENV = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

PLACEHOLDER_SECRET = "change-me-local-only"


class Environment(enum.StrEnum):
    LOCAL = "local"
    DEV = "dev"
    SHOWCASE = "showcase"
    PROD = "prod"


class AuthMode(enum.StrEnum):
    DEV = "dev"
    CLERK = "clerk"


class OcrProviderName(enum.StrEnum):
    LOCAL = "local"
    AZURE = "azure"  # Azure AI Document Intelligence


class EmbeddingsProviderName(enum.StrEnum):
    LOCAL = "local"
    OPENAI = "openai"
    AZURE_OPENAI = "azure_openai"


class LlmProviderName(enum.StrEnum):
    LOCAL = "local"
    OPENAI = "openai"
    AZURE_OPENAI = "azure_openai"


class AppSettings(BaseSettings):
    model_config = _ENV

    environment: Environment = Field(Environment.LOCAL, alias="ENVIRONMENT")
    data_dir: Path = Field(Path(".data"), alias="WORKOPTI_DATA_DIR")
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    log_format: str = Field("text", alias="LOG_FORMAT", description="text or json")
    version: str = Field("0.1.0", alias="APP_VERSION")
    commit: str = Field("unknown", alias="APP_COMMIT")


class DatabaseSettings(BaseSettings):
    model_config = _ENV

    url: str | None = Field(None, alias="DATABASE_URL")
    pool_size: int = Field(5, alias="DB_POOL_SIZE", ge=1)
    max_overflow: int = Field(5, alias="DB_MAX_OVERFLOW", ge=0)
    statement_timeout_ms: int = Field(30_000, alias="DB_STATEMENT_TIMEOUT_MS", ge=0)
    echo: bool = Field(False, alias="DB_ECHO")

    def sqlalchemy_url(self) -> str:
        """The URL with the psycopg 3 driver, whatever scheme the operator wrote."""
        if not self.url:
            raise RuntimeError(
                "DATABASE_URL is not set. Start the whole product with `make run` (which starts an embedded "
                "PostgreSQL) or point DATABASE_URL at a PostgreSQL 16 server with pgvector."
            )
        url = self.url
        for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


class BrokerSettings(BaseSettings):
    model_config = _ENV

    url: str | None = Field(None, alias="REDIS_URL")
    # Above the longest task time limit: Redis redelivers an unacknowledged message after this.
    visibility_timeout_seconds: int = Field(7200, alias="BROKER_VISIBILITY_TIMEOUT_SECONDS", ge=60)

    def require_url(self) -> str:
        if not self.url:
            raise RuntimeError("REDIS_URL is not set. Start the product with `make run` or set REDIS_URL.")
        return self.url


class StorageSettings(BaseSettings):
    model_config = _ENV

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
    model_config = _ENV

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


class EmbeddingsSettings(BaseSettings):
    model_config = _ENV

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
    model_config = _ENV

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
                import json

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

    model_config = _ENV

    api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    embedding_model: str = Field("text-embedding-3-small", alias="OPENAI_EMBEDDING_MODEL")
    chat_model: str = Field("gpt-4o-mini", alias="OPENAI_CHAT_MODEL")
    timeout_seconds: float = Field(60.0, alias="OPENAI_TIMEOUT_SECONDS", gt=0)
    # Retries inside the SDK (honouring retry-after); the job's own retries come on top.
    max_retries: int = Field(2, alias="OPENAI_MAX_RETRIES", ge=0, le=10)


class AzureOpenAISettings(BaseSettings):
    model_config = _ENV

    endpoint: str | None = Field(None, alias="AZURE_OPENAI_ENDPOINT")
    api_key: SecretStr | None = Field(None, alias="AZURE_OPENAI_API_KEY")  # absent: Entra ID
    api_version: str = Field("2024-10-21", alias="OPENAI_API_VERSION")
    embedding_deployment: str | None = Field(None, alias="AZURE_OPENAI_EMBEDDING_DEPLOYMENT")
    chat_deployment: str | None = Field(None, alias="AZURE_OPENAI_CHAT_DEPLOYMENT")


class AuthSettings(BaseSettings):
    model_config = _ENV

    mode: AuthMode = Field(AuthMode.DEV, alias="AUTH_MODE")
    secret: str = Field(PLACEHOLDER_SECRET, alias="AUTH_SECRET")
    dev_token_ttl_seconds: int = Field(12 * 3600, alias="DEV_TOKEN_TTL_SECONDS", ge=60)
    issuer: str = Field("workopti-dev", alias="AUTH_DEV_ISSUER")


class LimitsSettings(BaseSettings):
    model_config = _ENV

    max_upload_bytes: int = Field(50 * 1024 * 1024, alias="MAX_UPLOAD_BYTES", ge=1)
    max_pages: int = Field(2000, alias="MAX_PAGES_PER_DOCUMENT", ge=1)
    max_image_pixels: int = Field(80_000_000, alias="MAX_IMAGE_PIXELS", ge=1)


class JobSettings(BaseSettings):
    model_config = _ENV

    max_attempts: int = Field(3, alias="JOB_MAX_ATTEMPTS", ge=1, le=20)
    lease_seconds: int = Field(60, alias="JOB_LEASE_SECONDS", ge=3)
    retry_base_seconds: float = Field(5.0, alias="JOB_RETRY_BASE_SECONDS", ge=0)
    retry_max_seconds: float = Field(300.0, alias="JOB_RETRY_MAX_SECONDS", ge=0)
    # A queued job unclaimed for this long, with fewer messages in its queue than queued jobs, is republished.
    republish_after_seconds: int = Field(30, alias="JOB_REPUBLISH_AFTER_SECONDS", ge=1)
    sweep_interval_seconds: float = Field(5.0, alias="SWEEP_INTERVAL_SECONDS", gt=0)
    time_limit_seconds: int = Field(3600, alias="JOB_TIME_LIMIT_SECONDS", ge=10)


class ServerSettings(BaseSettings):
    model_config = _ENV

    api_host: str = Field("127.0.0.1", alias="API_HOST")
    api_port: int = Field(8000, alias="API_PORT")
    flower_port: int = Field(5555, alias="FLOWER_PORT")
    frontend_dist: Path = Field(Path("frontend/dist"), alias="FRONTEND_DIST")


class Settings:
    """All groups, built once per process by `get_settings()`."""

    def __init__(self, **overrides: object) -> None:
        # `overrides` lets tests build settings without touching os.environ: {"db": DatabaseSettings(...)}.
        self.app: AppSettings = overrides.get("app") or AppSettings()  # type: ignore[assignment]
        self.db: DatabaseSettings = overrides.get("db") or DatabaseSettings()  # type: ignore[assignment]
        self.broker: BrokerSettings = overrides.get("broker") or BrokerSettings()  # type: ignore[assignment]
        self.storage: StorageSettings = overrides.get("storage") or StorageSettings()  # type: ignore[assignment]
        self.ocr: OcrSettings = overrides.get("ocr") or OcrSettings()  # type: ignore[assignment]
        self.embeddings: EmbeddingsSettings = overrides.get("embeddings") or EmbeddingsSettings()  # type: ignore[assignment]
        self.llm: LlmSettings = overrides.get("llm") or LlmSettings()  # type: ignore[assignment]
        self.auth: AuthSettings = overrides.get("auth") or AuthSettings()  # type: ignore[assignment]
        self.openai: OpenAISettings = overrides.get("openai") or OpenAISettings()  # type: ignore[assignment]
        self.azure_openai: AzureOpenAISettings = overrides.get("azure_openai") or AzureOpenAISettings()  # type: ignore[assignment]
        self.limits: LimitsSettings = overrides.get("limits") or LimitsSettings()  # type: ignore[assignment]
        self.jobs: JobSettings = overrides.get("jobs") or JobSettings()  # type: ignore[assignment]
        self.server: ServerSettings = overrides.get("server") or ServerSettings()  # type: ignore[assignment]

    @property
    def blob_dir(self) -> Path:
        return (self.storage.local_dir or self.app.data_dir / "blobs").resolve()

    @property
    def spool_dir(self) -> Path:
        return (self.app.data_dir / "spool").resolve()

    def check_startup(self) -> None:
        """Refuse configurations that must never run; raise with the variable to fix."""
        local = self.app.environment is Environment.LOCAL
        if self.auth.mode is AuthMode.DEV and self.app.environment in (
            Environment.SHOWCASE,
            Environment.PROD,
        ):
            raise RuntimeError(f"AUTH_MODE=dev is refused when ENVIRONMENT={self.app.environment.value}")
        if self.auth.mode is AuthMode.CLERK:
            raise RuntimeError("AUTH_MODE=clerk is not available yet; use AUTH_MODE=dev")
        if not local and self.auth.secret == PLACEHOLDER_SECRET:
            raise RuntimeError(
                "AUTH_SECRET is the local placeholder; set a real secret outside ENVIRONMENT=local"
            )
        problems = self.provider_problems()
        if problems:
            raise RuntimeError("incomplete provider configuration: " + "; ".join(problems))

    def provider_problems(self) -> list[str]:
        """What the chosen providers still need, each naming the variable to set."""
        problems: list[str] = []
        if self.ocr.provider is OcrProviderName.AZURE and not self.ocr.azure_endpoint:
            problems.append("OCR_PROVIDER=azure needs AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT")
        needs = (
            ("EMBEDDINGS_PROVIDER", self.embeddings.provider, self.azure_openai.embedding_deployment,
             "AZURE_OPENAI_EMBEDDING_DEPLOYMENT"),
            ("LLM_PROVIDER", self.llm.provider, self.azure_openai.chat_deployment, "AZURE_OPENAI_CHAT_DEPLOYMENT"),
        )  # fmt: skip
        for setting, provider, deployment, deployment_var in needs:
            if provider == "openai" and not self.openai.api_key:
                problems.append(f"{setting}=openai needs OPENAI_API_KEY")
            if provider == "azure_openai":
                if not self.azure_openai.endpoint:
                    problems.append(f"{setting}=azure_openai needs AZURE_OPENAI_ENDPOINT")
                if not deployment:
                    problems.append(f"{setting}=azure_openai needs {deployment_var}")
        if self.storage.azure_connection_string and self.storage.azure_account_url:
            problems.append("set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL, not both")
        return problems


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
