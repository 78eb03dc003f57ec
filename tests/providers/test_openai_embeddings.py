"""OpenAI and Azure OpenAI embeddings through the real `openai` SDK against the local fake service."""

from __future__ import annotations

import itertools
import logging
import math
import socket
from collections.abc import Iterator

import pytest

from shared.config import (
    AzureOpenAISettings,
    EmbeddingsSettings,
    LlmSettings,
    OpenAISettings,
    Settings,
)
from shared.pipeline.chunking import chunk_pages
from shared.providers.embeddings import get_embedding_provider
from shared.providers.embeddings.openai import (
    MAX_INPUT_TOKENS,
    MAX_TOKENS_PER_REQUEST,
    OpenAIEmbeddingProvider,
    tokenizer,
)
from shared.providers.errors import ProviderError, ProviderKind, ProviderRejected, ProviderUnavailable
from shared.providers.openai_client import build_client
from shared.providers.usage import metering
from testkit.fakes.openai_server import FakeOpenAI, embed_text, inputs_of

SECRET_LOGGERS = ("openai", "httpx", "httpx2", "httpcore", "azure", "msal", "shared")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.reset()
    # The SDK falls back to these when no credential is passed; the tests pass everything explicitly.
    for name in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def settings(
    fake: FakeOpenAI,
    flavour: str = "openai",
    *,
    dimensions: int | None = None,
    model: str = "text-embedding-3-small",
    deployment: str = "embed-small",
    api_key: str | None = "right",
    max_retries: int = 2,
    timeout: float = 30.0,
    base_url: str | None = None,
) -> Settings:
    openai_key = fake.api_key if api_key == "right" else api_key
    azure_key = fake.azure_api_key if api_key == "right" else api_key
    return Settings(
        embeddings=EmbeddingsSettings(provider=flavour, dimensions=dimensions),
        openai=OpenAISettings(
            api_key=openai_key,
            base_url=base_url or fake.base_url,
            embedding_model=model,
            max_retries=max_retries,
            timeout_seconds=timeout,
        ),
        azure_openai=AzureOpenAISettings(
            endpoint=base_url or fake.azure_endpoint,
            api_key=azure_key,
            embedding_deployment=deployment,
        ),
    )


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def expected(text: str, model: str = "text-embedding-3-small", dims: int | None = None) -> list[float]:
    return [float(x) for x in embed_text(text, model, dims)]


# --- selection, identity and the vectors themselves -----------------------------------------------


def test_the_factory_selects_and_caches_per_configuration(fake: FakeOpenAI) -> None:
    openai = get_embedding_provider(settings(fake))
    assert isinstance(openai, OpenAIEmbeddingProvider)
    assert (openai.key, openai.provider, openai.model) == (
        "openai:text-embedding-3-small", "openai", "text-embedding-3-small",
    )  # fmt: skip
    assert get_embedding_provider(settings(fake)) is openai
    shorter = get_embedding_provider(settings(fake, dimensions=256))
    assert shorter is not openai and shorter.key == "openai:text-embedding-3-small@256"
    other_key = get_embedding_provider(settings(fake, api_key="sk-another-key-000"))
    assert other_key is not openai

    azure = get_embedding_provider(settings(fake, "azure_openai"))
    assert (azure.key, azure.provider, azure.model) == (
        "azure_openai:embed-small",
        "azure_openai",
        "embed-small",
    )
    assert azure.max_input_tokens == MAX_INPUT_TOKENS == 8191
    assert fake.requests == []  # building a provider calls nothing


