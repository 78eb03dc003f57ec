"""`workopti export`: a schema's results, by id or name, streamed to a file or stdout."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from cli.client import ApiClient

FORMATS = ("csv", "jsonl", "xlsx")


class ExportError(Exception):
    """What the person asked for cannot be exported (unknown or ambiguous schema, bad format)."""


def resolve(client: ApiClient, schema: str) -> str:
    """The id of the caller's schema `schema` names: an id, or a name (ignoring case) among the schemas
    they own or were granted. A name two schemas share (one owned, one shared) must be given by id."""
    try:
        return str(uuid.UUID(schema))
    except ValueError:
        pass
    wanted = schema.strip().casefold()
    found = [item for item in client.schemas() if item["name"].casefold() == wanted]
    if not found:
        raise ExportError(f"no schema named {schema!r}; `GET /api/v1/schemas` lists yours")
    if len(found) > 1:
        ids = ", ".join(item["id"] for item in found)
        raise ExportError(f"several schemas are named {schema!r} ({ids}): give its id")
    return str(found[0]["id"])


def export(client: ApiClient, schema: str, fmt: str, output: Path | None) -> int:
    """Write the export; returns the bytes written. A failed export leaves no partial file behind."""
    if fmt not in FORMATS:
        raise ExportError(f"format is one of {', '.join(FORMATS)}")
    schema_id = resolve(client, schema)
    chunks = client.export(schema_id, fmt)
    if output is None:
        return _copy(chunks, sys.stdout.buffer)
    partial = output.with_name(f".{output.name}.part")
    try:
        with partial.open("wb") as handle:
            written = _copy(chunks, handle)
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


def _copy(chunks: Iterable[bytes], out: BinaryIO) -> int:
    written = 0
    for chunk in chunks:
        out.write(chunk)
        written += len(chunk)
    out.flush()
    return written
