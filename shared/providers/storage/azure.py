"""Blobs in an Azure Blob Storage container, streamed both ways.

`AZURE_STORAGE_CONNECTION_STRING` (an account key or a SAS) or `AZURE_STORAGE_ACCOUNT_URL` with
DefaultAzureCredential (a managed identity in production) selects this store. The container is created
on first use. Files go up in blocks and come down in ranges, so memory stays at a few blocks whatever
the file's size.

Errors: a missing blob or container is BlobNotFound; everything else the SDK raises after its own
retries (connection failures, timeouts, 5xx, refused credentials) is BlobStoreUnavailable. Their
messages are written here from the status and error code, never copied from the SDK, whose messages
can carry a request URL with a SAS token in it; for the same reason the SDK's exception is not chained.
The SDK's own logs redact signatures; urllib3's debug log, which prints request URLs, is given a filter
that does the same once this store makes a client.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import quote, unquote, urlsplit

from shared.config import StorageSettings
from shared.providers.storage.base import (
    BlobNotFound,
    BlobStoreUnavailable,
    check_key,
    check_metadata,
    check_prefix,
)

log = logging.getLogger(__name__)

# Uploads up to SINGLE_PUT_SIZE are one PUT; larger ones are staged in blocks of BLOCK_SIZE, (concurrency
# + 1) blocks in memory at most.
BLOCK_SIZE = 4 * 1024 * 1024
SINGLE_PUT_SIZE = 8 * 1024 * 1024
# Downloads come in ranges of GET_SIZE. Smaller than the blocks because the SDK collects each response
# with list() over a stream whose len() is its byte count: the list's slots take 8 bytes per byte of
# the range (32 MB for a 4 MB range), if only until the range is joined.
GET_SIZE = 1024 * 1024
# The most blobs the service deletes in one batch request.
_BATCH_LIMIT = 256
# A SAS starts a little in the past, so a client whose clock runs behind can use it at once.
_CLOCK_SKEW = timedelta(minutes=5)
# User delegation keys live at most 7 days (a margin keeps a fast clock inside that); one is fetched for
# at least an hour and reused while it lasts. A link signed with one expires no later than the key.
_DELEGATION_KEY_MIN = timedelta(hours=1)
_DELEGATION_KEY_MAX = timedelta(days=7) - timedelta(minutes=10)
_PROBE_KEY = "_health/probe"
# Metadata values travel as HTTP headers: everything but printable ASCII (and "%", so decoding is
# exact) is percent-encoded. Plain values are stored as they are.
_METADATA_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")


class AzureBlobStore:
    """The BlobStore protocol over one container. Clients are made on first use and shared by threads
    (the SDK's clients are thread-safe)."""

    name = "azure"

    def __init__(
        self,
        settings: StorageSettings,
        *,
        max_concurrency: int = 2,
        retry_total: int = 3,
        retry_backoff_seconds: float = 1.0,
        connection_timeout_seconds: float = 10.0,
        read_timeout_seconds: float = 60.0,
        batch_delete: bool = True,
    ) -> None:
        """`max_concurrency` parallel requests per upload or download; `retry_total` retries of a failed
        request, the n-th after about `retry_backoff_seconds + 2**n` seconds (the SDK's exponential policy);
        `batch_delete=False` deletes one blob per request (for accounts that refuse batch requests)."""
        if not settings.uses_azure:
            raise ValueError(
                "AzureBlobStore needs AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL"
            )
        if settings.azure_connection_string and settings.azure_account_url:
            raise ValueError("set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL, not both")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.container = settings.azure_container
        self._settings = settings
        self._max_concurrency = max_concurrency
        self._retry_total = retry_total
        self._retry_backoff = retry_backoff_seconds
        self._timeouts = {
            "connection_timeout": connection_timeout_seconds,
            "read_timeout": read_timeout_seconds,
        }
        self._batch_delete = batch_delete
        self._lock = threading.Lock()
        self._key_lock = threading.Lock()
        self._service: Any = None
        self._container_client: Any = None
        self._container_ready = False
        self._delegation_key: Any = None
        self._delegation_key_expiry: datetime | None = None

    def __repr__(self) -> str:
        return (
            f"AzureBlobStore(account_url={self._endpoint()!r}, container={self.container!r}, "
            f"auth={self._auth()})"
        )

    # Writing.

    def put_file(
        self, key: str, path: Path, *, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        check_key(key)
        encoded = {
            name: quote(value, safe=_METADATA_SAFE) for name, value in check_metadata(metadata).items()
        }
        size = path.stat().st_size

        def upload() -> None:
            with path.open("rb") as source:
                self._upload(key, source, size, content_type, encoded)

        self._write("store", key, upload)

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> None:
        check_key(key)
        self._write("store", key, lambda: self._upload(key, data, len(data), content_type, {}))

    def _upload(
        self, key: str, data: bytes | BinaryIO, size: int, content_type: str, metadata: dict[str, str]
    ) -> None:
        from azure.storage.blob import ContentSettings

        self._container().upload_blob(
            key,
            data,
            length=size,
            overwrite=True,
            content_settings=ContentSettings(content_type=content_type),
            metadata=metadata,
            max_concurrency=self._max_concurrency,
        )

    def _write(self, operation: str, key: str, attempt: Callable[[], None]) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        with self._errors(operation, key):
            try:
                attempt()
            except ResourceNotFoundError as exc:
                if getattr(exc, "error_code", None) != "ContainerNotFound":
                    raise
                # Deleted since it was created: create it again and write once more.
                with self._lock:
                    self._container_ready = False
                attempt()

    # Reading.

    def open_read(self, key: str) -> BinaryIO:
        """A buffered stream over the blob's chunks; a blob replaced while it is read raises
        BlobStoreUnavailable rather than mixing two versions."""
        downloader = self._download("read", key, max_concurrency=1)
        raw = _ChunkReader(downloader.chunks(), key)
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=256 * 1024))

    def download_to(self, key: str, path: Path) -> None:
        downloader = self._download("download", key, max_concurrency=self._max_concurrency)
        try:
            with self._errors("download", key), path.open("wb") as out:
                downloader.readinto(out)
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def _download(self, operation: str, key: str, *, max_concurrency: int) -> Any:
        check_key(key)
        with self._errors(operation, key):
            return self._container().download_blob(key, max_concurrency=max_concurrency)

    def size(self, key: str) -> int:
        check_key(key)
        with self._errors("get the size of", key):
            return int(self._container().get_blob_client(key).get_blob_properties().size)

    def properties(self, key: str) -> tuple[str, dict[str, str]]:
        """The content type and metadata stored with the blob (from its properties); for tests and
        tools, not part of the BlobStore protocol."""
        check_key(key)
        with self._errors("read the properties of", key):
            props = self._container().get_blob_client(key).get_blob_properties()
        metadata = {name: unquote(value) for name, value in (props.metadata or {}).items()}
        return props.content_settings.content_type or "application/octet-stream", metadata

    def read_url(self, key: str, ttl_seconds: int) -> str | None:
        """A read-only SAS URL for this one blob: signed with the account key when the store has it, with
        a user delegation key when it authenticates as an identity (valid for at most about 7 days), None
        when it holds only a SAS."""
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        check_key(key)
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        service = self._client()
        now = datetime.now(UTC)
        expiry = now + timedelta(seconds=ttl_seconds)
        signing: dict[str, Any]
        credential = service.credential
        if getattr(credential, "account_key", None):
            signing = {"account_key": credential.account_key}
        elif hasattr(credential, "get_token"):
            expiry = min(expiry, now + _DELEGATION_KEY_MAX)
            signing = {"user_delegation_key": self._user_delegation_key(service, key, now, expiry)}
        else:
            return None
        token = generate_blob_sas(
            service.account_name,
            self.container,
            key,
            permission=BlobSasPermissions(read=True),
            start=now - _CLOCK_SKEW,
            expiry=expiry,
            protocol="https" if service.scheme == "https" else "https,http",
            **signing,
        )
        return f"{service.get_blob_client(self.container, key).url}?{token}"

    def _user_delegation_key(self, service: Any, key: str, now: datetime, expiry: datetime) -> Any:
        with self._key_lock:
            cached, cached_expiry = self._delegation_key, self._delegation_key_expiry
            if cached is not None and cached_expiry is not None and cached_expiry >= expiry:
                return cached
            key_expiry = now + min(max(expiry - now, _DELEGATION_KEY_MIN), _DELEGATION_KEY_MAX)
            with self._errors("sign a download link for", key):
                self._delegation_key = service.get_user_delegation_key(now - _CLOCK_SKEW, key_expiry)
            self._delegation_key_expiry = key_expiry
            return self._delegation_key

    # Deleting.

    def delete_prefix(self, prefix: str) -> int:
        check_prefix(prefix)
        deleted = 0
        try:
            with self._errors("delete the blobs under", prefix):
                pages = self._container().list_blobs(name_starts_with=prefix, results_per_page=_BATCH_LIMIT)
                for page in pages.by_page():
                    names = [blob.name for blob in page]
                    if names:
                        deleted += self._delete(names)
        except BlobNotFound:  # the container is gone, and every blob with it
            pass
        return deleted

    def _delete(self, names: list[str]) -> int:
        from azure.core.exceptions import HttpResponseError

        if self._batch_delete:
            try:
                responses = self._container().delete_blobs(
                    *names, delete_snapshots="include", raise_on_any_failure=False
                )
                return self._count_deleted(
                    [(name, r.status_code) for name, r in zip(names, responses, strict=True)]
                )
            except HttpResponseError as exc:
                status = exc.status_code or 0
                if status in (401, 429):  # one request per blob would fare no better
                    raise
                if 400 <= status < 500 and status != 403:
                    # The account or its front refuses batch requests: stop asking.
                    log.warning("blob batch delete refused (HTTP %s); deleting one blob per request", status)
                    self._batch_delete = False
                else:
                    log.warning("blob batch delete failed (HTTP %s); deleting these blobs one by one", status)
        return self._count_deleted([(name, self._delete_one(name)) for name in names])

    def _delete_one(self, name: str) -> int:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._container().delete_blob(name, delete_snapshots="include")
        except ResourceNotFoundError:
            return 404
        return 202

    @staticmethod
    def _count_deleted(statuses: list[tuple[str, int]]) -> int:
        failed = [(name, status) for name, status in statuses if status not in (202, 404)]
        if failed:
            name, status = failed[0]
            raise BlobStoreUnavailable(
                f"blob storage could not delete {name!r}: the service answered HTTP {status}"
                + (f" (and {len(failed) - 1} more failed)" if len(failed) > 1 else "")
            )
        # A 404 is a blob someone else deleted between listing and deleting: not ours to count.
        return sum(1 for _, status in statuses if status == 202)

    # Health.

    def check(self) -> None:
        """Creates the container if missing, then writes and deletes a small probe blob; no retries, so
        a health check answers quickly."""
        from azure.core.exceptions import ResourceNotFoundError

        quick = {"retry_total": 0}

        def probe() -> None:
            container = self._container(**quick)
            container.upload_blob(_PROBE_KEY, b"", overwrite=True, **quick)
            with suppress(ResourceNotFoundError):  # a concurrent check deleted it first
                container.delete_blob(_PROBE_KEY, **quick)

        self._write("write a probe blob at", _PROBE_KEY, probe)

    # Clients.

    def _client(self) -> Any:
        with self._lock:
            if self._service is None:
                self._service = self._make_client()
            return self._service

    def _make_client(self) -> Any:
        from azure.storage.blob import BlobServiceClient, ExponentialRetry

        options: dict[str, Any] = {
            "max_single_put_size": SINGLE_PUT_SIZE,
            "max_block_size": BLOCK_SIZE,
            "max_single_get_size": GET_SIZE,
            "max_chunk_get_size": GET_SIZE,
            "retry_policy": ExponentialRetry(
                # The SDK annotates these as whole seconds but computes its delays with floats; the
                # tests back off for fractions of a second.
                initial_backoff=self._retry_backoff,  # type: ignore[arg-type]
                increment_base=2,
                retry_total=self._retry_total,
                random_jitter_range=min(1, self._retry_backoff),  # type: ignore[arg-type]
            ),
            **self._timeouts,
        }
        _redact_transport_logs()
        try:
            if self._settings.azure_connection_string is not None:
                return BlobServiceClient.from_connection_string(
                    self._settings.azure_connection_string.get_secret_value(), **options
                )
            from azure.identity import DefaultAzureCredential

            account_url = self._settings.azure_account_url
            if account_url is None:  # the constructor refuses settings with neither
                raise ValueError("no account URL")
            return BlobServiceClient(account_url, credential=DefaultAzureCredential(), **options)
        except ValueError:
            # The SDK's own wording could quote the setting; say which setting is wrong instead.
            setting = (
                "AZURE_STORAGE_CONNECTION_STRING"
                if self._settings.azure_connection_string is not None
                else "AZURE_STORAGE_ACCOUNT_URL (an https URL)"
            )
            raise ValueError(f"{setting} is not usable for Azure Blob Storage") from None

    def _container(self, **options: Any) -> Any:
        """The container client, creating the container the first time it is needed."""
        if self._container_ready:
            return self._container_client
        service = self._client()
        with self._lock:
            if self._container_client is None:
                self._container_client = service.get_container_client(self.container)
            if not self._container_ready:
                self._create_container(self._container_client, options)
                self._container_ready = True
            return self._container_client

    def _create_container(self, container: Any, options: dict[str, Any]) -> None:
        from azure.core.exceptions import HttpResponseError, ResourceExistsError

        try:
            container.create_container(**options)
            log.info("created blob container %s", self.container)
        except ResourceExistsError:
            pass
        except HttpResponseError as exc:
            if exc.status_code != 403:
                raise
            # Credentials scoped to the container (a container SAS, a data-only role) may not create it;
            # it is then expected to exist, and using it will say so if it does not.
            log.info("not allowed to create blob container %s; assuming it exists", self.container)

    @contextmanager
    def _errors(self, operation: str, key: str) -> Iterator[None]:
        from azure.core.exceptions import AzureError

        try:
            yield
        except AzureError as exc:
            raise _translate(exc, operation, key) from None

    def _endpoint(self) -> str:
        """The account's blob endpoint without any query (which could hold a SAS)."""
        if self._settings.azure_account_url:
            url = self._settings.azure_account_url
        else:
            assert self._settings.azure_connection_string is not None
            fields = _connection_fields(self._settings.azure_connection_string.get_secret_value())
            if fields.get("usedevelopmentstorage", "").lower() == "true":
                url = "http://127.0.0.1:10000/devstoreaccount1"
            else:
                url = fields.get("blobendpoint") or (
                    f"{fields.get('defaultendpointsprotocol', 'https')}://{fields.get('accountname', '?')}"
                    f".blob.{fields.get('endpointsuffix', 'core.windows.net')}"
                )
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")

    def _auth(self) -> str:
        if self._settings.azure_account_url:
            return "token"
        assert self._settings.azure_connection_string is not None
        fields = _connection_fields(self._settings.azure_connection_string.get_secret_value())
        if "accountkey" in fields or fields.get("usedevelopmentstorage", "").lower() == "true":
            return "shared-key"
        return "sas" if "sharedaccesssignature" in fields else "anonymous"


