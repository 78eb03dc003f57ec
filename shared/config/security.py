"""Who may sign in, and what one client may ask of the service."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from shared.config.base import ENV, PLACEHOLDER_SECRET, AuthMode, split_commas


class AuthSettings(BaseSettings):
    model_config = ENV

    mode: AuthMode = Field(AuthMode.DEV, alias="AUTH_MODE")
    secret: str = Field(PLACEHOLDER_SECRET, alias="AUTH_SECRET")
    dev_token_ttl_seconds: int = Field(12 * 3600, alias="DEV_TOKEN_TTL_SECONDS", ge=60)
    issuer: str = Field("workopti-dev", alias="AUTH_DEV_ISSUER")
    # Clerk: the Frontend API host (e.g. clerk.example.com) gives the issuer and the JWKS URL.
    clerk_frontend_api: str | None = Field(None, alias="CLERK_FRONTEND_API")
    clerk_jwks_url: str | None = Field(None, alias="CLERK_JWKS_URL")
    clerk_issuer: str | None = Field(None, alias="CLERK_ISSUER")
    clerk_authorized_parties: Annotated[tuple[str, ...], NoDecode] = Field(
        (), alias="CLERK_AUTHORIZED_PARTIES"
    )
    jwks_cache_seconds: int = Field(3600, alias="CLERK_JWKS_CACHE_SECONDS", ge=10)
    # An unknown `kid` refreshes the keys at most this often, so garbage tokens cannot hammer Clerk.
    jwks_min_refresh_seconds: int = Field(30, alias="CLERK_JWKS_MIN_REFRESH_SECONDS", ge=0)
    leeway_seconds: int = Field(10, alias="AUTH_LEEWAY_SECONDS", ge=0, le=300)

    _split_parties = field_validator("clerk_authorized_parties", mode="before")(
        classmethod(lambda cls, v: split_commas(v))
    )

    def clerk_origin(self) -> str | None:
        if not self.clerk_frontend_api:
            return None
        host = self.clerk_frontend_api.strip().rstrip("/")
        return host if host.startswith(("https://", "http://")) else f"https://{host}"

    def jwks_url(self) -> str | None:
        origin = self.clerk_origin()
        return self.clerk_jwks_url or (f"{origin}/.well-known/jwks.json" if origin else None)

    def expected_issuer(self) -> str | None:
        return self.clerk_issuer or self.clerk_origin()


class LimitsSettings(BaseSettings):
    model_config = ENV

    max_upload_bytes: int = Field(50 * 1024 * 1024, alias="MAX_UPLOAD_BYTES", ge=1)
    max_pages: int = Field(2000, alias="MAX_PAGES_PER_DOCUMENT", ge=1)
    max_image_pixels: int = Field(80_000_000, alias="MAX_IMAGE_PIXELS", ge=1)
    # ZIP batches (POST /api/v1/batches): each entry must also pass what a single upload does.
    batch_max_entries: int = Field(1000, alias="BATCH_MAX_ENTRIES", ge=1)
    # Unset: MAX_UPLOAD_BYTES, so an entry may be as large as a file uploaded on its own.
    batch_max_entry_bytes: int | None = Field(None, alias="BATCH_MAX_ENTRY_BYTES", ge=1)
    # The archive itself, and what all its entries unpack to together.
    batch_max_total_bytes: int = Field(512 * 1024 * 1024, alias="BATCH_MAX_TOTAL_BYTES", ge=1)
    # Unpacked size over packed size for one entry; deflate tops out near 1,032, documents stay far below.
    batch_max_ratio: int = Field(100, alias="BATCH_MAX_RATIO", ge=1)

    @property
    def batch_entry_bytes(self) -> int:
        return self.batch_max_entry_bytes or self.max_upload_bytes


class QuotaSettings(BaseSettings):
    """Per-user limits, counted in Redis so every API replica shares them; 0 turns one off."""

    model_config = ENV

    uploads_per_minute: int = Field(60, alias="QUOTA_UPLOADS_PER_MINUTE", ge=0)
    upload_bytes_per_day: int = Field(2 * 1024**3, alias="QUOTA_UPLOAD_BYTES_PER_DAY", ge=0)
    requests_per_minute: int = Field(1200, alias="QUOTA_REQUESTS_PER_MINUTE", ge=0)
    # Each question costs a retrieval and a model call (a paid one in the cloud).
    asks_per_minute: int = Field(20, alias="QUOTA_ASKS_PER_MINUTE", ge=0)
    # Documents still being processed; a user past this waits for some to finish before uploading more.
    active_documents: int = Field(500, alias="QUOTA_ACTIVE_DOCUMENTS", ge=0)


class EdgeSettings(BaseSettings):
    model_config = ENV

    # Empty: permissive ("*") in local and dev, no cross-origin access elsewhere.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field((), alias="CORS_ALLOWED_ORIGINS")
    hsts_max_age_seconds: int = Field(31_536_000, alias="HSTS_MAX_AGE_SECONDS", ge=0)
    content_security_policy: str = Field(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
        alias="CONTENT_SECURITY_POLICY",
    )

    _split_origins = field_validator("cors_origins", mode="before")(
        classmethod(lambda cls, v: split_commas(v))
    )


class FlowerSettings(BaseSettings):
    """Who may open Flower, which can revoke tasks and shut workers down. The names are Flower's own,
    so `celery flower` started by hand or in a container reads the same variables the launcher passes."""

    model_config = ENV

    # "user:password", several separated by ",".
    basic_auth: SecretStr | None = Field(None, alias="FLOWER_BASIC_AUTH")
    # OAuth instead: a regular expression of the e-mail addresses let in, and the provider's app.
    auth: str | None = Field(None, alias="FLOWER_AUTH")
    auth_provider: str | None = Field(None, alias="FLOWER_AUTH_PROVIDER")
    oauth2_key: str | None = Field(None, alias="FLOWER_OAUTH2_KEY")
    oauth2_secret: SecretStr | None = Field(None, alias="FLOWER_OAUTH2_SECRET")
    oauth2_redirect_uri: str | None = Field(None, alias="FLOWER_OAUTH2_REDIRECT_URI")

    def problems(self, *, open_allowed: bool) -> list[str]:
        """What stops Flower from starting safely, each naming the variable to set."""
        problems: list[str] = []
        if self.basic_auth:
            for entry in self.basic_auth.get_secret_value().split(","):
                user, _, password = entry.partition(":")
                if not user.strip() or not password:
                    problems.append('FLOWER_BASIC_AUTH must be "user:password" (several separated by ",")')
                    break
        if self.auth:
            needs = (
                ("FLOWER_AUTH_PROVIDER", self.auth_provider),
                ("FLOWER_OAUTH2_KEY", self.oauth2_key),
                ("FLOWER_OAUTH2_SECRET", self.oauth2_secret),
                ("FLOWER_OAUTH2_REDIRECT_URI", self.oauth2_redirect_uri),
            )
            problems += [f"FLOWER_AUTH (OAuth) needs {name}" for name, value in needs if not value]
        if not open_allowed and not (self.basic_auth or self.auth):
            problems.append("Flower needs FLOWER_BASIC_AUTH or FLOWER_AUTH outside ENVIRONMENT=local")
        return problems

    def flower_environment(self) -> dict[str, str]:
        """The variables Flower reads itself, from these settings (which may come from `.env`)."""
        values = {
            "FLOWER_BASIC_AUTH": self.basic_auth.get_secret_value() if self.basic_auth else None,
            "FLOWER_AUTH": self.auth,
            "FLOWER_AUTH_PROVIDER": self.auth_provider,
            "FLOWER_OAUTH2_KEY": self.oauth2_key,
            "FLOWER_OAUTH2_SECRET": self.oauth2_secret.get_secret_value() if self.oauth2_secret else None,
            "FLOWER_OAUTH2_REDIRECT_URI": self.oauth2_redirect_uri,
        }
        return {name: value for name, value in values.items() if value}