@pytest.mark.parametrize("flavour", ["openai", "azure_openai"])
def test_vectors_are_unit_length_in_input_order_and_meaningful(fake: FakeOpenAI, flavour: str) -> None:
    provider = get_embedding_provider(settings(fake, flavour))
    texts = [
        "invoice payment due",
        "the invoice payment is due next week",
        "hiking in the mountains",
        "Grüße aus München 🏔",
    ]
    vectors = provider.embed(texts)

    assert len(vectors) == len(texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert len(vector) == 1536
        assert math.isclose(math.sqrt(cosine(vector, vector)), 1.0, rel_tol=1e-5)
        assert cosine(vector, expected(text)) > 0.99999  # the vector of this very input, in its place
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.3
    assert provider.embed_query(texts[2]) == pytest.approx(vectors[2], abs=1e-6)
    assert provider.embed([]) == []

    [request, *_] = fake.requests
    assert request.json["input"] == texts
    if flavour == "openai":
        assert request.path == "/v1/embeddings"
        assert request.headers["authorization"] == f"Bearer {fake.api_key}"
    else:
        assert request.path == "/openai/deployments/embed-small/embeddings"
        assert request.query["api-version"] == "2024-10-21"
        assert request.headers["api-key"] == fake.azure_api_key


def test_the_sdk_default_base64_explicit_base64_and_float_give_the_same_vectors(fake: FakeOpenAI) -> None:
    texts = ["quarterly revenue report", "forklift safety manual"]
    config = settings(fake)
    default = OpenAIEmbeddingProvider(config, "openai").embed(texts)
    explicit = OpenAIEmbeddingProvider(config, "openai", encoding_format="base64").embed(texts)
    floats = OpenAIEmbeddingProvider(config, "openai", encoding_format="float").embed(texts)

    assert [r.json["encoding_format"] for r in fake.requests] == ["base64", "base64", "float"]
    for a, b, c, text in zip(default, explicit, floats, texts, strict=True):
        assert a == pytest.approx(b, abs=1e-7)
        assert a == pytest.approx(c, abs=1e-6)
        assert cosine(a, expected(text)) > 0.99999


@pytest.mark.parametrize("flavour", ["openai", "azure_openai"])
def test_embedding_dimensions_are_sent_only_when_set(fake: FakeOpenAI, flavour: str) -> None:
    short = OpenAIEmbeddingProvider(settings(fake, flavour, dimensions=256), flavour)
    assert short.dimensions == 256 and short.key.endswith("@256")
    vectors = short.embed(["contract termination notice"])
    assert fake.requests[-1].json["dimensions"] == 256
    assert len(vectors[0]) == 256
    assert cosine(vectors[0], expected("contract termination notice", dims=256)) > 0.99999

    full = OpenAIEmbeddingProvider(settings(fake, flavour), flavour)
    full.embed(["contract termination notice"])
    assert "dimensions" not in fake.requests[-1].json


def test_dimensions_are_known_for_known_models_and_learned_once_otherwise(fake: FakeOpenAI) -> None:
    large = OpenAIEmbeddingProvider(settings(fake, model="text-embedding-3-large"), "openai")
    ada = OpenAIEmbeddingProvider(settings(fake, model="text-embedding-ada-002"), "openai")
    assert (large.dimensions, ada.dimensions) == (3072, 1536)
    assert fake.requests == []

    # An Azure deployment's name says nothing about its model: the first reply tells the size.
    unknown = OpenAIEmbeddingProvider(settings(fake, "azure_openai", deployment="embeddings"), "azure_openai")
    assert unknown.dimensions == 3072
    assert unknown.dimensions == 3072
    assert len(fake.requests_to("embeddings")) == 1
    assert len(unknown.embed(["after the probe"])[0]) == 3072


# --- the service's limits ------------------------------------------------------------------------


@pytest.mark.slow
def test_5000_inputs_go_in_three_requests_of_at_most_2048(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake), "openai")
    texts = [f"line {i} of the ledger, account {i * 7}" for i in range(5000)]
    with metering() as meter:
        vectors = provider.embed(texts)

    sizes = [len(r.json["input"]) for r in fake.requests_to("embeddings")]
    assert sizes == [2048, 2048, 904]
    assert [text for r in fake.requests_to("embeddings") for text in inputs_of(r)] == texts
    assert len(vectors) == 5000
    for index in (0, 2047, 2048, 4095, 4096, 4999):
        assert cosine(vectors[index], expected(texts[index])) > 0.99999
    [used] = meter.as_list()
    assert used["requests"] == 3
    assert used["input_tokens"] == sum(len(tokenizer().encode_ordinary(t)) for t in texts)


