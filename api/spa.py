"""Serves the built single-page app at /, with index.html for client-side routes, and its runtime
configuration at /config.js (the app's index.html loads it before the app itself)."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from shared.config import ServerSettings

_RESERVED = ("api/", "health/", "docs", "openapi.json", "redoc")


def runtime_config(server: ServerSettings) -> str:
    """The script that tells the app where the API is and how to sign in (no Clerk key: dev users)."""
    config = {"apiUrl": server.web_api_url, "clerkPublishableKey": server.web_clerk_publishable_key or None}
    # Escaping "<" keeps the JSON inert even if a value ever reached an inline <script>.
    return "window.__WORKOPTI_CONFIG__ = " + json.dumps(config).replace("<", "\\u003c") + ";\n"


def mount(app: FastAPI, server: ServerSettings) -> None:
    dist = server.frontend_dist
    index = dist / "index.html"
    if not index.exists():

        @app.get("/", include_in_schema=False)
        def root() -> JSONResponse:
            return JSONResponse(
                {"service": "workopti", "api": "/api/v1", "docs": "/docs", "health": "/health/ready",
                 "app": f"no built web app at {index}"}
            )  # fmt: skip

        return

    @app.get("/config.js", include_in_schema=False)
    def config_script() -> Response:
        return Response(
            runtime_config(server), media_type="text/javascript", headers={"Cache-Control": "no-cache"}
        )

    assets = dist / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        if path.startswith(_RESERVED):
            raise HTTPException(status_code=404)  # answered as the API's not_found problem
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
