"""The `openai` SDK client for OpenAI or Azure OpenAI, and what the SDK's failures mean.

The SDK itself retries 429, 408, 409 and 5xx responses and connection errors (`OPENAI_MAX_RETRIES` times,
honouring `retry-after-ms` / `retry-after`); what still fails afterwards becomes a `ProviderUnavailable`
(with the service's last status and requested wait), and what no retry can fix (credentials, a rejected
input) a `ProviderRejected`. Messages are written here, never copied from the SDK: the service's own
messages can quote a masked API key.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr

from shared.config import Settings
from shared.providers.errors import (
    Origin,
    ProviderError,
    ProviderKind,
    ProviderRejected,
    ProviderUnavailable,
    retry_after_seconds,
)

log = logging.getLogger(__name__)

OPENAI = "openai"
AZURE_OPENAI = "azure_openai"
SERVICE_NAMES = {OPENAI: "OpenAI", AZURE_OPENAI: "Azure OpenAI"}
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"

TokenProvider = Callable[[], str]


def build_client(
    settings: Settings, provider: str, *, azure_ad_token_provider: TokenProvider | None = None
) -> Any:
    """An `openai.OpenAI` or `openai.AzureOpenAI` client for `provider` ("openai" or "azure_openai").

    Azure without AZURE_OPENAI_API_KEY authenticates with Microsoft Entra ID: `azure_ad_token_provider`
    when given, else DefaultAzureCredential (managed identity, workload identity, environment, CLI).
    """
    import openai

    timeout = settings.openai.timeout_seconds
    retries = settings.openai.max_retries
    if provider == OPENAI:
        if settings.openai.api_key is None:
            raise RuntimeError("the openai provider needs OPENAI_API_KEY")
        return openai.OpenAI(
            api_key=settings.openai.api_key.get_secret_value(),
            base_url=settings.openai.base_url or None,
            timeout=timeout,
            max_retries=retries,
        )
    if provider == AZURE_OPENAI:
        azure = settings.azure_openai
        if not azure.endpoint:
            raise RuntimeError("the azure_openai provider needs AZURE_OPENAI_ENDPOINT")
        credential: dict[str, Any]
        if azure.api_key is not None:
            credential = {"api_key": azure.api_key.get_secret_value()}
        else:
            credential = {"azure_ad_token_provider": azure_ad_token_provider or entra_token_provider()}
        return openai.AzureOpenAI(
            azure_endpoint=azure.endpoint,
            api_version=azure.api_version,
            timeout=timeout,
            max_retries=retries,
            **credential,
        )
    raise ValueError(f"unknown OpenAI flavour {provider!r}")


def chat_model(settings: Settings, provider: str) -> str:
    """The chat model `provider` names: OPENAI_CHAT_MODEL, or the deployment AZURE_OPENAI_CHAT_DEPLOYMENT."""
    if provider == OPENAI:
        return settings.openai.chat_model
    if provider == AZURE_OPENAI:
        if not settings.azure_openai.chat_deployment:
            raise RuntimeError("LLM_PROVIDER=azure_openai needs AZURE_OPENAI_CHAT_DEPLOYMENT")
        return settings.azure_openai.chat_deployment
    raise ValueError(f"unknown OpenAI flavour {provider!r}")


def config_fingerprint(settings: Settings) -> str:
    """A digest of the OpenAI and Azure OpenAI settings, keys included: a cache key that changes when a
    key changes without holding the key itself."""
    digest = hashlib.sha256()
    for group in (settings.openai, settings.azure_openai):
        for name, value in sorted(group.model_dump().items()):
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            digest.update(f"{name}={plain!r}\0".encode())
    return digest.hexdigest()


class EntraTokenUnavailable(Exception):
    """No Microsoft Entra ID token for Azure OpenAI: `provider_errors` reports `provider_auth_failed`."""


def entra_token_provider() -> TokenProvider:
    """Bearer tokens for Azure OpenAI from DefaultAzureCredential, cached and refreshed by azure-identity.

    A failure to get a token raises `EntraTokenUnavailable`, which the SDK lets through and
    `provider_errors` turns into a `ProviderRejected`: no identity is configured or it may not use the
    resource, which another attempt will not change. Only the exception's type is logged: the credential
    chain's messages describe the host's environment at length.
    """
    from azure.core.exceptions import AzureError
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    tokens = get_bearer_token_provider(DefaultAzureCredential(), ENTRA_SCOPE)

    def token() -> str:
        try:
            return tokens()
        except AzureError as exc:
            log.warning("no Microsoft Entra ID token for Azure OpenAI: %s", type(exc).__name__)
            raise EntraTokenUnavailable() from None

    return token


@contextmanager
def provider_errors(kind: ProviderKind, provider: str, model: str) -> Iterator[None]:
    """Turn the SDK's exceptions inside the block into provider errors (after the SDK's own retries)."""
    import httpx
    import openai

    service = SERVICE_NAMES.get(provider, provider)
    try:
        yield
    except ProviderError:
        raise
    except EntraTokenUnavailable:
        raise ProviderRejected(
            "provider_auth_failed",
            f"{service} could not be signed in to: no Microsoft Entra ID token was issued. Give the "
            "service a managed identity with the 'Cognitive Services OpenAI User' role on the resource, "
            "or set AZURE_OPENAI_API_KEY.",
            provider=provider,
            kind=kind,
        ) from None
    except openai.APIStatusError as exc:
        raise status_error(exc, kind, provider, model) from None
    except openai.APITimeoutError:
        raise ProviderUnavailable(
            "provider_unavailable",
            f"{service} did not answer in time, even after retries.",
            provider=provider,
            kind=kind,
        ) from None
    except (openai.APIConnectionError, httpx.TransportError):
        # A streamed reply that breaks off raises httpx's error as it is read, unwrapped by the SDK.
        raise ProviderUnavailable(
            "provider_unavailable",
            f"{service} could not be reached, even after retries.",
            provider=provider,
            kind=kind,
        ) from None
    except (openai.APIResponseValidationError, ValueError, TypeError, AttributeError, KeyError) as exc:
        # The SDK parses the body inside the call: a malformed body surfaces as one of these.
        log.warning("%s sent a response that could not be read: %s", service, type(exc).__name__)
        raise ProviderUnavailable(
            "provider_invalid_response",
            f"{service} sent a malformed response.",
            provider=provider,
            kind=kind,
        ) from None


def status_error(exc: Any, kind: ProviderKind, provider: str, model: str) -> ProviderError:
    """The provider error for an HTTP error status the SDK gave up on. `exc` is an `openai.APIStatusError`."""
    service = SERVICE_NAMES.get(provider, provider)
    status = int(exc.status_code)
    code = _error_code(exc)
    request = f" (HTTP {status}{f', request {exc.request_id}' if exc.request_id else ''})"
    log.warning("%s answered HTTP %d, error code %s, request %s", service, status, code, exc.request_id)
    where = Origin(provider=provider, kind=kind, status=status)
    if code == "content_filter":
        return ProviderRejected(
            "ai_content_filtered",
            f"{service}'s content filter blocked this document, so it cannot be analysed{request}.",
            **where,
        )
    if status in (401, 403):
        return ProviderRejected(
            "provider_auth_failed",
            f"{service} refused our credentials{request}. Check the API key or the identity's access to "
            "the resource.",
            **where,
        )
    if status == 404:
        return ProviderRejected(
            "provider_not_found",
            f"{service} does not know the model or deployment '{model}'{request}. Check the configured "
            "model or deployment name and the endpoint.",
            **where,
        )
    retry_after = retry_after_seconds(getattr(exc.response, "headers", None))
    if status == 429:
        detail = "its quota is used up" if code == "insufficient_quota" else "it is rate limiting us"
        return ProviderUnavailable(
            "provider_rate_limited",
            f"{service} is busy: {detail}, even after retries{request}.",
            retry_after=retry_after,
            **where,
        )
    if status >= 500 or status in (408, 409):
        return ProviderUnavailable(
            "provider_unavailable",
            f"{service} failed to answer, even after retries{request}.",
            retry_after=retry_after,
            **where,
        )
    return ProviderRejected("provider_rejected_input", f"{service} rejected the request{request}.", **where)


def _error_code(exc: Any) -> str | None:
    """The service's error code (`error.code` of the body; OpenAI and Azure put it in the same place)."""
    code = getattr(exc, "code", None)
    if code is None and isinstance(exc.body, dict):
        code = exc.body.get("code")
    return str(code) if code is not None else None
