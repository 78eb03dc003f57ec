"""Document analysis by OpenAI and Azure OpenAI chat models with structured outputs, through the real
`openai` SDK against the local fake service (which answers from the document it is given)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from shared.config import AzureOpenAISettings, EmbeddingsSettings, LlmSettings, OpenAISettings, Settings
from shared.providers.embeddings import get_embedding_provider
from shared.providers.errors import ProviderError, ProviderKind, ProviderRejected, ProviderUnavailable
from shared.providers.llm import Analysis, get_analysis_provider
from shared.providers.llm.fields import FIELD_NAMES, extract_fields
from shared.providers.llm.openai import OpenAIAnalysisProvider
from shared.providers.usage import metering
from testkit.fakes.openai_server import FakeOpenAI

INVOICE = [
    (
        1,
        "ACME Logistics GmbH, Hauptstraße 5, 10115 Berlin\n"
        "Tel. +49 30 1234567, billing@acme-logistics.de\n\n"
        "INVOICE\n"
        "Invoice No. INV-2024-0042\n"
        "Invoice date: 12 March 2024\n"
        "Customer ID: C-10023\n\n"
        "Warehouse storage for March, EUR 1.234,56. Last-mile delivery, € 540.00.\n"
        "Please pay the invoice by 2024-04-11 to our account.",
    ),
    (2, "Payment terms: the invoice amount is due within thirty days. Late payment bears interest.\n"),
]

LABELS = "invoice: a bill requesting payment; contract: an agreement between parties; letter: correspondence"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.reset()
    for name in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def settings(
    fake: FakeOpenAI,
    flavour: str = "openai",
    *,
    labels: str = LABELS,
    api_key: str | None = "right",
    max_retries: int = 2,
    **llm: object,
) -> Settings:
    return Settings(
        llm=LlmSettings(provider=flavour, classification_labels=labels, **llm),
        openai=OpenAISettings(
            api_key=fake.api_key if api_key == "right" else api_key,
            base_url=fake.base_url,
            chat_model="gpt-4o-mini",
            max_retries=max_retries,
        ),
        azure_openai=AzureOpenAISettings(
            endpoint=fake.azure_endpoint,
            api_key=fake.azure_api_key if api_key == "right" else api_key,
            chat_deployment="chat",
        ),
    )


def analyzer(fake: FakeOpenAI, flavour: str = "openai", **options: object) -> OpenAIAnalysisProvider:
    return OpenAIAnalysisProvider(settings(fake, flavour, **options), flavour)


def values(analysis: Analysis, field: str) -> list[object]:
    return [item["value"] for item in analysis.fields[field]]


@pytest.mark.parametrize("flavour", ["openai", "azure_openai"])
def test_an_invoice_is_summarised_classified_and_its_fields_found(fake: FakeOpenAI, flavour: str) -> None:
    provider = analyzer(fake, flavour)
    analysis = provider.analyze(INVOICE)

    assert (provider.provider, provider.model) == (
        ("openai", "gpt-4o-mini") if flavour == "openai" else ("azure_openai", "chat")
    )
    assert analysis.summary.startswith("ACME Logistics GmbH")
    assert analysis.classification is not None and analysis.classification.label == "invoice"
    assert 0.5 < analysis.classification.score <= 1
    assert set(values(analysis, "dates")) == {"2024-03-12", "2024-04-11"}
    assert {(i["value"], i["currency"]) for i in analysis.fields["amounts"]} == {
        ("1234.56", "EUR"), ("540.00", "EUR"),
    }  # fmt: skip
    assert values(analysis, "emails") == ["billing@acme-logistics.de"]
    assert values(analysis, "phone_numbers") == ["+49301234567"]
    references = {(i["value"], i["kind"]) for i in analysis.fields["references"]}
    assert ("INV-2024-0042", "invoice") in references and ("C-10023", "customer") in references
    assert all(item["page"] == 1 for items in analysis.fields.values() for item in items)
    assert "invoice" in analysis.keywords and len(analysis.keywords) <= 8

    [request] = fake.requests_to("chat")
    if flavour == "openai":
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == f"Bearer {fake.api_key}"
    else:
        assert request.path == "/openai/deployments/chat/chat/completions"
        assert request.query["api-version"] == "2024-10-21"
        assert request.headers["api-key"] == fake.azure_api_key
    response_format = request.json["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert schema["properties"]["classification"]["properties"]["label"]["enum"] == [
        "invoice", "contract", "letter",
    ]  # fmt: skip
    system, user = request.json["messages"]
    assert system["role"] == "system" and "- contract: an agreement between parties" in system["content"]
    assert user["role"] == "user"
    assert (
        user["content"].startswith("[page 1]\nACME Logistics")
        and "\n\n[page 2]\nPayment terms" in user["content"]
    )


def test_the_result_has_the_local_analysers_shape(fake: FakeOpenAI) -> None:
    analysis = analyzer(fake).analyze(INVOICE)
    local = extract_fields(INVOICE)

    assert tuple(analysis.fields) == FIELD_NAMES == tuple(local)
    for name in FIELD_NAMES:
        assert analysis.fields[name], name
        assert {frozenset(item) for item in analysis.fields[name]} == {frozenset(local[name][0])}, name
    assert isinstance(analysis.summary, str) and all(isinstance(k, str) for k in analysis.keywords)
    # Both read the same values out of the same document.
    for name in ("emails", "phone_numbers"):
        assert values(analysis, name) == [item["value"] for item in local[name]]
    assert set(values(analysis, "dates")) == {item["value"] for item in local["dates"]}


def test_the_input_is_cut_to_ai_max_input_chars(fake: FakeOpenAI) -> None:
    pages = [(1, "a" * 800), (2, "b" * 800), (3, "c" * 800)]
    analyzer(fake, max_input_chars=1000).analyze(pages)

    [request] = fake.requests_to("chat")
    document = request.json["messages"][1]["content"]
    assert document == "[page 1]\n" + "a" * 800 + "\n\n[page 2]\n" + "b" * 200
    assert "[page 3]" not in document


def test_configured_labels_and_counts_reach_the_model(fake: FakeOpenAI) -> None:
    provider = analyzer(fake, labels="spec: a technical specification; memo: an internal memo", keywords=3)
    analysis = provider.analyze([(1, "Internal memo to all staff: the memo explains the new memo policy.")])

    assert analysis.classification is not None and analysis.classification.label == "memo"
    assert len(analysis.keywords) <= 3
    [request] = fake.requests_to("chat")
    schema = request.json["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["classification"]["properties"]["label"]["enum"] == ["spec", "memo"]
    assert "up to 3 short keywords" in request.json["messages"][0]["content"]


def test_without_labels_there_is_no_classification(fake: FakeOpenAI) -> None:
    analysis = OpenAIAnalysisProvider(settings(fake, labels="[]"), "openai").analyze(INVOICE)
    assert analysis.classification is None and analysis.summary
    schema = fake.requests_to("chat")[0].json["response_format"]["json_schema"]["schema"]
    assert "classification" not in schema["properties"]


def test_fields_not_in_the_document_are_dropped_and_wrong_pages_corrected(fake: FakeOpenAI) -> None:
    fake.fail_next("ungrounded")
    analysis = analyzer(fake).analyze(INVOICE)

    assert "1999-12-31" not in values(analysis, "dates")
    assert analysis.fields["emails"] == [
        {"value": "billing@acme-logistics.de", "text": "billing@acme-logistics.de", "page": 1}
    ]
    # The model did say both things.
    content = fake.requests_to("chat")[0].reply["choices"][0]["message"]["content"]
    said = json.loads(content)["fields"]
    assert "1999-12-31" in [item["value"] for item in said["dates"]]
    assert said["emails"][0]["page"] == 2


def test_an_empty_document_is_not_sent(fake: FakeOpenAI) -> None:
    analysis = analyzer(fake).analyze([(1, "  \n "), (2, "")])
    assert analysis == Analysis(
        summary="", classification=None, fields={n: [] for n in FIELD_NAMES}, keywords=[]
    )
    assert fake.requests == []


def test_usage_counts_prompt_and_completion_tokens(fake: FakeOpenAI) -> None:
    with metering() as meter:
        analyzer(fake, "azure_openai").analyze(INVOICE)
    [used] = meter.as_list()
    assert (used["provider"], used["model"], used["requests"]) == ("azure_openai", "chat", 1)
    assert used["input_tokens"] > 100 and used["output_tokens"] > 20


# --- what the model or the service can refuse ---------------------------------------------------------


@pytest.mark.parametrize(
    ("flavour", "fault", "code"),
    [
        ("openai", "refusal", "ai_refused"),
        ("openai", "length", "ai_output_truncated"),
        ("openai", "content_filter", "ai_content_filtered"),
        ("azure_openai", "content_filter", "ai_content_filtered"),
        ("azure_openai", "azure_content_filter", "ai_content_filtered"),
    ],
)
def test_refusals_cut_off_and_filtered_answers_are_permanent(
    fake: FakeOpenAI, flavour: str, fault: str, code: str
) -> None:
    fake.fail_next(fault)
    with metering() as meter, pytest.raises(ProviderRejected) as raised:
        analyzer(fake, flavour).analyze(INVOICE)
    assert raised.value.code == code and not raised.value.transient
    assert (raised.value.provider, raised.value.kind) == (flavour, ProviderKind.LLM)
    assert len(fake.requests_to("chat")) == 1  # none of these is retried
    if fault != "azure_content_filter":
        assert meter.as_list()[0]["requests"] == 1  # an answered call is paid for, used or not


@pytest.mark.parametrize("fault", ["invalid_json_content", "schema_violation", "malformed_json"])
def test_output_that_does_not_parse_is_transient(fake: FakeOpenAI, fault: str) -> None:
    fake.fail_next(fault)
    with pytest.raises(ProviderUnavailable) as raised:
        analyzer(fake).analyze(INVOICE)
    assert raised.value.code == (
        "provider_invalid_response" if fault == "malformed_json" else "ai_invalid_output"
    )


def test_rate_limits_and_server_errors_are_retried_by_the_sdk(fake: FakeOpenAI) -> None:
    fake.fail_next("rate_limit", retry_after_ms=50)
    fake.fail_next("server_error")
    analysis = analyzer(fake, "azure_openai").analyze(INVOICE)
    assert analysis.classification is not None and analysis.classification.label == "invoice"
    assert len(fake.requests_to("chat")) == 3

    fake.reset()
    fake.fail_next("server_error", times=2)
    with pytest.raises(ProviderUnavailable) as raised:
        analyzer(fake, max_retries=1).analyze(INVOICE)
    assert (raised.value.code, raised.value.status) == ("provider_unavailable", 500)
    assert raised.value.kind is ProviderKind.LLM


def test_a_wrong_key_is_permanent_and_secrets_stay_out_of_logs_errors_and_repr(
    fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("openai", "httpx", "httpx2", "httpcore", "azure", "shared"):
        caplog.set_level(logging.DEBUG, logger=name)
    wrong_openai, wrong_azure = "sk-proj-wrong-key-0123456789QRST", "azure-wrong-key-0123456789QRST"
    good = [analyzer(fake, "openai"), analyzer(fake, "azure_openai")]
    for provider in good:
        provider.analyze(INVOICE)
    errors: list[ProviderError] = []
    for flavour, key in (("openai", wrong_openai), ("azure_openai", wrong_azure)):
        with pytest.raises(ProviderRejected) as raised:
            analyzer(fake, flavour, api_key=key).analyze(INVOICE)
        assert (raised.value.code, raised.value.status) == ("provider_auth_failed", 401)
        errors.append(raised.value)

    texts = [caplog.text, *(str(e) for e in errors), *(repr(p) for p in good)]
    for text in texts:
        for fragment in (
            fake.api_key,
            fake.azure_api_key,
            wrong_openai,
            wrong_azure,
            "QRST",
            "Incorrect API",
        ):
            assert fragment not in text
    assert all(e.__cause__ is None and e.__suppress_context__ for e in errors)


def test_the_factory_selects_and_caches_the_analyser(fake: FakeOpenAI) -> None:
    local_embeddings = get_embedding_provider(Settings(embeddings=EmbeddingsSettings(provider="local")))
    config = settings(fake, "azure_openai")
    provider = get_analysis_provider(config, local_embeddings)
    assert isinstance(provider, OpenAIAnalysisProvider)
    assert (provider.provider, provider.model) == ("azure_openai", "chat")
    assert get_analysis_provider(settings(fake, "azure_openai"), local_embeddings) is provider
    assert get_analysis_provider(settings(fake, "openai"), local_embeddings) is not provider

    local = get_analysis_provider(Settings(llm=LlmSettings(provider="local")), local_embeddings)
    assert local.provider == "local"
    assert fake.requests == []