def test_requests_are_split_to_stay_under_300k_tokens(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake), "openai")
    text = "word" + " word" * 3999  # 4000 tokens
    assert len(tokenizer().encode_ordinary(text)) == 4000
    texts = [text] * 90 + ["the last one"]  # 360,003 tokens in all
    vectors = provider.embed(texts)

    requests = fake.requests_to("embeddings")
    per_request = [sum(len(tokenizer().encode_ordinary(t)) for t in inputs_of(r)) for r in requests]
    assert len(requests) == 2
    assert all(tokens <= MAX_TOKENS_PER_REQUEST for tokens in per_request)
    assert per_request[0] == 300_000  # filled up to the limit, not beyond
    assert [t for r in requests for t in inputs_of(r)] == texts
    assert len(vectors) == 91 and cosine(vectors[-1], expected("the last one")) > 0.99999


def test_an_input_over_8191_tokens_is_cut_by_tokens_and_never_sent_whole(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake), "openai")
    encoding = tokenizer()
    long_ascii = " ".join(f"w{i}" for i in range(9000))
    long_emoji = "Umlaute äöü und Papageien 🦜" * 1200  # characters split over several byte-level tokens
    assert len(encoding.encode_ordinary(long_ascii)) > MAX_INPUT_TOKENS
    assert len(encoding.encode_ordinary(long_emoji)) > MAX_INPUT_TOKENS
    vectors = provider.embed(["short one", long_ascii, long_emoji])

    [request] = fake.requests_to("embeddings")
    short, ascii_sent, emoji_sent = inputs_of(request)
    assert short == "short one"
    for original, sent in ((long_ascii, ascii_sent), (long_emoji, emoji_sent)):
        tokens = len(encoding.encode_ordinary(sent))
        assert MAX_INPUT_TOKENS - 3 <= tokens <= MAX_INPUT_TOKENS
        assert original.startswith(sent)
    assert "\ufffd" not in emoji_sent
    assert len(vectors) == 3


def test_an_empty_input_is_sent_as_a_space(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake), "openai")
    vectors = provider.embed(["", "words"])
    assert fake.requests_to("embeddings")[0].json["input"] == [" ", "words"]
    assert math.isclose(math.sqrt(cosine(vectors[0], vectors[0])), 1.0, rel_tol=1e-5)


def test_token_spans_are_ascending_within_the_text_and_fit_the_chunker(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake), "openai")
    text = "Invoice №42 \u2013 naïve café 🦜🦜 日本語のテキスト\n\nTotal: EUR 1.234,56.  Thanks!"
    spans = provider.token_spans(text)

    assert len(spans) == len(tokenizer().encode_ordinary(text))
    assert all(0 <= start <= end <= len(text) for start, end in spans)
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    assert "".join(text[start:end] for start, end in spans) == text
    assert provider.token_spans("") == []

    pages = [(1, text * 20), (2, "Second page. " * 50), (3, "   "), (4, "Ende.")]
    chunks = list(chunk_pages(pages, provider.token_spans, 60, 10))
    assert chunks and [c.chunk_no for c in chunks] == list(range(len(chunks)))
    assert all(c.token_count <= 60 for c in chunks)
    assert chunks[0].page_start == 1 and chunks[-1].page_end == 4
    assert all(len(tokenizer().encode_ordinary(c.text)) <= 60 + 2 for c in chunks)
    assert fake.requests == []  # tokenising is local


# --- faults ----------------------------------------------------------------------------------------


def test_vectors_returned_out_of_order_are_put_back_by_index(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake), "openai")
    texts = ["alpha report", "beta invoice", "gamma contract"]
    fake.fail_next("shuffled")
    vectors = provider.embed(texts)
    for text, vector in zip(texts, vectors, strict=True):
        assert cosine(vector, expected(text)) > 0.99999


