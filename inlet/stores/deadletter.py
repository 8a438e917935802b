"""Tasks that failed for good are recorded where an admin can see them.

A capped Redis list, newest first, and a counter of every failure ever recorded
(the list forgets the oldest); admins read both through the API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypedDict

from redis import Redis

from inlet.stores.keys import Keys

MAX_ENTRIES = 1000


class DeadLetter(TypedDict):
    task: str
    task_id: str
    args: Any
    kwargs: Any
    error: str
    failed_at: str


class DeadLetters:
    """The failures list and its counter under ``prefix``."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = Keys(prefix).deadletter()
        self.total_key = Keys(prefix).deadletter_total()

    def record(self, *, task: str, task_id: str, args: Any, kwargs: Any, error: str) -> None:
        entry: DeadLetter = {
            "task": task,
            "task_id": task_id,
            "args": args,
            "kwargs": kwargs,
            "error": error[:2000],
            "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with self.redis.pipeline() as pipe:
            pipe.lpush(self.key, json.dumps(entry, default=str))
            pipe.ltrim(self.key, 0, MAX_ENTRIES - 1)
            pipe.incr(self.total_key)
            pipe.execute()

    def entries(self, limit: int = 100) -> list[DeadLetter]:
        """The newest ``limit`` failures, newest first."""
        return [json.loads(raw) for raw in self.redis.lrange(self.key, 0, limit - 1)]

    def total(self) -> int:
        """Failures recorded since the start, including those the list no longer holds."""
        return int(self.redis.get(self.total_key) or 0)
