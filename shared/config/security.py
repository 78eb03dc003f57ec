"""Who may sign in, and what one client may ask of the service."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from shared.config.base import ENV, PLACEHOLDER_SECRET, AuthMode


class AuthSettings(BaseSettings):
    model_config = ENV

    mode: AuthMode = Field(AuthMode.DEV, alias="AUTH_MODE")
    secret: str = Field(PLACEHOLDER_SECRET, alias="AUTH_SECRET")
    dev_token_ttl_seconds: int = Field(12 * 3600, alias="DEV_TOKEN_TTL_SECONDS", ge=60)
    issuer: str = Field("workopti-dev", alias="AUTH_DEV_ISSUER")


class LimitsSettings(BaseSettings):
    model_config = ENV

    max_upload_bytes: int = Field(50 * 1024 * 1024, alias="MAX_UPLOAD_BYTES", ge=1)
    max_pages: int = Field(2000, alias="MAX_PAGES_PER_DOCUMENT", ge=1)
    max_image_pixels: int = Field(80_000_000, alias="MAX_IMAGE_PIXELS", ge=1)
