"""The uploaded file on local disk for a step that must hand it to a reader or a service, removed
when the step is done with it whatever happens."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.jobs.context import JobContext
from shared.jobs.errors import PermanentJobError, TransientJobError
from shared.providers.storage import BlobNotFound, BlobStore, BlobStoreUnavailable


@contextmanager
def local_original(ctx: JobContext, storage: BlobStore, blob_key: str) -> Iterator[Path]:
    """The original at `blob_key`, downloaded into the worker's spool directory. A missing original
    fails the job for good; storage that cannot be read now is retried."""
    directory = ctx.settings.spool_dir
    directory.mkdir(parents=True, exist_ok=True)
    spool = Path(tempfile.mkdtemp(prefix=f"{ctx.claim.kind}-", dir=directory))
    try:
        local = spool / "original"
        try:
            storage.download_to(blob_key, local)
        except BlobNotFound as exc:
            raise PermanentJobError("original_missing", "The uploaded file is missing from storage.") from exc
        except (BlobStoreUnavailable, OSError) as exc:
            raise TransientJobError("storage_unavailable", f"Blob storage could not be read: {exc}") from exc
        yield local
    finally:
        shutil.rmtree(spool, ignore_errors=True)