@pytest.mark.parametrize(
    ("header", "options", "at_least"),
    [
        ("retry-after", {"retry_after": 1}, 0.9),
        ("retry-after-ms", {"retry_after": 30, "retry_after_ms": 300}, 0.25),
    ],
)
def test_a_429_is_retried_by_the_sdk_after_the_servers_retry_after(
    fake: FakeOpenAI, header: str, options: dict[str, float], at_least: float
) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake), "openai")
    fake.fail_next("rate_limit", **options)
    with metering() as meter:
        vectors = provider.embed(["retried until it works"])

    first, second = fake.requests_to("embeddings")
    assert second.received_at - first.received_at >= at_least
    assert cosine(vectors[0], expected("retried until it works")) > 0.99999
    assert meter.as_list()[0]["requests"] == 1  # one answered call, however often the SDK retried


def test_rate_limits_that_outlast_the_retries_are_transient(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake, max_retries=2), "openai")
    fake.fail_next("rate_limit", times=3, retry_after_ms=10)
    with pytest.raises(ProviderUnavailable) as raised:
        provider.embed(["busy"])
    error = raised.value
    assert (error.code, error.status, error.transient) == ("provider_rate_limited", 429, True)
    assert (error.provider, error.kind) == ("openai", ProviderKind.EMBEDDINGS)
    assert error.retry_after == pytest.approx(0.01)  # the service's retry-after-ms of its last answer
    assert len(fake.requests_to("embeddings")) == 3


def test_the_wait_a_throttling_service_asks_for_travels_with_the_error(fake: FakeOpenAI) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake, "azure_openai", max_retries=0), "azure_openai")
    fake.fail_next("rate_limit", retry_after=17)
    with pytest.raises(ProviderUnavailable) as raised:
        provider.embed(["busy"])
    assert (raised.value.provider, raised.value.retry_after) == ("azure_openai", 17.0)

    fake.fail_next("server_error")
    with pytest.raises(ProviderUnavailable) as raised:
        provider.embed(["down"])
    assert (raised.value.code, raised.value.status, raised.value.retry_after) == (
        "provider_unavailable", 500, None,
    )  # fmt: skip


@pytest.mark.parametrize("flavour", ["openai", "azure_openai"])
def test_server_errors_are_retried_then_transient(fake: FakeOpenAI, flavour: str) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake, flavour, max_retries=1), flavour)
    fake.fail_next("server_error")
    assert len(provider.embed(["one 500, then fine"])) == 1
    assert len(fake.requests_to("embeddings")) == 2

    fake.reset()
    fake.fail_next("server_error", times=2, status=503)
    with pytest.raises(ProviderUnavailable) as raised:
        provider.embed(["down"])
    assert (raised.value.code, raised.value.status, raised.value.provider) == (
        "provider_unavailable",
        503,
        flavour,
    )
    assert len(fake.requests_to("embeddings")) == 2


@pytest.mark.parametrize("fault", ["malformed_json", "wrong_count", "wrong_dimensions"])
def test_a_malformed_reply_is_transient(fake: FakeOpenAI, fault: str) -> None:
    provider = OpenAIEmbeddingProvider(settings(fake), "openai")
    fake.fail_next(fault)
    with pytest.raises(ProviderUnavailable) as raised:
        provider.embed(["first", "second", "third"])
    assert raised.value.code == "provider_invalid_response" and raised.value.transient


def test_timeouts_and_unreachable_services_are_transient(fake: FakeOpenAI) -> None:
    slow = OpenAIEmbeddingProvider(settings(fake, max_retries=0, timeout=0.3), "openai")
    fake.fail_next("delay", seconds=1.5)
    with pytest.raises(ProviderUnavailable) as raised:
        slow.embed(["too slow"])
    assert (raised.value.code, raised.value.status) == ("provider_unavailable", None)

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    gone = OpenAIEmbeddingProvider(
        settings(fake, max_retries=0, base_url=f"http://127.0.0.1:{closed_port}/v1"), "openai"
    )
    with pytest.raises(ProviderUnavailable) as raised:
        gone.embed(["nobody home"])
    assert (raised.value.code, raised.value.status, raised.value.transient) == (
        "provider_unavailable",
        None,
        True,
    )


