"""Following documents until each has ended: by the live event stream, by polling when it is unavailable."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection
from typing import Any

import httpx

from cli.client import SHA256_PER_REQUEST, TERMINAL, ApiClient, ApiError

log = logging.getLogger(__name__)

Documents = dict[str, dict[str, Any]]


def follow(
    client: ApiClient,
    documents: Documents,
    on_change: Callable[[str], None],
    poll_seconds: float,
    *,
    status_only: bool = False,
) -> None:
    """Follow `documents` (id -> the document as last seen, updated in place) until each has ended,
    calling `on_change(id)` after each update. One event stream serves them all, however many.

    With `status_only` the documents may be rows of the documents list (they need their `sha256`) and
    only their status is kept current: they are read back by content, many to a request, and one that
    ends is not fetched again, so following thousands costs few requests."""
    try:
        by_events(client, documents, on_change, status_only)
    except (httpx.HTTPError, ApiError) as exc:
        log.debug("following by polling: %s", exc)
    by_polling(client, documents, on_change, poll_seconds, status_only)  # returns at once when all ended


def _pending(documents: Documents) -> set[str]:
    return {document_id for document_id, doc in documents.items() if doc["status"] not in TERMINAL}


def by_events(
    client: ApiClient, documents: Documents, on_change: Callable[[str], None], status_only: bool
) -> None:
    """Each event updates the document it is about; a document is fetched again only when it ends."""
    pending = _pending(documents)
    if not pending:
        return
    for name, data in client.events():
        if name == "open":  # what happened before the stream opened
            caught_up = sorted(pending)
            _refresh(client, documents, caught_up, status_only)
            pending = _pending(documents)
            for document_id in caught_up:
                on_change(document_id)
        document_id = str(data.get("document_id", ""))
        if document_id in pending:
            document = documents[document_id]
            if name == "job.changed":
                for job in document.get("jobs", []):
                    if job["id"] == data["job_id"]:
                        job["status"], job["attempts"] = data["status"], max(job["attempts"], data["attempt"])
            elif name == "document.changed" and data.get("status") in TERMINAL:
                if status_only:
                    document["status"] = data["status"]
                else:
                    documents[document_id] = client.document(document_id)  # its final state and outputs
                pending.discard(document_id)
            elif name == "document.changed":
                document["status"] = data["status"]
                for job in document.get("jobs", []):
                    if job["id"] == data.get("job_id"):
                        job["progress"] = data["progress"]
            elif name == "document.deleted":
                document["status"] = "cancelled"
                pending.discard(document_id)
            on_change(document_id)
        if not pending:
            return


def by_polling(
    client: ApiClient,
    documents: Documents,
    on_change: Callable[[str], None],
    poll_seconds: float,
    status_only: bool,
) -> None:
    etags: dict[str, str | None] = {}
    while pending := sorted(_pending(documents)):
        pause = poll_seconds
        if status_only:
            _refresh(client, documents, pending, status_only)
            for document_id in pending:
                on_change(document_id)
            # About one request per pause however many are followed, well within the request quota.
            pause *= math.ceil(len(pending) / SHA256_PER_REQUEST)
        else:
            for document_id in pending:
                polled = client.poll(document_id, etags.get(document_id))
                etags[document_id] = polled.etag
                if polled.document is not None:
                    documents[document_id] = polled.document
                    on_change(document_id)
        if _pending(documents):
            time.sleep(pause)


def _refresh(client: ApiClient, documents: Documents, ids: Collection[str], status_only: bool) -> None:
    if not status_only:
        for document_id in ids:
            documents[document_id] = client.document(document_id)
        return
    rows = {row["id"]: row for row in client.owned_by_sha256([documents[i]["sha256"] for i in ids])}
    for document_id in ids:
        if document_id in rows:
            documents[document_id].update(rows[document_id])
        else:  # deleted since
            documents[document_id]["status"] = "cancelled"
