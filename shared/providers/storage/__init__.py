from shared.providers.storage.base import (
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    batch_prefix,
    batch_source_key,
    check_key,
    check_metadata,
    check_prefix,
    document_prefix,
    job_prefix,
    original_key,
)
from shared.providers.storage.factory import build_blob_store

__all__ = [
    "BlobNotFound",
    "BlobStore",
    "BlobStoreUnavailable",
    "batch_prefix",
    "batch_source_key",
    "build_blob_store",
    "check_key",
    "check_metadata",
    "check_prefix",
    "document_prefix",
    "job_prefix",
    "original_key",
]