class _RedactSignatures(logging.Filter):
    """Blanks SAS signatures in the HTTP library's log messages, which print request URLs: with a SAS
    connection string every request carries one in its query."""

    _SIGNATURE = re.compile(r"(?i)\b(sig=)[^&\s'\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to fix
            return True
        redacted = self._SIGNATURE.sub(r"\1REDACTED", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACT_SIGNATURES = _RedactSignatures()
# The urllib3 loggers that print URLs (filters apply to the logger a record is made on).
_URL_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry")


def _redact_transport_logs() -> None:
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACT_SIGNATURES not in logger.filters:
            logger.addFilter(_REDACT_SIGNATURES)


class _ChunkReader(io.RawIOBase):
    """The chunks of a download as a raw stream, one chunk in memory at a time."""

    def __init__(self, chunks: Iterator[bytes], key: str) -> None:
        self._chunks = chunks
        self._key = key
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        from azure.core.exceptions import AzureError

        while not self._pending:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                return 0
            except AzureError as exc:
                raise _translate(exc, "read", self._key) from None
            self._pending = memoryview(chunk)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        self._chunks = iter(())
        self._pending = memoryview(b"")
        super().close()


def _translate(exc: Exception, operation: str, key: str) -> Exception:
    """Our error for an SDK exception: BlobNotFound for a missing blob or container, otherwise
    BlobStoreUnavailable with a message made of the operation, the key, the status and the service's
    error code, and nothing the SDK wrote (which may quote a URL with a SAS in it)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceModifiedError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, ResourceNotFoundError):
        return BlobNotFound(key)
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    code = response.headers.get("x-ms-error-code") if response is not None else None
    error_code = getattr(exc, "error_code", None)
    if not code and error_code:
        code = getattr(error_code, "value", error_code)
    answered = f"HTTP {status}" + (f" {code}" if code else "")
    if isinstance(exc, ClientAuthenticationError) and response is None:
        reason = "no credential for the storage account could be obtained"
    elif isinstance(exc, ClientAuthenticationError) or status in (401, 403):
        reason = f"the storage account refused our credentials ({answered})"
    elif isinstance(exc, ResourceModifiedError):
        reason = f"the blob changed while it was in use ({answered})"
    elif isinstance(exc, HttpResponseError) and status:
        reason = f"the service answered {answered}"
    elif isinstance(exc, ServiceRequestError):
        reason = "the storage account could not be reached"
    elif isinstance(exc, ServiceResponseError):
        reason = "the connection to the storage account failed or timed out"
    else:
        reason = type(exc).__name__
    return BlobStoreUnavailable(f"blob storage could not {operation} {key!r}: {reason}")


def _connection_fields(connection_string: str) -> dict[str, str]:
    fields = {}
    for part in connection_string.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return fields
