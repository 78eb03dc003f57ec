"""Fixtures for the provider tests: Azurite for the session, and every blob store the product has, so
one set of contract tests runs against each."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.config import StorageSettings
from shared.providers.storage.azure import AzureBlobStore
from shared.providers.storage.local import LocalBlobStore
from testkit.fakes.azurite import Azurite

AnyBlobStore = LocalBlobStore | AzureBlobStore


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite() as instance:
        yield instance


def azure_settings(connection_string: str, container: str | None = None) -> StorageSettings:
    return StorageSettings(
        AZURE_STORAGE_CONNECTION_STRING=connection_string,
        AZURE_STORAGE_ACCOUNT_URL=None,
        AZURE_STORAGE_CONTAINER=container or new_container_name(),
    )


def new_container_name() -> str:
    return f"test-{uuid.uuid4().hex[:20]}"


@pytest.fixture
def azure_store_factory(azurite: Azurite) -> Iterator[Callable[..., AzureBlobStore]]:
    """Makes AzureBlobStores on Azurite, each in a fresh container (created by the store on first use)
    that is deleted after the test."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.blob import BlobServiceClient

    containers: list[str] = []

    def make(container: str | None = None, **options: object) -> AzureBlobStore:
        settings = azure_settings(azurite.connection_string, container)
        containers.append(settings.azure_container)
        return AzureBlobStore(settings, **options)  # type: ignore[arg-type]

    yield make
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    for name in containers:
        with contextlib.suppress(ResourceNotFoundError):
            service.delete_container(name)


@pytest.fixture(params=["local", "azure"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> AnyBlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    make: Callable[..., AzureBlobStore] = request.getfixturevalue("azure_store_factory")
    return make()
