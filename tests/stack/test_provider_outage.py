"""A search that needs the embeddings service while it is down or throttling: 503 `provider_unavailable`
with Retry-After, keyword search unaffected, and the caller's keep-alive connection still usable.

The whole product runs with EMBEDDINGS_PROVIDER=openai against the local OpenAI fake, which fails on
demand or stops listening. OPENAI_MAX_RETRIES=0, so every search is exactly one upstream request and the
wait a throttling service asks for reaches the caller unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cli.stack.redis import free_port
from testkit import documents as make
from testkit.fakes.openai_server import FakeOpenAI
from tests.conftest import ApiUser, running_stack

pytestmark = pytest.mark.stack

TEXT = "The lighthouse keeper counted every passing trawler from the harbour wall."
PROBLEM_JSON = "application/problem+json"
UPSTREAM_MESSAGE = "The server had an error while processing your request"  # the fake's 500 body


class FakeOpenAIWithoutKeepAlive(FakeOpenAI):
    """Answers in HTTP/1.0 and closes every connection, so once stopped no kept-alive connection of the
    API's SDK client still reaches it."""

    handler = type("NoKeepAliveHandler", (FakeOpenAI.handler,), {"protocol_version": "HTTP/1.0"})


@pytest.fixture(scope="module")
def outage() -> Iterator[dict[str, Any]]:
    # A fixed port, so the fake can stop listening and come back where the API expects it.
    with FakeOpenAIWithoutKeepAlive(port=free_port()) as fake:
        env = {
            "EMBEDDINGS_PROVIDER": "openai",
            "OPENAI_API_KEY": fake.api_key,
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_MAX_RETRIES": "0",
        }
        with running_stack("provider-outage", env) as stack:
            owner = ApiUser(stack.api_url, "outage-user")
            uploaded = owner.upload(
                "lighthouse.pdf", make.text_pdf([TEXT]), data={"pipeline": "extract,embed"}
            )
            assert uploaded.status_code == 202, uploaded.text
            document = owner.wait_for(uploaded.json()["id"])
            assert document["status"] == "ready", document
            yield {"stack": stack, "fake": fake, "owner": owner, "document_id": document["id"]}
            owner.http.close()


class Connections:
    """One httpx client, i.e. one keep-alive connection, that counts the TCP connections it opens."""

    def __init__(self, owner: ApiUser) -> None:
        self.opened = 0
        self.http = httpx.Client(base_url=owner.http.base_url, headers=owner.http.headers, timeout=60)

    def _trace(self, event: str, _info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            self.opened += 1

    def search(self, mode: str, query: str = "lighthouse trawler harbour") -> httpx.Response:
        return self.http.get(
            "/api/v1/search", params={"q": query, "mode": mode}, extensions={"trace": self._trace}
        )

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()


def assert_provider_unavailable(response: httpx.Response, retry_after: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "connection" not in response.headers  # no "Connection: close": the connection stays open
    assert response.headers["Retry-After"] == retry_after
    body = response.json()
    assert body["code"] == "provider_unavailable" and body["status"] == 503
    assert body["provider_kind"] == "embeddings" and "embeddings" in body["detail"]
    assert body["instance"] == "/api/v1/search"
    assert UPSTREAM_MESSAGE not in response.text and "OpenAI" not in response.text


def found(response: httpx.Response, document_id: str) -> bool:
    assert response.status_code == 200, response.text
    return document_id in [hit["document_id"] for hit in response.json()["items"]]


def test_a_failing_embeddings_service_answers_503_and_the_connection_stays_usable(outage) -> None:
    fake, document_id = outage["fake"], outage["document_id"]
    fake.fail_next("server_error", endpoint="embeddings")
    with Connections(outage["owner"]) as client:
        assert_provider_unavailable(client.search("semantic"), retry_after="5")
        assert found(client.search("keyword"), document_id)  # needs no provider
        assert found(client.search("semantic"), document_id)  # the service is back
        assert client.opened == 1  # every answer came on the first connection

    api_log = (outage["stack"].data_dir / "logs" / "api.log").read_text(errors="replace")
    [line] = [line for line in api_log.splitlines() if "upstream status 500" in line]  # one per failure
    assert "embeddings provider openai failed on GET /api/v1/search: provider_unavailable" in line
    assert "Exception in ASGI application" not in api_log  # nothing escaped the app


def test_an_unreachable_embeddings_service_answers_503(outage) -> None:
    fake, document_id = outage["fake"], outage["document_id"]
    with Connections(outage["owner"]) as client:
        fake.stop()
        try:
            assert_provider_unavailable(client.search("semantic"), retry_after="5")
            assert_provider_unavailable(client.search("hybrid"), retry_after="5")
            assert found(client.search("keyword"), document_id)
        finally:
            fake.start()
        assert found(client.search("semantic"), document_id)
        assert client.opened == 1

    api_log = (outage["stack"].data_dir / "logs" / "api.log").read_text(errors="replace")
    assert "provider_unavailable, upstream status none" in api_log


@pytest.mark.parametrize(
    ("options", "retry_after"),
    [({"retry_after": 17}, "17"), ({"retry_after_ms": 2300}, "3"), ({"retry_after_ms": 10}, "1")],
    ids=["retry-after", "retry-after-ms rounded up", "at least a second"],
)
def test_a_throttling_embeddings_service_passes_its_wait_on(outage, options, retry_after) -> None:
    fake, document_id = outage["fake"], outage["document_id"]
    fake.fail_next("rate_limit", endpoint="embeddings", **options)
    with Connections(outage["owner"]) as client:
        assert_provider_unavailable(client.search("semantic"), retry_after=retry_after)
        assert found(client.search("semantic"), document_id)
        assert client.opened == 1
