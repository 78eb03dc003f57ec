from __future__ import annotations

from shared.config import Settings
from shared.providers.storage.base import BlobStore
from shared.providers.storage.local import LocalBlobStore


def build_blob_store(settings: Settings) -> BlobStore:
    """The configured store: Azure Blob Storage when a connection string or account URL is set, local
    files otherwise. The Azure module (and its SDK) is imported only when chosen."""
    if settings.storage.uses_azure:
        from shared.providers.storage.azure import AzureBlobStore

        return AzureBlobStore(settings.storage)
    return LocalBlobStore(settings.blob_dir)
