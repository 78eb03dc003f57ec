"""RFC 9457 problem details: every error leaves the API as application/problem+json with a stable code."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import security_events
from api.security_events import SecurityEvent
from shared.errors import DomainError, ErrorKind
from shared.providers.errors import ProviderError, ProviderKind
from shared.providers.storage import BlobStoreUnavailable

log = logging.getLogger("workopti.api")

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details; `code` is stable, other members depend on the problem."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer, so clients (and the fuzzer) know them."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
            "description": _DESCRIPTIONS.get(status, "Problem"),
        }
        for status in statuses
    }


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid token",
    403: "Your role on the document does not allow this",
    404: "Not found, or not yours to see",
    409: "Conflicts with the current state",
    413: "Too large",
    415: "Unsupported type",
    422: "Invalid parameters or unprocessable content",
    429: "Too many requests; see Retry-After",
    503: "A dependency is unavailable; see Retry-After",
}
API_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503)

STATUS_FOR_KIND = {
    ErrorKind.INVALID: 400,
    ErrorKind.UNAUTHORIZED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorKind.UNPROCESSABLE: 422,
    ErrorKind.RATE_LIMITED: 429,
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

_PROVIDER_NAMES = {
    ProviderKind.EMBEDDINGS: "embeddings",
    ProviderKind.OCR: "OCR",
    ProviderKind.LLM: "language model",
}
# When the provider did not say how long to wait.
PROVIDER_RETRY_AFTER_SECONDS = 5


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
        if exc.denied:
            user = getattr(request.state, "user_subject", None)
            security_events.record(SecurityEvent.ACCESS_DENIED, request, reason=exc.code, user=user)
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else {}
        if "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
        elif status == 503:
            headers["Retry-After"] = "5"
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

    @app.exception_handler(ProviderError)
    async def provider_down(request: Request, exc: ProviderError) -> JSONResponse:
        # A refused credential answers 503 too: it is for an operator to fix, the caller can only retry.
        log.error(
            "%s provider %s failed on %s %s: %s, upstream status %s: %s",
            exc.kind.value, exc.provider, request.method, request.url.path, exc.code,
            exc.status if exc.status is not None else "none", exc.message,
        )  # fmt: skip
        wait = provider_retry_after(exc)
        service = _PROVIDER_NAMES[exc.kind]
        return problem(
            503, "provider_unavailable", f"The {service} service is unavailable",
            f"The {service} service this request needs is unavailable. Try again later.",
            instance=request.url.path, headers={"Retry-After": str(wait)}, provider_kind=exc.kind.value,
        )  # fmt: skip

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        log.exception("database error on %s", request.url.path, exc_info=exc)
        return problem(500, "internal_error", "Internal error", None, instance=request.url.path)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "internal_error", "Internal error", None, instance=request.url.path)


def problem_body(exc: BaseException, instance: str) -> dict[str, Any]:
    """The problem object for an error raised after a streamed response has begun (its status line is
    already sent, so the problem travels in the stream)."""
    if isinstance(exc, DomainError):
        status, code, title, detail, extra = (
            STATUS_FOR_KIND[exc.kind],
            exc.code,
            exc.title,
            exc.detail,
            exc.extra,
        )
    elif isinstance(exc, ProviderError):
        service = _PROVIDER_NAMES[exc.kind]
        log.error(
            "%s provider %s failed on %s: %s: %s",
            exc.kind.value,
            exc.provider,
            instance,
            exc.code,
            exc.message,
        )
        status, code = 503, "provider_unavailable"
        title = f"The {service} service is unavailable"
        detail = f"The {service} service this request needs is unavailable. Try again later."
        extra = {"provider_kind": exc.kind.value, "retry_after": provider_retry_after(exc)}
    elif isinstance(exc, OperationalError):
        log.error("database unavailable: %s", exc.orig)
        status, code, title, detail, extra = (
            503,
            "database_unavailable",
            "The database is unavailable",
            "Try again shortly.",
            {},
        )
    else:
        log.error("unhandled error on %s", instance, exc_info=exc)
        status, code, title, detail, extra = 500, "internal_error", "Internal error", None, {}
    body: dict[str, Any] = {
        "type": f"urn:workopti:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body["instance"] = instance
    return body | extra


def provider_retry_after(exc: ProviderError) -> int:
    """Whole seconds for Retry-After: the provider's own wait rounded up, at least 1."""
    if exc.retry_after is None:
        return PROVIDER_RETRY_AFTER_SECONDS
    return max(1, math.ceil(exc.retry_after))


def document_problems(app: FastAPI) -> None:
    """Describe error bodies as application/problem+json in the OpenAPI document (FastAPI would list
    them as application/json, which is not what the API sends)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            for item in spec.get("paths", {}).values():
                for operation in item.values():
                    for status, response in operation.get("responses", {}).items():
                        content = response.get("content", {})
                        if str(status)[0] in "45" and "application/json" in content:
                            content[PROBLEM_JSON] = content.pop("application/json")
            app.openapi_schema = spec
        return app.openapi_schema

    # Replacing the method is FastAPI's documented way to change the document it serves.
    app.openapi = openapi  # type: ignore[method-assign]
