"""The blob stores: one contract run against the local store and against Azure Blob Storage (Azurite),
then what only the Azure store does (its container, SAS links, identities, errors and secrets, memory)."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from shared.config import Settings, StorageSettings
from shared.providers.storage import BlobNotFound, BlobStoreUnavailable, build_blob_store
from shared.providers.storage.azure import GET_SIZE, SINGLE_PUT_SIZE, AzureBlobStore
from shared.providers.storage.local import LocalBlobStore
from testkit.fakes.azurite import ACCOUNT_KEY, Azurite, ManagedIdentityEndpoint
from tests.providers.conftest import AnyBlobStore, azure_settings, new_container_name

# Azurite runs on Node, from the npm package `make test` installs (testkit/azurite).
pytestmark = pytest.mark.external

MB = 1024 * 1024
SECRET_LOGGERS = ("azure", "urllib3", "requests", "msal", "httpx")


def random_file(path: Path, size: int) -> str:
    """Writes `size` random bytes to `path` a megabyte at a time; returns their sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        remaining = size
        while remaining:
            block = os.urandom(min(MB, remaining))
            digest.update(block)
            out.write(block)
            remaining -= len(block)
    return digest.hexdigest()


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(MB):
            digest.update(block)
    return digest.hexdigest()


def sha256_of_stream(store: AnyBlobStore, key: str, read_size: int) -> tuple[str, int]:
    """The blob's sha256, read through open_read in reads of `read_size`, and the largest read seen."""
    digest, largest = hashlib.sha256(), 0
    with store.open_read(key) as stream:
        while block := stream.read(read_size):
            largest = max(largest, len(block))
            digest.update(block)
    return digest.hexdigest(), largest


# The contract: every store, the same behaviour.


def test_bytes_round_trip_with_their_content_type(blob_store: AnyBlobStore) -> None:
    blob_store.put_bytes(
        "documents/d1/ocr/page-00001.json", b'{"text": "hello"}', content_type="application/json"
    )

    with blob_store.open_read("documents/d1/ocr/page-00001.json") as stream:
        assert stream.read() == b'{"text": "hello"}'
    assert blob_store.size("documents/d1/ocr/page-00001.json") == 17
    assert blob_store.properties("documents/d1/ocr/page-00001.json") == ("application/json", {})


def test_an_empty_blob_round_trips(blob_store: AnyBlobStore, tmp_path: Path) -> None:
    blob_store.put_bytes("documents/d1/empty", b"", content_type="text/plain")

    assert blob_store.size("documents/d1/empty") == 0
    with blob_store.open_read("documents/d1/empty") as stream:
        assert stream.read() == b""
    blob_store.download_to("documents/d1/empty", tmp_path / "empty")
    assert (tmp_path / "empty").read_bytes() == b""


def test_a_file_larger_than_one_request_round_trips_by_file_and_by_stream(
    blob_store: AnyBlobStore, tmp_path: Path
) -> None:
    size = SINGLE_PUT_SIZE + 2 * MB + 12_345  # staged in blocks, the last one short
    source = tmp_path / "source.pdf"
    digest = random_file(source, size)

    blob_store.put_file(
        "documents/d2/original", source, content_type="application/pdf", metadata={"sha256": digest}
    )

    assert blob_store.size("documents/d2/original") == size
    assert blob_store.properties("documents/d2/original") == ("application/pdf", {"sha256": digest})
    blob_store.download_to("documents/d2/original", tmp_path / "copy.pdf")
    assert sha256_of_file(tmp_path / "copy.pdf") == digest
    assert sha256_of_stream(blob_store, "documents/d2/original", 4096) == (digest, 4096)


def test_open_read_streams_in_the_sizes_asked_for(blob_store: AnyBlobStore) -> None:
    data = bytes(range(256)) * 20_000  # 5 MB: several ranges of an Azure download
    blob_store.put_bytes("documents/d3/original", data, content_type="application/octet-stream")

    with blob_store.open_read("documents/d3/original") as stream:
        assert stream.readable()
        head = stream.read(1000)
        middle = stream.read(2 * GET_SIZE)  # across two of the Azure store's ranges
        rest = stream.read()
        assert stream.read(10) == b""
    assert head == data[:1000]
    assert middle == data[1000 : 1000 + 2 * GET_SIZE]
    assert head + middle + rest == data
    with pytest.raises(ValueError):
        stream.read(1)  # closed