def test_what_retrying_cannot_fix_is_permanent(fake: FakeOpenAI) -> None:
    wrong_key = OpenAIEmbeddingProvider(settings(fake, api_key="sk-wrong-key-1234567890"), "openai")
    with pytest.raises(ProviderRejected) as raised:
        wrong_key.embed(["x"])
    error = raised.value
    assert (error.code, error.status, error.transient) == ("provider_auth_failed", 401, False)
    assert (error.provider, error.kind) == ("openai", ProviderKind.EMBEDDINGS)
    assert len(fake.requests) == 1  # a 401 is not retried

    azure_wrong_key = OpenAIEmbeddingProvider(
        settings(fake, "azure_openai", api_key="azure-wrong-key-000"), "azure_openai"
    )
    with pytest.raises(ProviderRejected) as raised:
        azure_wrong_key.embed(["x"])
    assert raised.value.code == "provider_auth_failed"

    missing = OpenAIEmbeddingProvider(settings(fake, "azure_openai", deployment="nope"), "azure_openai")
    with pytest.raises(ProviderRejected) as raised:
        missing.embed(["x"])
    assert raised.value.code == "provider_not_found" and "nope" in raised.value.message

    # ada-002 has a fixed size: the service rejects `dimensions` with a 400.
    ada = OpenAIEmbeddingProvider(
        settings(fake, "azure_openai", deployment="ada", dimensions=256), "azure_openai"
    )
    with pytest.raises(ProviderRejected) as raised:
        ada.embed(["x"])
    assert raised.value.code == "provider_rejected_input"


# --- Microsoft Entra ID ------------------------------------------------------------------------------


