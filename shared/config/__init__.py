"""Settings, grouped by concern and read from the environment (and an optional `.env`).

Nothing is read at import time: call `get_settings()` (cached) or build `Settings()` directly in tests.
Every group keeps the flat variable names operators know (`DATABASE_URL`, `REDIS_URL`, ...), so a group
is a plain `BaseSettings` with aliases rather than a nested model with `__` delimiters.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from shared.config.base import PLACEHOLDER_SECRET, AuthMode, Environment
from shared.config.environments import PROFILES, EnvironmentProfile, profile
from shared.config.providers import (
    DEFAULT_LABELS,
    PREBUILT_EXTRACTION_MODELS,
    AzureOpenAISettings,
    EmbeddingsProviderName,
    EmbeddingsSettings,
    LlmProviderName,
    LlmSettings,
    OcrProviderName,
    OcrSettings,
    OpenAISettings,
    StorageSettings,
)
from shared.config.runtime import (
    AppSettings,
    BrokerSettings,
    DatabaseSettings,
    JobSettings,
    ServerSettings,
    WebhookSettings,
)
from shared.config.security import AuthSettings, EdgeSettings, FlowerSettings, LimitsSettings, QuotaSettings
from shared.config.telemetry import TelemetrySettings


class Settings:
    """All groups, built once per process by `get_settings()`."""

    def __init__(
        self,
        *,
        app: AppSettings | None = None,
        db: DatabaseSettings | None = None,
        broker: BrokerSettings | None = None,
        storage: StorageSettings | None = None,
        ocr: OcrSettings | None = None,
        embeddings: EmbeddingsSettings | None = None,
        llm: LlmSettings | None = None,
        auth: AuthSettings | None = None,
        openai: OpenAISettings | None = None,
        azure_openai: AzureOpenAISettings | None = None,
        quotas: QuotaSettings | None = None,
        edge: EdgeSettings | None = None,
        limits: LimitsSettings | None = None,
        jobs: JobSettings | None = None,
        server: ServerSettings | None = None,
        flower: FlowerSettings | None = None,
        telemetry: TelemetrySettings | None = None,
        webhooks: WebhookSettings | None = None,
    ) -> None:
        # A group given here replaces the one read from the environment (tests use this, not os.environ).
        self.app = app or AppSettings()
        self.db = db or DatabaseSettings()
        self.broker = broker or BrokerSettings()
        self.storage = storage or StorageSettings()
        self.ocr = ocr or OcrSettings()
        self.embeddings = embeddings or EmbeddingsSettings()
        self.llm = llm or LlmSettings()
        self.auth = auth or AuthSettings()
        self.openai = openai or OpenAISettings()
        self.azure_openai = azure_openai or AzureOpenAISettings()
        self.quotas = quotas or QuotaSettings()
        self.edge = edge or EdgeSettings()
        self.limits = limits or LimitsSettings()
        self.jobs = jobs or JobSettings()
        self.server = server or ServerSettings()
        self.flower = flower or FlowerSettings()
        self.telemetry = telemetry or TelemetrySettings()
        self.webhooks = webhooks or WebhookSettings()

    @property
    def profile(self) -> EnvironmentProfile:
        """What the environment decides: CORS, HSTS, docs pages, sign-in rules, debug and log defaults."""
        return profile(self.app.environment)

    @property
    def blob_dir(self) -> Path:
        return (self.storage.local_dir or self.app.data_dir / "blobs").resolve()

    @property
    def spool_dir(self) -> Path:
        return (self.app.data_dir / "spool").resolve()

    def check_startup(self) -> None:
        """Refuse configurations that must never run; raise with the variable to fix."""
        rules = self.profile
        environment = self.app.environment.value
        if self.app.debug and not rules.debug_allowed:
            raise RuntimeError(
                f"DEBUG=true is refused when ENVIRONMENT={environment}: error responses would show tracebacks"
            )
        if self.auth.mode is AuthMode.DEV and not rules.dev_auth_allowed:
            raise RuntimeError(f"AUTH_MODE=dev is refused when ENVIRONMENT={environment}")
        if self.auth.mode is AuthMode.CLERK and not self.auth.jwks_url():
            raise RuntimeError(
                "AUTH_MODE=clerk needs CLERK_FRONTEND_API (or CLERK_JWKS_URL and CLERK_ISSUER)"
            )
        if self.auth.mode is AuthMode.CLERK and not self.auth.expected_issuer():
            raise RuntimeError("AUTH_MODE=clerk with CLERK_JWKS_URL alone needs CLERK_ISSUER")
        weak = len(self.auth.secret.encode()) < 32
        if not rules.placeholder_secret_allowed and self.auth.mode is AuthMode.DEV and weak:
            raise RuntimeError(
                "AUTH_SECRET must be at least 32 bytes (HS256 keys shorter than the hash are weak)"
            )
        if not rules.placeholder_secret_allowed and self.auth.secret == PLACEHOLDER_SECRET:
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


__all__ = [
    "DEFAULT_LABELS",
    "PLACEHOLDER_SECRET",
    "PREBUILT_EXTRACTION_MODELS",
    "PROFILES",
    "AppSettings",
    "AuthMode",
    "AuthSettings",
    "AzureOpenAISettings",
    "BrokerSettings",
    "DatabaseSettings",
    "EdgeSettings",
    "EmbeddingsProviderName",
    "EmbeddingsSettings",
    "Environment",
    "EnvironmentProfile",
    "FlowerSettings",
    "JobSettings",
    "LimitsSettings",
    "LlmProviderName",
    "LlmSettings",
    "OcrProviderName",
    "OcrSettings",
    "OpenAISettings",
    "QuotaSettings",
    "ServerSettings",
    "Settings",
    "StorageSettings",
    "TelemetrySettings",
    "WebhookSettings",
    "get_settings",
]
