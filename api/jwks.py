"""The identity provider's signing keys, fetched from its JWKS URL and kept for a while.

One `JwksClient` per app, shared by every request thread. A known key id is answered from memory
without a lock; an unknown one refreshes the set at most once per `min_refresh_seconds`, so tokens with
made-up key ids cannot make the API hammer the provider; after a failed fetch the provider is not asked
again for as long. A fetch that fails or times out leaves the cached keys in use until they expire.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from shared.config import AuthSettings
from shared.errors import Unavailable

log = logging.getLogger("workopti.api.jwks")

FETCH_TIMEOUT_SECONDS = 5.0
# A real key set is a few kilobytes; anything far larger is not one.
MAX_JWKS_BYTES = 512 * 1024
ALGORITHM = "RS256"


class JwksUnavailable(Unavailable):
    code = "auth_unavailable"
    title = "Sign-in is unavailable"


class JwksClient:
    """The signing keys at `url`, by key id."""

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float,
        min_refresh_seconds: float,
        timeout_seconds: float = FETCH_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self.timeout_seconds = timeout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # Replaced whole, never mutated, so readers outside the lock see a consistent pair.
        self._snapshot: tuple[float | None, Mapping[str, jwt.PyJWK]] = (None, {})
        self._attempted_at: float | None = None
        self._refreshed_at: float | None = None
        self._last_failed = False

    @classmethod
    def from_settings(cls, auth: AuthSettings, **options: Any) -> JwksClient:
        url = auth.jwks_url()
        if not url:
            raise RuntimeError("AUTH_MODE=clerk needs CLERK_FRONTEND_API or CLERK_JWKS_URL")
        return cls(
            url,
            cache_seconds=auth.jwks_cache_seconds,
            min_refresh_seconds=auth.jwks_min_refresh_seconds,
            **options,
        )

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The RS256 key with this id, or None when the provider does not publish it.

        Raises `JwksUnavailable` when the keys cannot be had: none fetched yet or the cached ones
        expired and the provider does not answer, or an unknown id meets a provider that just failed.
        """
        fetched_at, keys = self._snapshot
        if fetched_at is not None and self._clock() - fetched_at < self.cache_seconds and kid in keys:
            return keys[kid]
        with self._lock:
            now = self._clock()
            fetched_at, keys = self._snapshot
            fresh = fetched_at is not None and now - fetched_at < self.cache_seconds
            if fresh and kid in keys:
                return keys[kid]
            if self._last_failed and self._recent(self._attempted_at, now):
                raise _unavailable()
            if fresh:
                # Only unknown ids are rate limited; loading expired keys is routine.
                if self._recent(self._refreshed_at, now):
                    return None
                self._refreshed_at = now
            self._refresh(now)
            return self._snapshot[1].get(kid)

    def _recent(self, moment: float | None, now: float) -> bool:
        return moment is not None and now - moment < self.min_refresh_seconds

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            keys = _parse(self._fetch())
        except (OSError, ValueError, http.client.HTTPException) as exc:
            self._last_failed = True
            log.warning("signing keys could not be fetched from %s: %s", self.url, _describe(exc))
            raise _unavailable() from None
        self._last_failed = False
        self._snapshot = (now, keys)
        log.info("signing keys fetched from %s: %d usable", self.url, len(keys))

    def _fetch(self) -> bytes:
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
            body = response.read(MAX_JWKS_BYTES + 1)
        if len(body) > MAX_JWKS_BYTES:
            raise ValueError(f"the key set is larger than {MAX_JWKS_BYTES} bytes")
        return body


def _parse(body: bytes) -> dict[str, jwt.PyJWK]:
    document = json.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the response is not a JSON Web Key Set")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid or entry.get("alg", ALGORITHM) != ALGORITHM:
            continue
        try:
            keys[kid] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            log.warning("signing key %r in the key set is malformed; skipped", kid)
    return keys


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _unavailable() -> JwksUnavailable:
    return JwksUnavailable("The sign-in provider's keys cannot be fetched right now; try again shortly.")
