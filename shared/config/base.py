"""Shared pieces of the settings groups: the environment file, enums every group uses."""

from __future__ import annotations

import enum

from pydantic_settings import SettingsConfigDict

ENV = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

PLACEHOLDER_SECRET = "change-me-local-only"


class Environment(enum.StrEnum):
    LOCAL = "local"
    DEV = "dev"
    SHOWCASE = "showcase"
    PROD = "prod"


class AuthMode(enum.StrEnum):
    DEV = "dev"
    CLERK = "clerk"
