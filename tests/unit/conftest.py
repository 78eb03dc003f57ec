"""Tests that load a local model (the OCR engine, the embedding model, the analyser built on it) run it
on the CPU for seconds each: they are the `slow` tier, marked here by the fixtures that load the models,
so a new test using one is marked too."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
LOCAL_MODELS = {"ocr", "real_ocr", "embeddings", "analyzer", "model_spans"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE) and LOCAL_MODELS & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)
