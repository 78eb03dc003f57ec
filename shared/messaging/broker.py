"""What the broker holds: queue depths, read straight from Redis (Celery keeps each queue as a list)."""

from __future__ import annotations

import redis

from shared.jobs.states import QUEUES


def queue_depths(redis_url: str, timeout: float = 2.0) -> dict[str, int | None]:
    """Messages waiting per queue; None for every queue when Redis does not answer."""
    try:
        with redis.Redis.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        ) as client:
            pipe = client.pipeline()
            for queue in QUEUES:
                pipe.llen(queue)
            return dict(zip(QUEUES, pipe.execute(), strict=True))
    except redis.RedisError:
        return dict.fromkeys(QUEUES)
