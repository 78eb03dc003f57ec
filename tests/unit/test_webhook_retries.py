"""When a failed webhook delivery is tried again: the schedule's delay varied by up to a fifth, never
sooner than the receiver's Retry-After asks, and never later than the schedule's longest delay."""

from __future__ import annotations

import random

from shared.config import WebhookSettings
from shared.webhooks.delivery import next_delay

SCHEDULE = tuple(float(d) for d in WebhookSettings.model_fields["retry_schedule"].default)  # the default


def test_each_retry_waits_its_delay_within_a_fifth_either_way() -> None:
    random.seed(7)
    for retry, delay in enumerate(SCHEDULE, start=1):
        seen = [next_delay(SCHEDULE, retry, None) for _ in range(200)]
        assert min(seen) >= delay * 0.8 and max(seen) <= delay * 1.2
        assert max(seen) - min(seen) > delay * 0.2, "jittered, so failed deliveries do not return in step"


def test_retry_after_postpones_a_retry_up_to_the_longest_delay() -> None:
    assert next_delay(SCHEDULE, 1, 120) >= 120
    assert next_delay(SCHEDULE, 1, 10 * 86_400) <= max(SCHEDULE)
    assert next_delay(SCHEDULE, 3, 1) >= 1800 * 0.8, "a short Retry-After does not bring a retry forward"


def test_the_default_schedule_spans_about_a_day() -> None:
    assert 24 * 3600 <= sum(SCHEDULE) <= 30 * 3600