def test_metadata_keeps_any_text_and_names_must_be_identifiers(
    blob_store: AnyBlobStore, tmp_path: Path
) -> None:
    source = tmp_path / "report.pdf"
    source.write_bytes(b"%PDF-1.7 tiny")
    metadata = {
        "filename": "Rapport d'activit\u00e9 2024 \u2013 100% \u00abfinal\u00bb.pdf",
        "document_id": str(uuid.uuid4()),
        "spaced": "  leading and trailing  ",
        "escaped": "%41 is not A",
        "lines": "one\ntwo",
    }

    blob_store.put_file("documents/d4/original", source, content_type="application/pdf", metadata=metadata)

    assert blob_store.properties("documents/d4/original") == ("application/pdf", metadata)
    for bad_name in ("has-dash", "1starts_with_digit", "spa ce", "naïve"):
        with pytest.raises(ValueError, match="identifiers"):
            blob_store.put_file(
                "documents/d4/other", source, content_type="application/pdf", metadata={bad_name: "x"}
            )
    with pytest.raises(BlobNotFound):
        blob_store.size("documents/d4/other")


def test_a_put_replaces_the_blob_its_type_and_its_metadata(blob_store: AnyBlobStore, tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.write_bytes(b"first version, longer than the second")
    blob_store.put_file("documents/d5/original", first, content_type="text/plain", metadata={"version": "1"})

    blob_store.put_bytes("documents/d5/original", b"second", content_type="application/json")

    with blob_store.open_read("documents/d5/original") as stream:
        assert stream.read() == b"second"
    assert blob_store.size("documents/d5/original") == 6
    assert blob_store.properties("documents/d5/original") == ("application/json", {})


def test_missing_blobs_raise_blob_not_found_and_leave_no_file(
    blob_store: AnyBlobStore, tmp_path: Path
) -> None:
    blob_store.put_bytes("documents/d6/original", b"x", content_type="text/plain")
    target = tmp_path / "never"
    for missing in ("documents/d6/nothing", "documents/other/original", "documents/d6"):
        with pytest.raises(BlobNotFound) as raised:
            blob_store.open_read(missing)
        assert raised.value.key == missing
        with pytest.raises(BlobNotFound):
            blob_store.size(missing)
        with pytest.raises(BlobNotFound):
            blob_store.properties(missing)
        with pytest.raises(BlobNotFound):
            blob_store.download_to(missing, target)
        assert not target.exists()


def test_delete_prefix_deletes_exactly_one_documents_blobs(blob_store: AnyBlobStore) -> None:
    mine = [
        "documents/abc/original",
        "documents/abc/ocr/page-00001.json",
        "documents/abc/ocr/page-00002.json",
    ]
    siblings = ["documents/abcd/original", "documents/ab/original", "documents/abcd/ocr/page-00001.json"]
    for key in mine + siblings:
        blob_store.put_bytes(key, key.encode(), content_type="text/plain")

    assert blob_store.delete_prefix("documents/abc/ocr/") == 2
    assert blob_store.delete_prefix("documents/abc/") == 1
    assert blob_store.delete_prefix("documents/abc/") == 0
    assert blob_store.delete_prefix("documents/never-was/") == 0

    for key in mine:
        with pytest.raises(BlobNotFound):
            blob_store.size(key)
    for key in siblings:
        with blob_store.open_read(key) as stream:
            assert stream.read() == key.encode()


def test_delete_prefix_deletes_more_blobs_than_one_batch_holds(blob_store: AnyBlobStore) -> None:
    keys = [f"documents/many/ocr/page-{n:05d}.json" for n in range(1, 262)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: blob_store.put_bytes(key, b"{}", content_type="application/json"), keys))
    blob_store.put_bytes("documents/many2/original", b"kept", content_type="text/plain")

    assert blob_store.delete_prefix("documents/many/") == len(keys)

    assert blob_store.size("documents/many2/original") == 4
    with pytest.raises(BlobNotFound):
        blob_store.size(keys[-1])


