"""env.example lists every setting once, keeps secrets empty, and as written is the configuration a
laptop gets with no file at all; the web app's own example names its runtime variables."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from shared import config
from shared.config import Environment, Settings
from tests.test_docs import _settings_variables

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def assignments(path: Path) -> list[tuple[str, str]]:
    return [
        (match.group(1), match.group(2))
        for line in path.read_text().splitlines()
        if (match := ASSIGNMENT.match(line))
    ]


def secret_variables() -> set[str]:
    groups = [v for v in vars(config).values() if isinstance(v, type) and issubclass(v, BaseSettings)]
    secret = {
        field.alias
        for group in groups
        for field in group.model_fields.values()
        if "SecretStr" in str(field.annotation) or field.annotation is SecretStr
    }
    return secret | {"AUTH_SECRET", "DATABASE_URL"}  # a URL may carry the password


def test_every_setting_is_listed_exactly_once() -> None:
    names = [name for name, _ in assignments(ROOT / "env.example")]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates
    assert set(names) == _settings_variables()


def test_secrets_are_empty() -> None:
    values = dict(assignments(ROOT / "env.example"))
    secrets = secret_variables()
    assert {"OPENAI_API_KEY", "FLOWER_BASIC_AUTH", "AZURE_STORAGE_CONNECTION_STRING"} <= secrets
    assert {name: values[name] for name in secrets if values.get(name)} == {}


def test_as_written_it_is_the_laptop_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _settings_variables():
        monkeypatch.delenv(name, raising=False)
    bare, with_file = tmp_path / "bare", tmp_path / "with-file"
    bare.mkdir()
    with_file.mkdir()
    shutil.copy(ROOT / "env.example", with_file / ".env")

    monkeypatch.chdir(bare)
    defaults = Settings()
    monkeypatch.chdir(with_file)
    from_file = Settings()

    groups = [name for name, value in vars(defaults).items() if isinstance(value, BaseSettings)]
    assert len(groups) >= 15
    for name in groups:
        assert getattr(from_file, name).model_dump() == getattr(defaults, name).model_dump(), name
    assert from_file.app.environment is Environment.LOCAL
    from_file.check_startup()  # safe to start as is


@pytest.mark.parametrize("name", ["VITE_APP_API_URL", "VITE_CLERK_PUBLISHABLE_KEY"])
def test_the_web_app_example_names_its_runtime_variables(name: str) -> None:
    values = dict(assignments(ROOT / "frontend" / "env.example"))
    assert name in values
    assert values[name] == ""  # same-origin API, dev sign-in: the laptop defaults
