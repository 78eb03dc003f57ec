"""Per-user quotas against a real Redis: what they refuse, when they say to come back, and that a
limiter outage lets requests through rather than taking the API down."""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.quotas import Quotas
from cli.stack.processes import Supervisor
from cli.stack.redis import EmbeddedRedis, free_port
from shared.config import QuotaSettings
from shared.errors import RateLimited


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    data_dir = Path(tempfile.mkdtemp(prefix="workopti-quota-"))
    server = EmbeddedRedis(data_dir, port=free_port())
    server.prepare()
    supervisor = Supervisor(data_dir / "logs")
    supervisor.start(server.spec())
    try:
        server.wait_ready()
        yield server.url
    finally:
        supervisor.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _quotas(url: str, **values: int) -> Quotas:
    return Quotas(QuotaSettings(**values), url)


def test_uploads_per_minute_refuse_the_next_and_say_when(redis_url: str) -> None:
    quotas = _quotas(redis_url, QUOTA_UPLOADS_PER_MINUTE=3)
    user = f"u-{uuid.uuid4()}"
    for _ in range(3):
        quotas.check_upload(user)
    with pytest.raises(RateLimited) as refused:
        quotas.check_upload(user)
    assert refused.value.code == "too_many_uploads" and 1 <= refused.value.retry_after <= 60
    quotas.check_upload(f"u-{uuid.uuid4()}")  # another user is not affected


def test_questions_per_minute_are_limited_apart_from_uploads(redis_url: str) -> None:
    quotas = _quotas(redis_url, QUOTA_ASKS_PER_MINUTE=2, QUOTA_UPLOADS_PER_MINUTE=1)
    user = f"u-{uuid.uuid4()}"
    quotas.check_ask(user)
    quotas.check_ask(user)
    with pytest.raises(RateLimited) as refused:
        quotas.check_ask(user)
    assert refused.value.code == "too_many_questions" and 1 <= refused.value.retry_after <= 60
    quotas.check_upload(user)  # asking does not use up the upload quota


def test_bytes_per_day_are_charged_by_size(redis_url: str) -> None:
    quotas = _quotas(redis_url, QUOTA_UPLOAD_BYTES_PER_DAY=1000)
    user = f"u-{uuid.uuid4()}"
    quotas.charge_bytes(user, 600)
    with pytest.raises(RateLimited) as refused:
        quotas.charge_bytes(user, 500)
    assert refused.value.code == "upload_quota_exceeded" and refused.value.retry_after <= 24 * 3600
    quotas.charge_bytes(user, 400)  # what fits still fits
    with pytest.raises(RateLimited):
        quotas.charge_bytes(f"u-{uuid.uuid4()}", 1001)  # never fits, whatever was used


def test_requests_per_minute(redis_url: str) -> None:
    quotas = _quotas(redis_url, QUOTA_REQUESTS_PER_MINUTE=5)
    user = f"u-{uuid.uuid4()}"
    for _ in range(5):
        quotas.check_request(user)
    with pytest.raises(RateLimited) as refused:
        quotas.check_request(user)
    assert refused.value.code == "too_many_requests"


def test_zero_turns_a_quota_off(redis_url: str) -> None:
    quotas = _quotas(redis_url, QUOTA_REQUESTS_PER_MINUTE=0, QUOTA_UPLOAD_BYTES_PER_DAY=0)
    for _ in range(50):
        quotas.check_request("anyone")
    quotas.charge_bytes("anyone", 10**12)


def test_a_limiter_outage_lets_requests_through_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    quotas = _quotas(f"redis://127.0.0.1:{free_port()}/0", QUOTA_REQUESTS_PER_MINUTE=1)
    with caplog.at_level(logging.WARNING, logger="api.quotas"):
        for _ in range(3):
            quotas.check_request("anyone")
    warnings = [r for r in caplog.records if "quotas are not enforced" in r.getMessage()]
    assert len(warnings) == 1  # said once, not on every request
