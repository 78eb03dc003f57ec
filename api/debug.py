"""DEBUG=true (local and dev by default; refused in showcase and prod): a 500 problem carries the error
and its traceback, so a developer reads the cause in the response instead of searching the logs.

The body stays `application/problem+json` with the same `code`, so clients parse it as any other
error; only the extension members `exception` and `traceback` are added.
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from api.problems import problem

log = logging.getLogger("workopti.api")


def install(app: FastAPI) -> None:
    """Replace the 500 handlers that `problems.install` registered; call it after that."""

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(
            500, "internal_error", "Internal error", None, instance=request.url.path,
            exception=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exception(exc),
        )  # fmt: skip

    app.add_exception_handler(DBAPIError, unexpected)
    app.add_exception_handler(Exception, unexpected)
