"""What the job runner makes of a provider's errors, and how the wait a service asks for is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from shared.jobs.errors import JobError, PermanentJobError, TransientJobError
from shared.jobs.runner import as_job_error
from shared.providers.errors import (
    ProviderError,
    ProviderKind,
    ProviderRejected,
    ProviderUnavailable,
    retry_after_seconds,
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ProviderUnavailable(
                "provider_rate_limited", "OpenAI is busy: it is rate limiting us, even after retries.",
                provider="openai", kind=ProviderKind.EMBEDDINGS, status=429, retry_after=20,
            ),
            TransientJobError,
        ),
        (
            ProviderUnavailable(
                "ocr_service_unavailable", "The OCR service could not be reached.",
                provider="azure_document_intelligence", kind=ProviderKind.OCR,
            ),
            TransientJobError,
        ),
        (
            ProviderRejected(
                "provider_auth_failed", "Azure OpenAI refused our credentials (HTTP 401).",
                provider="azure_openai", kind=ProviderKind.LLM, status=401,
            ),
            PermanentJobError,
        ),
        (
            ProviderRejected(
                "ocr_document_too_large", "The document is 600.0 MB; the OCR service reads at most 500.0 MB.",
                provider="azure_document_intelligence", kind=ProviderKind.OCR,
            ),
            PermanentJobError,
        ),
    ],
    ids=["rate-limited", "unreachable", "auth-failed", "too-large"],
)  # fmt: skip
def test_the_runner_turns_provider_errors_into_job_errors_of_the_same_code(
    error: ProviderError, expected: type[JobError]
) -> None:
    job_error = as_job_error(error)

    assert type(job_error) is expected
    assert job_error.transient is error.transient
    assert (job_error.code, job_error.message) == (error.code, error.message)
    assert job_error.retry_after == error.retry_after  # the retry waits at least that long


def test_a_job_error_passes_through_the_runner_unchanged() -> None:
    error = PermanentJobError("document_missing", "The document was deleted.")
    assert as_job_error(error) is error


def test_anything_else_is_an_unexpected_transient_error() -> None:
    job_error = as_job_error(RuntimeError("boom"))
    assert isinstance(job_error, TransientJobError) and job_error.code == "unexpected_error"


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the finer one wins, as in the SDK
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "-3"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "tomorrow-ish"}, None),
    ],
)
def test_the_wait_a_service_asks_for(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(headers) == seconds


def test_the_wait_may_be_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 60 < retry_after_seconds({"retry-after": later}) <= 120  # type: ignore[operator]
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=120), usegmt=True)
    assert retry_after_seconds({"retry-after": earlier}) == 0.0
