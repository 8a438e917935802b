"""Tasks that failed for good are recorded where an admin can see them.

A capped Redis list, newest first, and a counter of every failure ever recorded
(the list forgets the oldest); admins read both through the API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from redis import Redis

MAX_ENTRIES = 1000


def key(prefix: str) -> str:
    return f"{prefix}:deadletter"


def total_key(prefix: str) -> str:
    return f"{prefix}:deadletter:total"


def record(
    redis: Redis, prefix: str, *, task: str, task_id: str, args: Any, kwargs: Any, error: str
) -> None:
    entry = {
        "task": task,
        "task_id": task_id,
        "args": args,
        "kwargs": kwargs,
        "error": error[:2000],
        "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with redis.pipeline() as pipe:
        pipe.lpush(key(prefix), json.dumps(entry, default=str))
        pipe.ltrim(key(prefix), 0, MAX_ENTRIES - 1)
        pipe.incr(total_key(prefix))
        pipe.execute()


def entries(redis: Redis, prefix: str, limit: int = 100) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in redis.lrange(key(prefix), 0, limit - 1)]


def total(redis: Redis, prefix: str) -> int:
    """Failures recorded since the start, including those the list no longer holds."""
    return int(redis.get(total_key(prefix)) or 0)