@pytest.mark.parametrize(
    "key",
    ["", "/documents/x", "documents//x", "documents/./x", "documents/../x", "..", "documents/x/", "a\\b", "a\nb",
     "x" * 1025],
)  # fmt: skip
def test_invalid_keys_are_rejected_by_every_operation(
    blob_store: AnyBlobStore, tmp_path: Path, key: str
) -> None:
    source = tmp_path / "source"
    source.write_bytes(b"x")
    operations: list[Callable[[], object]] = [
        lambda: blob_store.put_bytes(key, b"x", content_type="text/plain"),
        lambda: blob_store.put_file(key, source, content_type="text/plain"),
        lambda: blob_store.open_read(key),
        lambda: blob_store.download_to(key, tmp_path / "target"),
        lambda: blob_store.size(key),
        lambda: blob_store.properties(key),
        lambda: blob_store.read_url(key, 60),
    ]
    for operation in operations:
        with pytest.raises(ValueError, match="invalid blob key"):
            operation()


@pytest.mark.parametrize(
    "prefix", ["documents/abc", "/", "documents//", "../documents/", "", "documents/../"]
)
def test_invalid_prefixes_are_rejected(blob_store: AnyBlobStore, prefix: str) -> None:
    blob_store.put_bytes("documents/abc/original", b"x", content_type="text/plain")
    with pytest.raises(ValueError):
        blob_store.delete_prefix(prefix)
    assert blob_store.size("documents/abc/original") == 1


def test_a_reader_never_sees_two_versions_mixed(blob_store: AnyBlobStore) -> None:
    old, new = b"A" * (10 * MB), b"B" * (10 * MB)
    blob_store.put_bytes("documents/d7/original", old, content_type="application/octet-stream")

    with blob_store.open_read("documents/d7/original") as stream:
        head = stream.read(1)
        blob_store.put_bytes("documents/d7/original", new, content_type="application/octet-stream")
        try:
            rest = stream.read()
        except BlobStoreUnavailable as exc:
            # Azure: later chunks are fetched on condition that the blob is still the one first read.
            assert blob_store.name == "azure"
            assert "changed while it was in use" in str(exc)
        else:
            # Local: the open file keeps the replaced version (the new one was renamed over it).
            assert blob_store.name == "local"
            assert head + rest == old
    with blob_store.open_read("documents/d7/original") as stream:
        assert stream.read() == new


def test_check_passes(blob_store: AnyBlobStore) -> None:
    blob_store.check()
    blob_store.check()


def test_read_url_is_none_or_a_link_to_exactly_this_blob(blob_store: AnyBlobStore) -> None:
    data = os.urandom(3000)
    blob_store.put_bytes("documents/d8/original", data, content_type="image/png")

    url = blob_store.read_url("documents/d8/original", 60)

    if blob_store.name == "local":
        assert url is None
        return
    assert url is not None
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"


# The factory.


def test_the_factory_picks_the_store_from_the_settings(tmp_path: Path, azurite: Azurite) -> None:
    local = build_blob_store(Settings(storage=StorageSettings(LOCAL_STORAGE_DIR=tmp_path, AZURE_STORAGE_ACCOUNT_URL=None,
                                                               AZURE_STORAGE_CONNECTION_STRING=None)))  # fmt: skip
    azure = build_blob_store(Settings(storage=azure_settings(azurite.connection_string, "factory-test")))

    assert isinstance(local, LocalBlobStore) and local.root == tmp_path.resolve()
    assert isinstance(azure, AzureBlobStore) and azure.name == "azure" and azure.container == "factory-test"


def test_a_local_store_never_imports_the_azure_sdk(tmp_path: Path) -> None:
    code = (
        "import sys; from shared.config import Settings, StorageSettings; "
        "from shared.providers.storage import build_blob_store; "
        f"store = build_blob_store(Settings(storage=StorageSettings(LOCAL_STORAGE_DIR={str(tmp_path)!r}))); "
        "store.check(); print(store.name, sorted(m for m in sys.modules if m.split('.')[0] == 'azure'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_STORAGE_")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                            cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["local", "[]"]


# Azurite itself.


def test_azurite_runs_from_plain_calls_and_leaves_nothing_behind() -> None:
    azurite = Azurite().start()
    location = azurite.location
    try:
        assert location is not None and location.is_dir()
        service = blob_service(azurite)
        service.create_container("plain-calls")
        assert [c.name for c in service.list_containers()] == ["plain-calls"]
    finally:
        azurite.stop()
    assert not location.exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(azurite.account_url + "?comp=list", timeout=2)


def test_a_missing_azurite_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"run `make test`"):
        Azurite(binary=tmp_path / "azurite-blob").start()


# Azure only: the container.


