"""RFC 9457 problem details: every error leaves the API as application/problem+json with a stable code."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError, ErrorKind
from shared.providers.storage import BlobStoreUnavailable

log = logging.getLogger("workopti.api")

PROBLEM_JSON = "application/problem+json"

STATUS_FOR_KIND = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorKind.UNPROCESSABLE: 422,
    ErrorKind.UNAVAILABLE: 503,
}

_CODE_FOR_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:workopti:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status = STATUS_FOR_KIND[exc.kind]
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
        return problem(
            status, exc.code, exc.title, exc.detail, instance=request.url.path, headers=headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
            for err in exc.errors()
        ]
        return problem(
            422, "validation_error", "The request is not valid", "See errors for each invalid part.",
            instance=request.url.path, errors=errors,
        )  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODE_FOR_STATUS.get(exc.status_code, f"http_{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem(
            exc.status_code, code, detail or code.replace("_", " ").capitalize(), None,
            instance=request.url.path, headers=getattr(exc, "headers", None),
        )  # fmt: skip

    @app.exception_handler(OperationalError)
    async def database_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig)
        return problem(503, "database_unavailable", "The database is unavailable", "Try again shortly.",
                       instance=request.url.path, headers={"Retry-After": "5"})  # fmt: skip

    @app.exception_handler(BlobStoreUnavailable)
    async def storage_down(request: Request, exc: BlobStoreUnavailable) -> JSONResponse:
        log.error("blob storage unavailable: %s", exc)
        return problem(503, "storage_unavailable", "File storage is unavailable", "Try again shortly.",
                       instance=request.url.path, headers={"Retry-After": "5"})  # fmt: skip

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        log.exception("database error on %s", request.url.path, exc_info=exc)
        return problem(500, "internal_error", "Internal error", None, instance=request.url.path)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "internal_error", "Internal error", None, instance=request.url.path)
