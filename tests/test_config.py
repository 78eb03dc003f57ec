"""Incomplete provider configuration stops a service at start-up, naming what to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"OCR_PROVIDER": "azure"}, ["AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT"]),
        ({"EMBEDDINGS_PROVIDER": "openai"}, ["OPENAI_API_KEY"]),
        ({"LLM_PROVIDER": "azure_openai"}, ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_CHAT_DEPLOYMENT"]),
        (
            {"EMBEDDINGS_PROVIDER": "azure_openai", "AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"},
            ["AZURE_OPENAI_EMBEDDING_DEPLOYMENT"],
        ),
        (
            {
                "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
                "AZURE_STORAGE_ACCOUNT_URL": "https://a",
            },
            ["AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL, not both"],
        ),
    ],
)
def test_each_missing_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: list[str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    problems = " | ".join(Settings().provider_problems())
    for name in missing:
        assert name in problems


def test_nothing_set_means_everything_local(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("AZURE_", "OPENAI_", "OCR_", "LLM_", "EMBEDDING")):
            monkeypatch.delenv(name)
    settings = Settings()
    assert settings.provider_problems() == []
    assert not settings.storage.uses_azure
    assert {settings.ocr.provider, settings.embeddings.provider, settings.llm.provider} == {"local"}


def _start(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "OPENAI_", "OCR_", "LLM_"))}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_the_api_refuses_to_start_and_says_why() -> None:
    result = _start(
        "from api.main import create_app; create_app()",
        {"DATABASE_URL": "postgresql://x@/y", "REDIS_URL": "redis://127.0.0.1:1/0", "OCR_PROVIDER": "azure"},
    )
    assert result.returncode != 0 and "AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT" in result.stderr


@pytest.mark.slow
def test_a_worker_refuses_to_start_and_says_why() -> None:
    result = _start(
        "from worker.app import app; app.conf.broker_url",
        {"REDIS_URL": "redis://127.0.0.1:1/0", "LLM_PROVIDER": "openai"},
    )
    assert result.returncode != 0 and "OPENAI_API_KEY" in result.stderr
