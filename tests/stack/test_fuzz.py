"""Fuzz the whole OpenAPI surface of the running API with schemathesis: no 5xx, ever, and every
response as documented (status code, content type, headers, body schema).

Generation is derandomized, so a failure reproduces on the next run and CI is not a lottery; how many
cases were tried, per operation and per status, is written to artifacts/fuzz.json.
"""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cli.stack.stack import Stack
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.stack

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25
# A stream that never ends by itself cannot be fuzzed by waiting for its body; test_events.py tests
# what it reads (Last-Event-ID, the caller).
ENDLESS = {("GET", "/api/v1/events")}


def test_the_api_survives_whatever_the_schema_allows(stack: Stack) -> None:
    token = httpx.post(f"{stack.api_url}/api/v1/auth/dev-token", json={"user_id": "fuzzer"}).json()[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(f"{stack.api_url}/openapi.json")
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    operations = [
        operation
        for operation in (result.ok() for result in schema.get_all_operations())
        if (operation.method.upper(), operation.path) not in ENDLESS
    ]
    runs = [
        (operation, mode)
        for operation in operations
        for mode in GenerationMode
        # Nothing to break in an operation that takes no input.
        if mode is GenerationMode.POSITIVE or _takes_input(operation)
    ]
    # Positive cases follow the schema; negative ones break it on purpose (wrong types, missing fields,
    # out-of-range values) and must come back as documented 4xx problems.
    for operation, mode in runs:
        label = f"{operation.label} ({mode.value})"
        try:
            _fuzzer(operation, mode, stack.api_url, headers, cases, statuses, label)()
        except (Exception, BaseExceptionGroup) as exc:  # report every failing operation, not just the first
            failures.append(f"{label}: {exc}"[:2000])

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fuzz.json").write_text(
        json.dumps(
            {
                "cases": sum(cases.values()),
                "operations": len(cases),
                "per_operation": cases,
                "statuses": statuses,
            },
            indent=2,
            sort_keys=True,
        )
    )
    assert not failures, "\n\n".join(failures)
    assert len(cases) >= 40 and sum(cases.values()) >= 600, (len(cases), sum(cases.values()))
    assert not [status for status in statuses if status >= 500]


def _takes_input(operation) -> bool:  # type: ignore[no-untyped-def]
    return any(True for _ in operation.iter_parameters()) or bool(
        operation.get_request_payload_content_types()
    )


def _fuzzer(operation, mode, base_url, headers, cases, statuses, label):  # type: ignore[no-untyped-def]
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
        cases[label] += 1
        statuses[response.status_code] += 1

    return fuzz
