"""Per-user quotas and rate limits, counted in Redis so every API replica enforces the same numbers.

Requests and uploads per minute use a moving window (no burst at a window edge); bytes per day a
sliding window counter charged with each upload's size. Each check is one atomic round trip that counts
the cost only when it fits (a refusal asks once more, for when to come back), so replicas racing cannot
overshoot and a refused upload uses up nothing. When Redis cannot be reached the limits are not
enforced (and that is logged): a limiter outage must not take the API down with it.
"""

from __future__ import annotations

import logging
import math
import time
from functools import cached_property

from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

from shared.config import QuotaSettings
from shared.errors import RateLimited

log = logging.getLogger(__name__)


class Quotas:
    def __init__(self, settings: QuotaSettings, redis_url: str | None) -> None:
        self.settings = settings
        self._redis_url = redis_url
        self._last_outage_log = 0.0

    @cached_property
    def _storage(self) -> RedisStorage:
        assert self._redis_url is not None, "built only by _take, which counts nothing without Redis"
        return RedisStorage(
            self._redis_url, socket_timeout=1, socket_connect_timeout=1, key_prefix="workopti-quota"
        )

    @cached_property
    def _moving(self) -> MovingWindowRateLimiter:
        return MovingWindowRateLimiter(self._storage)

    @cached_property
    def _sliding(self) -> SlidingWindowCounterRateLimiter:
        return SlidingWindowCounterRateLimiter(self._storage)

    def check_request(self, user: str) -> None:
        self._take("moving", RateLimitItemPerMinute(self.settings.requests_per_minute), "requests", user, 1,
                   "You are sending requests faster than {limit} a minute.", "too_many_requests")  # fmt: skip

    def check_upload(self, user: str) -> None:
        self._take("moving", RateLimitItemPerMinute(self.settings.uploads_per_minute), "uploads", user, 1,
                   "You are uploading faster than {limit} files a minute.", "too_many_uploads")  # fmt: skip

    def check_ask(self, user: str) -> None:
        self._take("moving", RateLimitItemPerMinute(self.settings.asks_per_minute), "asks", user, 1,
                   "You are asking faster than {limit} questions a minute.", "too_many_questions")  # fmt: skip

    def charge_bytes(self, user: str, size: int) -> None:
        self._take("sliding", RateLimitItemPerDay(self.settings.upload_bytes_per_day), "bytes", user, size,
                   "This upload would pass your {limit:,} bytes a day.", "upload_quota_exceeded")  # fmt: skip

    def _take(
        self,
        window: str,
        item: RateLimitItem,
        name: str,
        user: str,
        cost: int,
        message: str,
        code: str,
    ) -> None:
        if item.amount == 0 or self._redis_url is None:  # turned off, or nowhere to count
            return
        try:
            limiter: RateLimiter = self._moving if window == "moving" else self._sliding
            # Both strategies' hit() is one script that counts the cost only if it fits.
            if cost > item.amount or not limiter.hit(item, name, user, cost=cost):
                reset = limiter.get_window_stats(item, name, user).reset_time
                retry_after = max(1, math.ceil(reset - time.time()))
                raise RateLimited(message.format(limit=item.amount), retry_after=retry_after, code=code)
        except RateLimited:
            raise
        except Exception as exc:  # Redis down or slow: let the request through
            now = time.monotonic()
            if now - self._last_outage_log > 60:
                self._last_outage_log = now
                log.warning("quotas are not enforced: %s: %s", type(exc).__name__, exc)
