"""Schema extraction by OpenAI and Azure OpenAI chat models with strict structured outputs, through the
real `openai` SDK against the local fake service (which answers from the passages it is sent)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from shared.config import AzureOpenAISettings, LlmSettings, OpenAISettings, Settings
from shared.extraction.types import FieldSpec, PageText
from shared.providers.errors import ProviderKind, ProviderUnavailable
from shared.providers.llm.extraction_openai import SCHEMA_NAME, OpenAIExtractor
from shared.providers.usage import metering
from testkit.fakes.openai_server import FakeOpenAI, RecordedRequest

INVOICE = [
    PageText(
        1,
        "Müller & Söhne GmbH, Hauptstraße 5, 10115 Berlin\n"
        "Invoice number: INV-2024-0042\n"
        "Invoice date: 03.04.2024\n"
        "Net amount: 1.234,56 EUR\n",
    ),
    PageText(2, "Payment terms: thirty days\nPaid: yes\nNotes: <b>deliver to gate 2</b>\n"),
]
FIELDS = [
    FieldSpec("invoice number", "text", "the invoice's reference"),
    FieldSpec("invoice date", "date"),
    FieldSpec("net amount", "money"),
    FieldSpec("paid", "boolean"),
    FieldSpec("notes", "text"),
    FieldSpec("purchase order", "text"),
    FieldSpec("lines", "list", fields=(FieldSpec("description", "text"), FieldSpec("amount", "money"))),
]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.reset()
    for name in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def extractor(
    fake: FakeOpenAI, flavour: str = "openai", *, max_retries: int = 2, **options: int
) -> OpenAIExtractor:
    settings = Settings(
        llm=LlmSettings(provider=flavour),
        openai=OpenAISettings(
            api_key=fake.api_key, base_url=fake.base_url, chat_model="gpt-4o-mini", max_retries=max_retries
        ),
        azure_openai=AzureOpenAISettings(
            endpoint=fake.azure_endpoint, api_key=fake.azure_api_key, chat_deployment="chat"
        ),
    )
    return OpenAIExtractor(settings, flavour, **options)


def sent_schema(request: RecordedRequest) -> dict[str, object]:
    spec = request.json["response_format"]["json_schema"]
    assert spec["name"] == SCHEMA_NAME and spec["strict"] is True
    return spec["schema"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("flavour", ["openai", "azure_openai"])
def test_values_are_normalised_with_verified_evidence(fake: FakeOpenAI, flavour: str) -> None:
    provider = extractor(fake, flavour)
    with metering() as meter:
        found = {v.name: v for v in provider.extract(INVOICE, FIELDS)}

    assert (provider.name, provider.model) == (
        ("openai", "gpt-4o-mini") if flavour == "openai" else ("azure_openai", "chat")
    )
    assert found["invoice number"].value == "INV-2024-0042"
    assert found["invoice date"].value == "2024-04-03"  # the document writes days first
    assert found["net amount"].value == {"amount": "1234.56", "currency": "EUR"}
    assert found["paid"].value is True
    assert found["notes"].value == "<b>deliver to gate 2</b>"  # sent escaped, read back as written
    for name in ("invoice number", "invoice date", "net amount", "paid", "notes"):
        value = found[name]
        assert value.status == "found" and value.confidence >= 0.8
        (quote,) = value.evidence
        page = INVOICE[quote.page_no - 1]
        assert quote.quote in page.text
    assert found["invoice date"].evidence[0].quote == "Invoice date: 03.04.2024"
    assert found["paid"].evidence[0].page_no == 2
    assert (found["purchase order"].status, found["purchase order"].value) == ("not_found", None)
    assert found["lines"].status == "not_found"

    (usage,) = meter.as_list()
    assert usage["provider"] == flavour and usage["requests"] == 1 and usage["input_tokens"] > 0


def test_the_schema_is_strict_and_passages_are_escaped(fake: FakeOpenAI) -> None:
    extractor(fake).extract(INVOICE, FIELDS)
    (request,) = fake.requests_to("chat")
    schema = sent_schema(request)

    def check(node: dict) -> None:  # type: ignore[type-arg]
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert sorted(node["required"]) == sorted(node["properties"])
            for sub in node["properties"].values():
                check(sub)
        if node.get("type") == "array":
            check(node["items"])

    check(schema)
    properties = schema["properties"]
    assert isinstance(properties, dict) and list(properties) == [f.name for f in FIELDS]
    scalar = properties["invoice date"]["properties"]
    assert scalar["value"]["type"] == ["string", "null"] and scalar["quote"]["type"] == ["string", "null"]
    assert scalar["passages"] == {
        "type": "array", "items": {"type": "integer"}, "description": scalar["passages"]["description"]
    }  # fmt: skip
    assert list(properties["lines"]["items"]["properties"]) == ["description", "amount"]
    user = request.json["messages"][-1]["content"]
    assert '<passage number="1" page="1">' in user and "Müller &amp; Söhne" in user
    assert "&lt;b&gt;deliver" in user and "<b>" not in user


def test_a_quote_not_on_the_page_is_dropped_and_the_value_flagged(fake: FakeOpenAI) -> None:
    fake.fail_next("fabricated_quote")
    found = {v.name: v for v in extractor(fake).extract(INVOICE, FIELDS)}
    for name in ("invoice number", "invoice date", "net amount", "paid"):
        value = found[name]
        assert value.status == "needs_review", name
        assert value.evidence == () and value.confidence < 0.5
    assert found["net amount"].raw == "1.234,56 EUR"  # kept for the reviewer


def test_a_long_document_is_read_in_parts_and_merged(fake: FakeOpenAI) -> None:
    filler = "".join(
        f"Line {i} of the general terms, which say nothing of interest here.\n" for i in range(60)
    )
    pages = [
        PageText(1, filler + "Invoice number: A-1\n"),
        PageText(2, filler),
        PageText(3, filler + "Invoice number: B-2\nPurchase order: PO-77\n"),
    ]
    fields = [FieldSpec("invoice number", "text"), FieldSpec("purchase order", "text")]
    found = {v.name: v for v in extractor(fake, part_chars=5000).extract(pages, fields)}

    requests = fake.requests_to("chat")
    assert len(requests) >= 3
    sent = "".join(r.json["messages"][-1]["content"] for r in requests)
    for page in pages:
        for line in page.text.splitlines():
            assert line in sent  # nothing cut off
    assert all(len(r.json["messages"][-1]["content"]) < 6000 for r in requests)
    assert found["invoice number"].value == "A-1"  # the first confident value wins
    assert found["purchase order"].value == "PO-77"  # found in the last part
    assert found["purchase order"].evidence[0].page_no == 3


def test_rate_limiting_that_outlasts_the_retries_is_a_transient_provider_error(fake: FakeOpenAI) -> None:
    fake.fail_next("rate_limit", times=3, retry_after_ms=10)
    with pytest.raises(ProviderUnavailable) as raised:
        extractor(fake, max_retries=1).extract(INVOICE, FIELDS)
    assert (raised.value.code, raised.value.status) == ("provider_rate_limited", 429)
    assert raised.value.kind is ProviderKind.LLM and raised.value.transient


def test_an_empty_document_asks_nothing(fake: FakeOpenAI) -> None:
    found = extractor(fake).extract([PageText(1, "  \n")], FIELDS)
    assert [v.status for v in found] == ["not_found"] * len(FIELDS)
    assert fake.requests_to("chat") == []
    assert json.dumps([v.value for v in found]) == json.dumps([None] * len(FIELDS))