def blob_service(azurite: Azurite) -> Any:
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(azurite.connection_string)


def test_the_container_is_created_on_first_use_and_again_if_deleted(
    azurite: Azurite, azure_store_factory: Callable[..., AzureBlobStore]
) -> None:
    name = new_container_name()
    store = azure_store_factory(name)
    container = blob_service(azurite).get_container_client(name)
    assert not container.exists()

    store.put_bytes("documents/c1/original", b"one", content_type="text/plain")
    assert container.exists()

    container.delete_container()
    store.put_bytes("documents/c1/original", b"two", content_type="text/plain")
    with store.open_read("documents/c1/original") as stream:
        assert stream.read() == b"two"

    container.delete_container()
    assert store.delete_prefix("documents/c1/") == 0  # nothing left to delete is not an error
    with pytest.raises(BlobNotFound):
        store.size("documents/c1/original")


def test_check_creates_the_container(
    azurite: Azurite, azure_store_factory: Callable[..., AzureBlobStore]
) -> None:
    name = new_container_name()
    store = azure_store_factory(name)

    store.check()

    container = blob_service(azurite).get_container_client(name)
    assert container.exists()
    assert list(container.list_blob_names()) == []  # the probe does not stay behind


def test_first_uses_from_many_threads_at_once_all_succeed(
    azurite: Azurite, azure_store_factory: Callable[..., AzureBlobStore]
) -> None:
    store = azure_store_factory()
    barrier = threading.Barrier(8)

    def put(n: int) -> None:
        barrier.wait()
        store.put_bytes(f"documents/c2/part-{n}", str(n).encode(), content_type="text/plain")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(8)))

    assert sorted(store.size(f"documents/c2/part-{n}") for n in range(8)) == [1] * 8


def test_one_by_one_deletion_counts_like_batches(azure_store_factory: Callable[..., AzureBlobStore]) -> None:
    store = azure_store_factory(batch_delete=False)
    for n in range(5):
        store.put_bytes(f"documents/c3/ocr/page-{n:05d}.json", b"{}", content_type="application/json")
    store.put_bytes("documents/c33/original", b"x", content_type="text/plain")

    assert store.delete_prefix("documents/c3/") == 5
    assert store.size("documents/c33/original") == 1


# Azure only: download links.


def sas_fields(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_read_url_is_read_only_bound_to_one_blob_and_expires(
    azure_store_factory: Callable[..., AzureBlobStore],
) -> None:
    store = azure_store_factory()
    store.put_bytes("documents/s1/original", b"mine", content_type="text/plain")
    store.put_bytes("documents/s2/original", b"theirs", content_type="text/plain")

    url = store.read_url("documents/s1/original", 2)
    assert url is not None
    fields = sas_fields(url)
    expiry = datetime.strptime(fields["se"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 0 <= (expiry - datetime.now(UTC)).total_seconds() <= 2
    assert (fields["sp"], fields["sr"]) == ("r", "b")
    assert httpx.get(url).content == b"mine"

    # The signature covers the blob's name: another blob's link does not open this one.
    other = store.read_url("documents/s2/original", 60)
    assert other is not None
    borrowed = url.split("?")[0] + "?" + other.split("?")[1]
    assert httpx.get(borrowed).status_code == 403
    # Read-only: the link cannot replace the blob.
    assert httpx.put(url, content=b"evil", headers={"x-ms-blob-type": "BlockBlob"}).status_code == 403

    while datetime.now(UTC) <= expiry:
        time.sleep(0.2)
    time.sleep(1.1)  # the service compares whole seconds
    assert httpx.get(url).status_code == 403
    with store.open_read("documents/s1/original") as stream:
        assert stream.read() == b"mine"


def test_a_store_holding_only_a_sas_hands_out_no_link(
    azurite: Azurite, azure_store_factory: Callable[..., AzureBlobStore]
) -> None:
    sas_store = AzureBlobStore(
        azure_settings(sas_connection_string(azurite), azure_store_factory().container)
    )

    sas_store.put_bytes("documents/s3/original", b"via sas", content_type="text/plain")

    with sas_store.open_read("documents/s3/original") as stream:
        assert stream.read() == b"via sas"
    assert sas_store.read_url("documents/s3/original", 60) is None
    assert "auth=sas" in repr(sas_store)


# Azure only: failures, and secrets kept out of everything a person reads.


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connection_string_for_port(port: int, key: str = ACCOUNT_KEY) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};"
        f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )


def every_failure(store: AzureBlobStore, tmp_path: Path) -> list[Exception]:
    """Runs each operation against a store that cannot work; returns what each raised."""
    source = tmp_path / "source"
    source.write_bytes(b"data")
    operations: list[Callable[[], object]] = [
        lambda: store.put_file(
            "documents/f1/original", source, content_type="text/plain", metadata={"a": "b"}
        ),
        lambda: store.put_bytes("documents/f1/ocr/page-00001.json", b"{}", content_type="application/json"),
        lambda: store.open_read("documents/f1/original"),
        lambda: store.download_to("documents/f1/original", tmp_path / "target"),
        lambda: store.size("documents/f1/original"),
        lambda: store.delete_prefix("documents/f1/"),
        store.check,
    ]
    raised: list[Exception] = []
    for operation in operations:
        with pytest.raises(BlobStoreUnavailable) as info:
            operation()
        raised.append(info.value)
    assert not (tmp_path / "target").exists()
    return raised


def everything_readable(
    errors: list[Exception], caplog: pytest.LogCaptureFixture, store: AzureBlobStore
) -> str:
    texts = [caplog.text, repr(store)]
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    return "\n".join(texts)


def capture_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    for name in SECRET_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)


