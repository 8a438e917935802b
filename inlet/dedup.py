"""The dedup index: a Redis SET of the SHA-256 of every stored image.

The SET is an index of what the blob store holds, never the truth: callers check
the store before trusting a "seen" answer.
"""

from __future__ import annotations

from typing import Protocol

from redis import Redis


class Hashes(Protocol):
    """The dedup index as ingest and delete use it."""

    def add(self, image_id: str) -> bool: ...

    def __contains__(self, image_id: str) -> bool: ...

    def discard(self, image_id: str) -> None: ...


class HashIndex:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = f"{prefix}:hashes"

    def add(self, image_id: str) -> bool:
        """Record the hash; True for exactly one of any number of concurrent callers."""
        return bool(self.redis.sadd(self.key, image_id))

    def __contains__(self, image_id: str) -> bool:
        return bool(self.redis.sismember(self.key, image_id))

    def discard(self, image_id: str) -> None:
        self.redis.srem(self.key, image_id)
