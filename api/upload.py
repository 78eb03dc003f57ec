"""Receiving a multipart upload as a stream.

Starlette's form parser would buffer the file into a temporary file before we could look at it; here
each chunk goes straight into the spool writer, which hashes it, keeps the magic bytes and stops the
transfer at the first byte past the limit.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy import func, select
from starlette.requests import ClientDisconnect

from api import security_events
from api.deps import CurrentUser, StateDep
from api.problems import STATUS_FOR_KIND
from api.security_events import SecurityEvent
from api.state import AppState, KnownUser
from shared.documents.filenames import extension
from shared.documents.spool import SpooledFile, SpoolWriter
from shared.errors import DomainError, Invalid, RateLimited, TooLarge, UnsupportedMediaType
from shared.models import Document

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

_MAX_FIELD_BYTES = 4096  # form fields other than the file are short (pipeline)
# Multipart framing (boundaries, part headers) on top of the file itself.
_ENVELOPE_BYTES = 64 * 1024
# Refusals that are recorded under their own security event (sign-in, rate limits), not as uploads.
_OWN_EVENT_STATUSES = (401, 429)
_LOGGED_EXTENSION = re.compile(r"\.[a-z0-9]{1,16}")


def multipart_body(file_description: str, pipeline_description: str) -> dict[str, Any]:
    """The OpenAPI request body of an upload route (read by hand, so FastAPI cannot describe it)."""
    properties = {
        "file": {"type": "string", "format": "binary", "description": file_description},
        "pipeline": {"type": "string", "description": pipeline_description},
    }
    schema = {"type": "object", "required": ["file"], "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


@dataclass
class ReceivedUpload:
    file: SpooledFile
    filename: str | None
    fields: dict[str, str] = field(default_factory=dict)


class _Parts:
    """Collects the parts the parser reports; only the `file` part is spooled."""

    def __init__(self, writer: SpoolWriter) -> None:
        self.writer = writer
        self.filename: str | None = None
        self.file_parts = 0
        self.file_complete = False
        self.fields: dict[str, str] = {}
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._buffer = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._append("_header_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._append("_header_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _append(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def _part_begin(self) -> None:
        self._headers, self._name, self._buffer = {}, None, bytearray()

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise Invalid(
                "Every part needs a Content-Disposition: form-data name.", code="malformed_multipart"
            )
        self._name = options[b"name"].decode("utf-8", "replace")
        if self._name == "file":
            self.file_parts += 1
            if self.file_parts > 1:
                raise Invalid("Send one file per request.", code="multiple_files")
            raw = options.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw is not None else None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._name == "file":
            self.writer.write(data[start:end])
            return
        self._buffer += data[start:end]
        if len(self._buffer) > _MAX_FIELD_BYTES:
            raise Invalid(f"The form field {self._name!r} is too long.", code="field_too_long")

    def _part_end(self) -> None:
        if self._name == "file":
            self.file_complete = True
        elif self._name:
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")


def upload_allowed(request: Request, state: StateDep, user: CurrentUser) -> None:
    """Quotas that can be decided before a byte of the body is read: uploads per minute, and how many
    documents the user already has in processing."""
    try:
        state.quotas.check_upload(user.subject)
        limit = state.settings.quotas.active_documents
        if limit:
            with state.autocommit() as session:
                active = session.execute(
                    select(func.count())
                    .select_from(Document)
                    .where(Document.owner_id == user.id, Document.status.in_(("queued", "processing")))
                ).scalar_one()
            if active >= limit:
                raise RateLimited(
                    f"You have {active} documents in processing; the limit is {limit}. Upload more as they finish.",
                    retry_after=30,
                    code="too_many_active_documents",
                )
    except RateLimited as exc:
        security_events.record(SecurityEvent.RATE_LIMITED, request, reason=exc.code, user=user.subject)
        raise


async def receive_upload(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    _allowed: Annotated[None, Depends(upload_allowed)],
) -> AsyncIterator[ReceivedUpload]:
    """Depends on the user so an unauthenticated request is refused before its body is read. A refusal
    raised here is recorded as a security event; the endpoint records the ones it raises itself."""
    upload = await _receive(request, state, user, state.settings.limits.max_upload_bytes)
    try:
        yield upload
    except RequestValidationError:
        # The other parameters (a header, the query) are validated only after the body was received.
        _record(request, user, "validation_error", upload.filename)
        raise
    finally:
        upload.file.path.unlink(missing_ok=True)


async def receive_archive(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    _allowed: Annotated[None, Depends(upload_allowed)],
) -> AsyncIterator[ReceivedUpload]:
    """`receive_upload` for a ZIP batch, whose archive may be as large as all its entries together."""
    limit = state.settings.limits.batch_max_total_bytes
    upload = await _receive(request, state, user, limit, too_large_code="archive_too_large")
    try:
        yield upload
    except RequestValidationError:
        _record(request, user, "validation_error", upload.filename)
        raise
    finally:
        upload.file.path.unlink(missing_ok=True)


async def _receive(
    request: Request, state: AppState, user: KnownUser, max_bytes: int, *, too_large_code: str | None = None
) -> ReceivedUpload:
    """The upload spooled to disk, or a refusal recorded as a security event."""
    parts: _Parts | None = None
    try:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes + _ENVELOPE_BYTES:
            raise TooLarge(
                f"The file is larger than the {max_bytes:,} byte limit.", extra={"max_bytes": max_bytes}
            )
        content_type, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if content_type != b"multipart/form-data" or not boundary:
            raise UnsupportedMediaType(
                "Upload the file as multipart/form-data with a field named 'file'.", code="multipart_required"
            )

        writer = SpoolWriter(state.settings.spool_dir, max_bytes)
        parts = _Parts(writer)
        try:
            parser = MultipartParser(boundary, parts.callbacks())
            async for chunk in request.stream():
                parser.write(chunk)
            parser.finalize()
            if parts.file_parts == 0:
                raise Invalid("The request has no part named 'file'.", code="file_missing")
            if not parts.file_complete:
                raise Invalid("The upload ended before the file part was complete.", code="incomplete_upload")
            return ReceivedUpload(writer.finish(), parts.filename, parts.fields)
        except MultipartParseError as exc:
            writer.discard()
            raise Invalid(f"The multipart body is malformed ({exc}).", code="malformed_multipart") from exc
        except ClientDisconnect:
            writer.discard()
            raise
        except BaseException:
            writer.discard()
            raise
    except DomainError as exc:
        if too_large_code is not None and isinstance(exc, TooLarge):
            exc.code = too_large_code
        record_refusal(request, user, exc, parts.filename if parts else None)
        raise


def record_refusal(request: Request, user: KnownUser, error: DomainError, filename: str | None) -> None:
    """Record a refused upload as one UPLOAD_REJECTED security event: the problem code, the user and
    the file's extension, never its name. Failures that are not the upload's (5xx) and refusals with an
    event of their own (sign-in, rate limits) are not recorded here."""
    status = STATUS_FOR_KIND.get(error.kind, 500)
    if status < 500 and status not in _OWN_EVENT_STATUSES:
        _record(request, user, error.code, filename)


def _record(request: Request, user: KnownUser, code: str, filename: str | None) -> None:
    security_events.record(
        SecurityEvent.UPLOAD_REJECTED, request, reason=code, user=str(user.id), extension=_extension(filename)
    )


def _extension(filename: str | None) -> str | None:
    """The extension as the client named it, when it is a plain one; the rest of a name can carry
    anything (personal data, control characters), so it never reaches a log."""
    ext = extension(filename) if filename else ""
    if not ext:
        return None
    return ext if _LOGGED_EXTENSION.fullmatch(ext) else "(unusual)"


UploadDep = Annotated[ReceivedUpload, Depends(receive_upload)]
ArchiveDep = Annotated[ReceivedUpload, Depends(receive_archive)]