def test_an_unreachable_account_is_unavailable_and_says_what_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug_logs(caplog)
    port = closed_port()
    store = AzureBlobStore(azure_settings(connection_string_for_port(port)), retry_total=0)

    errors = every_failure(store, tmp_path)

    messages = [str(error) for error in errors]
    assert (
        messages[0]
        == "blob storage could not store 'documents/f1/original': the storage account could not be reached"
    )
    assert "could not read 'documents/f1/original'" in messages[2]
    assert "could not download 'documents/f1/original'" in messages[3]
    assert "could not get the size of 'documents/f1/original'" in messages[4]
    assert "could not delete the blobs under 'documents/f1/'" in messages[5]
    assert "could not write a probe blob at" in messages[6]
    assert ACCOUNT_KEY not in everything_readable(errors, caplog, store)
    assert ACCOUNT_KEY[:20] not in everything_readable(errors, caplog, store)


@pytest.fixture
def busy_account() -> Iterator[int]:
    """A port whose server answers every request as an overloaded storage account does: 503 with the
    ServerBusy error code and the service's XML error body."""
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>'
        b"<Message>The server is currently unable to receive requests. Please retry your request.</Message></Error>"
    )

    class Busy(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(503)
            self.send_header("x-ms-error-code", "ServerBusy")
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_busy_account_is_unavailable_with_the_services_error_code(
    busy_account: int, tmp_path: Path
) -> None:
    store = AzureBlobStore(azure_settings(connection_string_for_port(busy_account)), retry_total=0)

    errors = every_failure(store, tmp_path)

    assert str(errors[0]) == (
        "blob storage could not store 'documents/f1/original': the service answered HTTP 503 ServerBusy"
    )
    assert all("HTTP 503 ServerBusy" in str(error) for error in errors)


def test_an_account_that_never_answers_times_out_as_unavailable() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings = azure_settings(connection_string_for_port(silent.getsockname()[1]))
        store = AzureBlobStore(settings, retry_total=0, read_timeout_seconds=0.5)

        with pytest.raises(BlobStoreUnavailable) as raised:
            store.size("documents/t1/original")

    assert str(raised.value) == (
        "blob storage could not get the size of 'documents/t1/original': "
        "the connection to the storage account failed or timed out"
    )


def test_a_wrong_account_key_is_unavailable_and_the_key_is_never_shown(
    azurite: Azurite, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import base64

    capture_debug_logs(caplog)
    wrong_key = base64.b64encode(os.urandom(64)).decode()
    store = AzureBlobStore(azure_settings(connection_string_for_port(azurite.port, wrong_key)), retry_total=0)

    errors = every_failure(store, tmp_path)

    # Azure answers AuthenticationFailed, Azurite AuthorizationFailure.
    assert str(errors[0]).startswith(
        "blob storage could not store 'documents/f1/original': the storage account refused our credentials (HTTP 403 Auth"
    )
    text = everything_readable(errors, caplog, store)
    assert wrong_key not in text and wrong_key[:20] not in text
    assert "AzureBlobStore(account_url='http://127.0.0.1:" in repr(store) and "auth=shared-key" in repr(store)


def test_working_calls_log_neither_the_key_nor_the_links_signature(
    azure_store_factory: Callable[..., AzureBlobStore], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    capture_debug_logs(caplog)
    store = azure_store_factory()
    source = tmp_path / "source"
    random_file(source, SINGLE_PUT_SIZE + MB)

    store.put_file("documents/l1/original", source, content_type="application/pdf", metadata={"k": "v"})
    store.download_to("documents/l1/original", tmp_path / "copy")
    url = store.read_url("documents/l1/original", 60)
    store.delete_prefix("documents/l1/")

    assert url is not None
    signature = sas_fields(url)["sig"]
    assert "x-ms-" in caplog.text  # the SDK did log its requests
    for secret in (ACCOUNT_KEY, ACCOUNT_KEY[:20], signature):
        assert secret not in caplog.text
        assert secret not in repr(store)


def sas_connection_string(azurite: Azurite, *, port: int | None = None, key: str = ACCOUNT_KEY) -> str:
    from datetime import timedelta

    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    token = generate_account_sas(
        "devstoreaccount1",
        key,
        ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, write=True, delete=True, list=True, create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    endpoint = azurite.account_url if port is None else f"http://127.0.0.1:{port}/devstoreaccount1"
    return f"BlobEndpoint={endpoint};SharedAccessSignature={token}"


def signature_forms(connection_string: str) -> list[str]:
    """The SAS signature in a connection string, as sent (percent-encoded) and decoded."""
    encoded = connection_string.split("sig=")[1].split("&")[0].split(";")[0]
    return [encoded, unquote(encoded)]


def test_a_sas_in_the_connection_string_stays_out_of_logs_and_errors(
    azurite: Azurite, azure_store_factory: Callable[..., AzureBlobStore], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    import base64

    capture_debug_logs(caplog)
    working = sas_connection_string(azurite)
    # Azurite answers batch requests signed with a SAS with HTTP 500: no retries, the store then deletes
    # one blob per request.
    store = AzureBlobStore(azure_settings(working, azure_store_factory().container), retry_total=0)
    store.put_bytes("documents/s4/original", b"x", content_type="text/plain")
    with store.open_read("documents/s4/original") as stream:
        assert stream.read() == b"x"
    assert store.delete_prefix("documents/s4/") == 1
    assert "sig=REDACTED" in caplog.text  # urllib3 logged request URLs, with the signature blanked

    unreachable = sas_connection_string(azurite, port=closed_port())
    wrongly_signed = sas_connection_string(azurite, key=base64.b64encode(os.urandom(64)).decode())
    errors: list[Exception] = []
    for connection_string in (unreachable, wrongly_signed):
        failing = AzureBlobStore(azure_settings(connection_string), retry_total=0)
        errors += every_failure(failing, tmp_path)
        assert "auth=sas" in repr(failing)
    assert "refused our credentials (HTTP 403" in str(errors[-1])

    text = everything_readable(errors, caplog, store)
    for secret in signature_forms(working) + signature_forms(unreachable) + signature_forms(wrongly_signed):
        assert secret not in text


# Azure only: an identity instead of a key (DefaultAzureCredential, as in production).


@pytest.fixture
def identity_azurite(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Azurite, ManagedIdentityEndpoint]]:
    """Azurite over HTTPS accepting bearer tokens, and an App Service managed identity endpoint that
    DefaultAzureCredential finds through the environment, as it would in the product's Web App."""
    with Azurite(https=True, oauth=True) as azurite, ManagedIdentityEndpoint() as identity:
        for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_USERNAME",
                     "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PATH", "MSI_ENDPOINT",
                     "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "AZURE_TOKEN_CREDENTIALS"):  # fmt: skip
            monkeypatch.delenv(name, raising=False)
        for name, value in identity.environment.items():
            monkeypatch.setenv(name, value)
        assert azurite.ca_file is not None
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(azurite.ca_file))
        yield azurite, identity


def test_an_identity_reads_and_writes_and_signs_links_with_a_user_delegation_key(
    identity_azurite: tuple[Azurite, ManagedIdentityEndpoint],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture_debug_logs(caplog)
    azurite, identity = identity_azurite
    settings = StorageSettings(AZURE_STORAGE_ACCOUNT_URL=azurite.account_url, AZURE_STORAGE_CONNECTION_STRING=None,
                               AZURE_STORAGE_CONTAINER=new_container_name())  # fmt: skip
    store = AzureBlobStore(settings)
    assert repr(store) == (
        f"AzureBlobStore(account_url='{azurite.account_url}', container='{settings.azure_container}', auth=token)"
    )
    source = tmp_path / "source"
    digest = random_file(source, SINGLE_PUT_SIZE + MB)

    store.check()
    store.put_file(
        "documents/i1/original", source, content_type="application/pdf", metadata={"sha256": digest}
    )
    store.download_to("documents/i1/original", tmp_path / "copy")
    first = store.read_url("documents/i1/original", 120)
    second = store.read_url("documents/i1/original", 60)

    assert identity.issued, "the store authenticated through the managed identity endpoint"
    assert sha256_of_file(tmp_path / "copy") == digest
    assert store.properties("documents/i1/original") == ("application/pdf", {"sha256": digest})
    assert first is not None and second is not None
    fields = sas_fields(first)
    assert fields["skoid"] == identity.object_id and fields["sktid"] == identity.tenant_id
    assert (fields["sp"], fields["spr"]) == ("r", "https")
    assert sas_fields(second)["ske"] == fields["ske"], "the delegation key is reused while it lasts"
    with httpx.Client(verify=ssl.create_default_context(cafile=str(azurite.ca_file))) as client:
        response = client.get(first)
        tampered = client.get(first.replace(fields["skoid"], str(uuid.uuid4())))
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == digest
    assert tampered.status_code == 403
    for token in identity.issued:
        assert token not in caplog.text and token.split(".")[1] not in caplog.text
    assert fields["sig"] not in caplog.text
    assert store.delete_prefix("documents/i1/") == 1


def test_an_identity_that_cannot_get_a_token_is_unavailable(
    identity_azurite: tuple[Azurite, ManagedIdentityEndpoint], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    azurite, _ = identity_azurite
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-header")  # the endpoint answers 401
    store = AzureBlobStore(
        StorageSettings(AZURE_STORAGE_ACCOUNT_URL=azurite.account_url, AZURE_STORAGE_CONNECTION_STRING=None),
        retry_total=0,
    )

    with pytest.raises(BlobStoreUnavailable) as raised:
        store.put_bytes("documents/i2/original", b"x", content_type="text/plain")

    assert str(raised.value) == (
        "blob storage could not store 'documents/i2/original': no credential for the storage account could be obtained"
    )


# Azure only: memory stays flat whatever the file's size.

MEASURE = """
import hashlib, sys, tracemalloc
from pathlib import Path
from shared.config import StorageSettings
from shared.providers.storage.azure import AzureBlobStore

connection_string, container, source, target = sys.argv[1:5]
store = AzureBlobStore(StorageSettings(AZURE_STORAGE_CONNECTION_STRING=connection_string,
                                       AZURE_STORAGE_ACCOUNT_URL=None, AZURE_STORAGE_CONTAINER=container))
store.check()  # clients and container made before measuring

def peak(operation):
    tracemalloc.start()
    try:
        operation()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

def stream():
    digest = hashlib.sha256()
    with store.open_read("documents/m1/original") as reader:
        while block := reader.read(1024 * 1024):
            digest.update(block)
    print("streamed", digest.hexdigest())

up = peak(lambda: store.put_file("documents/m1/original", Path(source), content_type="application/pdf"))
down = peak(lambda: store.download_to("documents/m1/original", Path(target)))
read = peak(stream)
print("peaks", up, down, read)
"""


def test_a_64_mb_file_goes_up_and_down_in_a_few_blocks_of_memory(
    azurite: Azurite, azure_store_factory: Callable[..., AzureBlobStore], tmp_path: Path
) -> None:
    size = 64 * MB
    source, target = tmp_path / "big.pdf", tmp_path / "copy.pdf"
    digest = random_file(source, size)
    container = azure_store_factory().container  # deleted after the test

    # A fresh interpreter, so nothing the other tests allocated or cached is counted.
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, azurite.connection_string, container, str(source), str(target)],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    up, down, read = map(int, lines["peaks"].split())

    assert sha256_of_file(target) == digest
    assert lines["streamed"] == digest
    # Holding the file would take 64 MB; a transfer holds a few blocks (up) or ranges (down).
    for peak in (up, down, read):
        assert peak < 32 * MB, (up, down, read)
