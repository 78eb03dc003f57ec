"""One webhook request, sent the Standard Webhooks way, to an address that is allowed to receive it.

Signing: `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`, one per active secret, so a receiver keeps verifying while a secret rotates), made
by the `standardwebhooks` library so any implementation of the spec can verify them.

Receivers are not a way into our network (shared/webhooks/addresses.py): at send time the host is
resolved and every address checked. The request then goes to the address that was checked (with the host name in `Host` and in TLS's SNI), so a name that
resolves differently a moment later cannot redirect it; redirects are not followed; a proxy from the
environment is not used; at most RESPONSE_CAP bytes of the answer are read.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlunsplit

import httpx
from standardwebhooks import Webhook

from shared.errors import Invalid
from shared.providers.errors import retry_after_seconds
from shared.webhooks.addresses import AddressRefused, check_url, resolve

RESPONSE_CAP = 64 * 1024
TIMEOUT_SECONDS = 10.0
USER_AGENT = "WorkOpti-Webhooks/1"


@dataclass(frozen=True)
class Sent:
    status: int | None  # None: no answer (refused address, connection failure, timeout)
    duration_ms: int
    error: str | None = None
    retry_after: float | None = None
    body: str = ""  # the start of the answer, for the delivery log

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def signature(secrets: Sequence[str], msg_id: str, timestamp: dt.datetime, body: str) -> str:
    """The webhook-signature header: one `v1,...` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets)


def send(
    url: str,
    secrets: Sequence[str],
    msg_id: str,
    payload: dict[str, Any],
    *,
    allow_private: bool,
    timeout: float = TIMEOUT_SECONDS,
) -> Sent:
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:  # the URL was checked when registered, but the rules may be stricter where it is sent from
        parts = check_url(url, allow_private=allow_private)
    except Invalid as exc:
        return Sent(None, took(), f"address refused: {exc}")
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port, allow_private=allow_private)
    except AddressRefused as exc:
        return Sent(None, took(), f"address refused: {exc}")
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    now = dt.datetime.now(dt.UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "host": parts.netloc,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(secrets, msg_id, now, body),
    }
    failed = Sent(None, took(), f"{host} has no address that accepts connections")
    for address in addresses:  # the next address only when this one refused the connection
        pinned = ("[" + address + "]" if ":" in address else address) + f":{port}"
        target = urlunsplit((parts.scheme, pinned, parts.path or "/", parts.query, ""))
        try:
            return _post(target, body, headers, host if parts.scheme == "https" else None, timeout, took)
        except httpx.ConnectError as exc:
            failed = Sent(None, took(), f"ConnectError: {exc}"[:500])
    return failed


def _post(
    target: str, body: str, headers: dict[str, str], sni: str | None, timeout: float, took: Callable[[], int]
) -> Sent:
    extensions = {"sni_hostname": sni} if sni else {}
    try:
        with (
            httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False) as client,
            client.stream(
                "POST", target, content=body.encode(), headers=headers, extensions=extensions
            ) as response,
        ):
            received = bytearray()
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) >= RESPONSE_CAP:
                    break  # what a receiver says beyond this is not read
            text = bytes(received[:RESPONSE_CAP]).decode(errors="replace")
            error = None
            if response.is_redirect:
                error = f"redirect to {response.headers.get('location', '?')} not followed"
            elif not response.is_success:
                error = f"HTTP {response.status_code}"
            return Sent(
                response.status_code, took(), error, retry_after_seconds(response.headers), text[:1000]
            )
    except httpx.ConnectError:
        raise
    except httpx.TimeoutException:
        return Sent(None, took(), f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Sent(None, took(), f"{type(exc).__name__}: {exc}"[:500])
