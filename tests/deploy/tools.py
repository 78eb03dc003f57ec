"""The validators the deploy tests run. They live in their own virtualenv (`.venv-tools`, from
requirements/tools.txt, built by `make tools`, which `make test` runs first) because checkov pins
libraries that the product's lock does not allow."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".venv-tools" / "bin"


def tool(name: str) -> Path:
    path = TOOLS / name
    assert path.exists(), f"{path} is missing: run `make tools` (requirements/tools.txt)"
    return path


def run(argv: list[str | Path], *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT, env=env
    )
