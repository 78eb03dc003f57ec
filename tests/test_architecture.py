"""The dependency direction is enforced, heavy vendor SDKs stay out of processes that do not use them, and
the code is clean by ruff and type-checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Every check here runs a tool or a Python process of its own.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 8 kept, 0 broken" in result.stdout


def _modules_after_import(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


HEAVY = {"torch", "sentence_transformers", "rapidocr_onnxruntime", "onnxruntime", "keybert", "transformers"}


def test_the_api_starts_without_loading_models() -> None:
    loaded = _modules_after_import("from api.main import create_app")
    assert not HEAVY & loaded


def test_the_worker_loads_models_only_when_a_job_needs_them() -> None:
    loaded = _modules_after_import("import worker.tasks")
    assert not HEAVY & loaded


def test_every_step_can_be_imported_where_outputs_are_discarded_without_loading_models() -> None:
    """The API and the sweeper discard outputs through each kind's step class."""
    loaded = _modules_after_import(
        "from shared.jobs.kinds import catalog; [catalog().step(kind.name) for kind in catalog()]"
    )
    assert "shared.pipeline.steps.extract" in loaded and not HEAVY & loaded


def test_the_code_is_clean_by_ruff() -> None:
    ruff = str(Path(sys.executable).parent / "ruff")
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([ruff, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_type_checks() -> None:
    """mypy as pyproject.toml configures it: strict on shared/, checked on api/, worker/ and cli/."""
    mypy = str(Path(sys.executable).parent / "mypy")
    result = subprocess.run([mypy], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout
