"""The product on the cloud providers, shared by the modules that use it: blobs in Azure Storage
(Azurite), OCR by Document Intelligence, embeddings, analysis and answers by Azure OpenAI (local servers
speaking their REST APIs), with the real SDKs in the real API and worker processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit.fakes.azurite import Azurite
from testkit.fakes.document_intelligence import FakeDocumentIntelligence
from testkit.fakes.openai_server import FakeOpenAI
from tests.conftest import running_stack

CONTAINER = "workopti-cloud"


@pytest.fixture(scope="package")
def cloud() -> Iterator[dict]:
    with Azurite() as azurite, FakeDocumentIntelligence() as di, FakeOpenAI() as openai_fake:
        secrets = {
            "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
            "AZURE_DOCUMENT_INTELLIGENCE_KEY": di.key,
            "AZURE_OPENAI_API_KEY": openai_fake.azure_api_key,
        }
        env = secrets | {
            "AZURE_STORAGE_CONTAINER": CONTAINER,
            "OCR_PROVIDER": "azure",
            "AZURE_DOCUMENT_INTELLIGENCE_ENDPOINT": di.endpoint,
            "AZURE_DOCUMENT_INTELLIGENCE_POLLING_SECONDS": "0.2",
            "EMBEDDINGS_PROVIDER": "azure_openai",
            "LLM_PROVIDER": "azure_openai",
            "AZURE_OPENAI_ENDPOINT": openai_fake.azure_endpoint,
            "AZURE_OPENAI_EMBEDDING_DEPLOYMENT": "embed-small",
            "AZURE_OPENAI_CHAT_DEPLOYMENT": "chat",
            "STREAM_HEARTBEAT_SECONDS": "0.3",  # heartbeats a test can wait for
        }
        with running_stack("cloud", env) as stack:
            yield {"stack": stack, "secrets": secrets, "azurite": azurite, "di": di, "openai": openai_fake}
