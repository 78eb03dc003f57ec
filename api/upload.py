"""Receiving a multipart upload as a stream.

Starlette's form parser would buffer the file into a temporary file before we could look at it; here
each chunk goes straight into the spool writer, which hashes it, keeps the magic bytes and stops the
transfer at the first byte past the limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from api.deps import CurrentUser, StateDep
from shared.documents.spool import SpooledFile, SpoolWriter
from shared.errors import Invalid, TooLarge, UnsupportedMediaType

_MAX_FIELD_BYTES = 4096  # form fields other than the file are short (pipeline)
# Multipart framing (boundaries, part headers) on top of the file itself.
_ENVELOPE_BYTES = 64 * 1024


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

    def callbacks(self) -> dict[str, object]:
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


async def receive_upload(
    request: Request, state: StateDep, _user: CurrentUser
) -> AsyncIterator[ReceivedUpload]:
    """Depends on the user so an unauthenticated request is refused before its body is read."""
    limits = state.settings.limits
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_upload_bytes + _ENVELOPE_BYTES:
        raise TooLarge(
            f"The file is larger than the {limits.max_upload_bytes:,} byte limit.",
            extra={"max_bytes": limits.max_upload_bytes},
        )
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType(
            "Upload the file as multipart/form-data with a field named 'file'.", code="multipart_required"
        )

    writer = SpoolWriter(state.settings.spool_dir, limits.max_upload_bytes)
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
        upload = ReceivedUpload(writer.finish(), parts.filename, parts.fields)
    except MultipartParseError as exc:
        writer.discard()
        raise Invalid(f"The multipart body is malformed ({exc}).", code="malformed_multipart") from exc
    except ClientDisconnect:
        writer.discard()
        raise
    except BaseException:
        writer.discard()
        raise
    try:
        yield upload
    finally:
        writer.discard()


UploadDep = Annotated[ReceivedUpload, Depends(receive_upload)]
