"""What an API key may do. A person signed in (a Clerk session or a dev token) may do everything their
role allows; a key only what its scopes name, and never manage keys."""

from __future__ import annotations

import enum


class Scope(enum.StrEnum):
    DOCUMENTS_READ = "documents:read"  # documents, pages, results, files, jobs, grants
    DOCUMENTS_WRITE = "documents:write"  # upload, reprocess, retry, cancel, share, delete
    SEARCH = "search"  # search, ask and conversations
    WEBHOOKS = "webhooks"  # webhook endpoints and their deliveries
