"""The whole pipeline through the cloud providers: blobs in Azure Storage (Azurite), OCR by Document
Intelligence, embeddings and AI by Azure OpenAI (local servers speaking their REST APIs), with the real
SDKs in the real API and worker processes. Nothing else changes: the same stack, configured by
environment variables only."""

from __future__ import annotations

import time

import httpx
import pytest
from azure.storage.blob import BlobServiceClient
from sqlalchemy import create_engine, text

from shared.config import DatabaseSettings
from testkit import documents as make
from tests.conftest import ApiUser
from tests.stack.conftest import CONTAINER

pytestmark = pytest.mark.stack

SCANNED = ["The harbour master logged every arriving ferry in a blue notebook."]
INVOICE = (
    "INVOICE No. INV-2025-0107\nDate: 3 February 2025\nTotal amount due: EUR 980.00\nbilling@example.org"
)


@pytest.fixture(scope="module")
def processed(cloud) -> tuple[ApiUser, dict[str, dict], dict[str, bytes]]:
    owner = ApiUser(cloud["stack"].api_url, "cloud-user")
    contents = {"scanned": make.scanned_pdf(SCANNED), "invoice": make.text_pdf([INVOICE])}
    ids = {name: owner.upload(f"{name}.pdf", data).json()["id"] for name, data in contents.items()}
    return owner, {name: owner.wait_for(i, timeout=300) for name, i in ids.items()}, contents


def _blobs(cloud) -> list[str]:
    client = BlobServiceClient.from_connection_string(cloud["azurite"].connection_string)
    return [blob.name for blob in client.get_container_client(CONTAINER).list_blobs()]


def test_everything_goes_through_the_cloud_providers(cloud, processed) -> None:
    owner, finished, _ = processed
    assert all(doc["status"] == "ready" for doc in finished.values()), finished
    scanned, invoice = finished["scanned"], finished["invoice"]

    (page,) = owner.http.get(f"/api/v1/documents/{scanned['id']}/pages").json()["items"]
    assert page["source"] == "ocr" and make.character_error_rate(SCANNED[0], page["text"]) < 0.05
    (text_page,) = owner.http.get(f"/api/v1/documents/{invoice['id']}/pages").json()["items"]
    assert text_page["source"] == "text_layer"  # never sent to Document Intelligence
    # OCR only (other modules' schemas may have asked a prebuilt extraction model of their documents).
    assert [a.pages for a in cloud["di"].analyses if a.model_id == "prebuilt-read"] == [[1]]

    names = _blobs(cloud)
    for document in finished.values():
        assert f"documents/{document['id']}/original" in names
    extract = scanned["outputs"]["extract"]
    assert any(
        n.startswith(f"documents/{scanned['id']}/jobs/{extract}/ocr/azure-analyze-pages-1-1") for n in names
    )
    assert not (cloud["stack"].data_dir / "blobs").exists()  # nothing written to local disk

    results = owner.http.get(f"/api/v1/documents/{invoice['id']}/results").json()
    assert results["provider"] == "azure_openai" and results["model"] == "chat"
    assert results["classification"]["label"] == "invoice"
    assert "INV-2025-0107" in [f["value"] for f in results["fields"]["references"]]

    url = DatabaseSettings(DATABASE_URL=cloud["stack"].env["DATABASE_URL"]).sqlalchemy_url()
    engine = create_engine(url)
    with engine.connect() as connection:
        models = connection.execute(text("SELECT DISTINCT model_key FROM chunks")).scalars().all()
    engine.dispose()
    assert models == ["azure_openai:embed-small"]


def test_cost_is_visible_per_document_user_and_in_metrics(cloud, processed) -> None:
    owner, finished, _ = processed
    usage = {(u["provider"], u["model"]): u for u in finished["scanned"]["usage"]}
    assert usage[("azure", "prebuilt-read")]["pages"] == 1
    assert usage[("azure_openai", "embed-small")]["input_tokens"] > 0
    assert usage[("azure_openai", "chat")]["output_tokens"] > 0
    extract = finished["scanned"]["jobs"][0]
    assert extract["usage"] == [
        {
            "provider": "azure",
            "model": "prebuilt-read",
            "requests": 1,
            "input_tokens": 0,
            "output_tokens": 0,
            "pages": 1,
        }
    ]
    mine = owner.http.get("/api/v1/usage").json()["items"]
    assert {(r["provider"], r["kind"]) for r in mine} >= {
        ("azure", "extract"),
        ("azure_openai", "embed"),
        ("azure_openai", "ai"),
    }
    metrics = owner.http.get(f"{cloud['stack'].api_url}/health/metrics").text
    assert 'workopti_provider_pages_total{kind="extract",model="prebuilt-read",provider="azure"}' in metrics
    assert "workopti_provider_input_tokens_total" in metrics


def test_search_uses_the_cloud_embeddings_and_is_charged(cloud, processed) -> None:
    owner, finished, _ = processed
    before = len(cloud["openai"].requests_to("embeddings"))
    hits = owner.http.get(
        "/api/v1/search", params={"q": "harbour ferry notebook", "mode": "semantic"}
    ).json()["items"]
    assert hits and hits[0]["document_id"] == finished["scanned"]["id"]
    assert len(cloud["openai"].requests_to("embeddings")) == before + 1  # the query, embedded by the API
    kinds = {r["kind"] for r in owner.http.get("/api/v1/usage").json()["items"]}
    assert "search" in kinds


def test_downloads_come_straight_from_blob_storage(processed) -> None:
    owner, finished, contents = processed
    link = owner.http.get(f"/api/v1/documents/{finished['invoice']['id']}/file-url").json()
    assert link["direct"] is True and "sig=" in link["url"]
    assert httpx.get(link["url"]).content == contents["invoice"]  # no bearer token: the SAS is enough
    assert (
        owner.http.get(f"/api/v1/documents/{finished['invoice']['id']}/file").content == contents["invoice"]
    )


def test_no_secret_reaches_logs_or_job_records(cloud, processed) -> None:
    stack = cloud["stack"]
    logs = "".join(p.read_text(errors="replace") for p in (stack.data_dir / "logs").glob("*.log"))
    url = DatabaseSettings(DATABASE_URL=stack.env["DATABASE_URL"]).sqlalchemy_url()
    engine = create_engine(url)
    with engine.connect() as connection:
        records = " ".join(
            str(row)
            for query in ("SELECT error_message, usage FROM jobs", "SELECT detail FROM job_events")
            for row in connection.execute(text(query)).all()
        )
    engine.dispose()
    metrics = (
        httpx.get(f"{stack.api_url}/health/metrics").text + httpx.get(f"{stack.api_url}/health/status").text
    )
    for name, secret in cloud["secrets"].items():
        fragment = secret.split("AccountKey=")[-1][:24] if "AccountKey=" in secret else secret
        assert fragment not in logs, name
        assert fragment not in records, name
        assert fragment not in metrics, name


def test_delete_removes_the_blobs_from_azure(cloud, processed) -> None:
    owner, finished, _ = processed
    document_id = finished["scanned"]["id"]
    assert owner.http.delete(f"/api/v1/documents/{document_id}").status_code == 204
    deadline = time.monotonic() + 30
    while (
        any(n.startswith(f"documents/{document_id}/") for n in _blobs(cloud)) and time.monotonic() < deadline
    ):
        time.sleep(0.3)
    assert not any(n.startswith(f"documents/{document_id}/") for n in _blobs(cloud))
