from __future__ import annotations

from shared.config import Settings
from shared.providers.storage.base import BlobStore
from shared.providers.storage.local import LocalBlobStore


def build_blob_store(settings: Settings) -> BlobStore:
    """The configured store; local files unless a cloud store is configured."""
    return LocalBlobStore(settings.blob_dir)