def test_azure_without_a_key_signs_in_with_the_managed_identity(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DefaultAzureCredential as on App Service: IDENTITY_ENDPOINT / IDENTITY_HEADER name the local
    token endpoint, which the fake serves; the token is fetched once and reused."""
    monkeypatch.setenv("IDENTITY_ENDPOINT", fake.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", fake.identity_header)
    provider = OpenAIEmbeddingProvider(settings(fake, "azure_openai", api_key=None), "azure_openai")
    provider.embed(["signed in with entra id"])
    provider.embed(["and again"])

    [token_request] = [r for r in fake.requests if r.path == "/msi/token"]
    assert token_request.query["resource"] == "https://cognitiveservices.azure.com"
    embeddings = fake.requests_to("embeddings")
    assert len(embeddings) == 2
    for request in embeddings:
        assert request.headers["authorization"] == f"Bearer {fake.issued_tokens[0]}"
        assert "api-key" not in request.headers


def test_azure_with_an_explicit_token_provider(fake: FakeOpenAI) -> None:
    config = settings(fake, "azure_openai", api_key=None)
    client = build_client(config, "azure_openai", azure_ad_token_provider=fake.issue_token)
    provider = OpenAIEmbeddingProvider(config, "azure_openai", client=client)
    assert len(provider.embed(["token from a callable"])) == 1
    assert fake.requests_to("embeddings")[0].headers["authorization"] == f"Bearer {fake.issued_tokens[-1]}"


def test_no_entra_id_token_is_a_permanent_auth_failure(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_ENDPOINT", fake.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-identity-header")
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")
    provider = OpenAIEmbeddingProvider(settings(fake, "azure_openai", api_key=None), "azure_openai")
    with pytest.raises(ProviderRejected) as raised:
        provider.embed(["no identity"])
    error = raised.value
    assert (error.code, error.status, error.provider) == ("provider_auth_failed", None, "azure_openai")
    assert error.kind is ProviderKind.EMBEDDINGS
    assert fake.requests_to("embeddings") == []


# --- secrets ----------------------------------------------------------------------------------------


def test_secrets_appear_in_no_log_error_or_repr(
    fake: FakeOpenAI, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SECRET_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    wrong_openai, wrong_azure = "sk-proj-wrong-0123456789abcdefWXYZ", "azure-wrong-0123456789abcdefWXYZ"
    errors: list[ProviderError] = []
    providers = [
        OpenAIEmbeddingProvider(settings(fake, "openai"), "openai"),
        OpenAIEmbeddingProvider(settings(fake, "azure_openai"), "azure_openai"),
        OpenAIEmbeddingProvider(settings(fake, "openai", api_key=wrong_openai), "openai"),
        OpenAIEmbeddingProvider(settings(fake, "azure_openai", api_key=wrong_azure), "azure_openai"),
        OpenAIEmbeddingProvider(settings(fake, "openai", max_retries=1), "openai"),
    ]
    monkeypatch.setenv("IDENTITY_ENDPOINT", fake.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", fake.identity_header)
    providers.append(OpenAIEmbeddingProvider(settings(fake, "azure_openai", api_key=None), "azure_openai"))

    for provider in providers[:2] + providers[-1:]:
        provider.embed(["fine"])
    for provider in providers[2:4]:
        with pytest.raises(ProviderError) as raised:
            provider.embed(["refused"])
        errors.append(raised.value)
    fake.fail_next("rate_limit", times=2, retry_after_ms=10)
    with pytest.raises(ProviderError) as raised:
        providers[4].embed(["busy"])
    errors.append(raised.value)

    secrets = [
        fake.api_key,
        fake.azure_api_key,
        wrong_openai,
        wrong_azure,
        fake.identity_header,
        *fake.issued_tokens,
    ]
    assert any(r.path == "/msi/token" for r in fake.requests)  # the Entra ID path ran too
    # The masked key the service echoes ("sk-***...WXYZ") must not travel either.
    fragments = [*secrets, "WXYZ", "Incorrect API key"]
    texts = [
        caplog.text,
        *(str(e) for e in errors),
        *(e.message for e in errors),
        *(repr(p) for p in providers),
    ]
    for text in texts:
        for fragment in fragments:
            assert fragment not in text
    for error in errors:
        assert error.__cause__ is None and error.__suppress_context__  # no SDK exception chained on
    assert "401" in errors[0].message and "rate limiting" in errors[2].message


# --- configuration ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "missing"),
    [
        ("EMBEDDINGS_PROVIDER", "openai", ["OPENAI_API_KEY"]),
        (
            "EMBEDDINGS_PROVIDER",
            "azure_openai",
            ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_EMBEDDING_DEPLOYMENT"],
        ),
        ("LLM_PROVIDER", "openai", ["OPENAI_API_KEY"]),
        ("LLM_PROVIDER", "azure_openai", ["AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_CHAT_DEPLOYMENT"]),
    ],
)
def test_each_provider_names_the_variable_it_misses(setting: str, value: str, missing: list[str]) -> None:
    empty = {
        "openai": OpenAISettings(api_key=None),
        "azure_openai": AzureOpenAISettings(
            endpoint=None, api_key=None, embedding_deployment=None, chat_deployment=None
        ),
    }
    if setting == "EMBEDDINGS_PROVIDER":
        config = Settings(
            embeddings=EmbeddingsSettings(provider=value), llm=LlmSettings(provider="local"), **empty
        )
    else:
        config = Settings(
            embeddings=EmbeddingsSettings(provider="local"), llm=LlmSettings(provider=value), **empty
        )
    problems = config.provider_problems()
    assert problems == [f"{setting}={value} needs {variable}" for variable in missing]
    if setting == "EMBEDDINGS_PROVIDER":
        with pytest.raises(RuntimeError, match=missing[-1] if value == "openai" else "AZURE_OPENAI_"):
            get_embedding_provider(config)
