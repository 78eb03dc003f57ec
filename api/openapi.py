"""The API's OpenAPI document without a running server: `python -m api.openapi [PATH]`.

The web app's client types are generated from the copy in `frontend/openapi.json`, and a test keeps
that copy equal to this document, so a contract change fails the build until the app is checked
against it. The document does not depend on configuration: it is built with the local defaults.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shared.config import AppSettings, AuthSettings, DatabaseSettings, Settings

SNAPSHOT = Path(__file__).resolve().parent.parent / "frontend" / "openapi.json"


def document() -> dict[str, Any]:
    from api.main import create_app

    settings = Settings(
        app=AppSettings(ENVIRONMENT="local"),
        auth=AuthSettings(AUTH_MODE="dev"),
        # Never connected to: the engine is lazy, and building the schema runs no query.
        db=DatabaseSettings(DATABASE_URL="postgresql://openapi@localhost/openapi"),
    )
    return create_app(settings).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> None:
    target = Path(argv[0]) if argv else SNAPSHOT
    target.write_text(render())
    print(f"wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
