"""The web app's policy admits Clerk only when Clerk signs people in, and only from the host its key names."""

from __future__ import annotations

import base64

import pytest

from api.csp import clerk_frontend_api, web_app_policy

STRICT = (
    "default-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'; object-src 'none'"
)


def key(host: str, kind: str = "test") -> str:
    return f"pk_{kind}_" + base64.b64encode(f"{host}$".encode()).decode().rstrip("=")


def directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("kind", ["test", "live"])
def test_the_frontend_api_host_comes_from_the_key(kind: str) -> None:
    assert clerk_frontend_api(key("clerk.workopti.example", kind)) == "clerk.workopti.example"
    assert (
        clerk_frontend_api(key("happy-otter-12.clerk.accounts.dev", kind))
        == "happy-otter-12.clerk.accounts.dev"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "sk_test_" + base64.b64encode(b"clerk.example.com$").decode(),  # a secret key, not a publishable one
        "pk_prod_" + base64.b64encode(b"clerk.example.com$").decode(),
        "pk_test_",
        "pk_test_!!!notbase64",
        "pk_test_" + base64.b64encode(b"clerk.example.com").decode(),  # no terminating $
        "pk_test_" + base64.b64encode(b"evil.com 'unsafe-eval'$").decode(),  # would smuggle a source in
        "pk_test_" + base64.b64encode(b"localhost$").decode(),
    ],
)
def test_a_malformed_key_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="VITE_CLERK_PUBLISHABLE_KEY"):
        clerk_frontend_api(bad)


def test_without_clerk_the_policy_is_left_as_configured() -> None:
    assert web_app_policy(STRICT, None) == STRICT
    assert web_app_policy(STRICT, "") == STRICT


def test_with_clerk_exactly_its_sources_are_added() -> None:
    widened = directives(web_app_policy(STRICT, key("clerk.workopti.example")))
    fapi = "https://clerk.workopti.example"
    assert widened["script-src"] == ["'self'", fapi, "https://challenges.cloudflare.com"]
    # connect-src and frame-src were left to default-src: they keep 'self' and gain only Clerk's hosts.
    assert widened["connect-src"] == ["'self'", fapi]
    assert widened["frame-src"] == ["'self'", "https://challenges.cloudflare.com"]
    assert widened["img-src"] == ["'self'", "data:", "https://img.clerk.com"]
    assert widened["worker-src"] == ["'self'", "blob:"]
    assert widened["style-src"] == ["'self'", "'unsafe-inline'"]
    assert widened["frame-ancestors"] == ["'none'"] and widened["object-src"] == ["'none'"]


def test_a_none_directive_that_clerk_needs_is_replaced_not_contradicted() -> None:
    widened = directives(web_app_policy("default-src 'self'; frame-src 'none'", key("clerk.example.com")))
    assert widened["frame-src"] == ["https://challenges.cloudflare.com"]
