"""What the broker holds: queue depths, read straight from Redis (Celery keeps each queue as a list)."""

from __future__ import annotations

from collections.abc import Sequence

import redis


def queue_depths(redis_url: str, queues: Sequence[str], timeout: float = 2.0) -> dict[str, int | None]:
    """Messages waiting in each of `queues`; None for every queue when Redis does not answer."""
    try:
        with redis.Redis.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        ) as client:
            pipe = client.pipeline()
            for queue in queues:
                pipe.llen(queue)
            return dict(zip(queues, pipe.execute(), strict=True))
    except redis.RedisError:
        return dict.fromkeys(queues)
