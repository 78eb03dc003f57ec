"""The documentation stays true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic_settings import BaseSettings

from shared import config

ROOT = Path(__file__).resolve().parent.parent
CLI_ONLY = {"WORKOPTI_API_URL", "WORKOPTI_USER", "WORKOPTI_TOKEN"}


def _settings_variables() -> set[str]:
    groups = [v for v in vars(config).values() if isinstance(v, type) and issubclass(v, BaseSettings)]
    return {
        field.alias for group in groups if group is not BaseSettings for field in group.model_fields.values()
    }


def test_every_setting_is_documented_and_nothing_else() -> None:
    text = (ROOT / "docs" / "environment-variables.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.MULTILINE))
    assert documented - CLI_ONLY == _settings_variables()


def test_the_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make run" in first_block and "make test" in first_block
