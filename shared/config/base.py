"""Shared pieces of the settings groups: the environment file, enums every group uses."""

from __future__ import annotations

import enum
from typing import Literal

from pydantic_settings import SettingsConfigDict

# An empty variable means "not set" (the default applies), so env.example can list every variable.
ENV = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True)

PLACEHOLDER_SECRET = "change-me-local-only-placeholder-secret"  # 32+ bytes: HS256 wants a full key


def split_commas(value: object) -> object:
    """A list setting written as `a, b, c` in the environment (before validation)."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


LogFormat = Literal["text", "json"]


class Environment(enum.StrEnum):
    LOCAL = "local"
    DEV = "dev"
    SHOWCASE = "showcase"
    PROD = "prod"


class AuthMode(enum.StrEnum):
    DEV = "dev"
    CLERK = "clerk"
