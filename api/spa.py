"""Serves the built single-page app at /, with index.html for client-side routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from starlette.staticfiles import StaticFiles

_RESERVED = ("api/", "health/", "docs", "openapi.json", "redoc")


def mount(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if not index.exists():

        @app.get("/", include_in_schema=False)
        def root() -> JSONResponse:
            return JSONResponse(
                {"service": "workopti", "api": "/api/v1", "docs": "/docs", "health": "/health/ready",
                 "app": f"no built web app at {index}"}
            )  # fmt: skip

        return

    assets = dist / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        if path.startswith(_RESERVED):
            return JSONResponse({"detail": "not found"}, status_code=404)  # type: ignore[return-value]
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
