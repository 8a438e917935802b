"""The dedup index: a Redis SET of the SHA-256 of every stored image.

The SET is an index of what the blob store holds, never the truth: callers check
the store before trusting a "seen" answer. An "unseen" answer is trusted only while
the SET is known to be complete (:meth:`HashIndex.known`).
"""

from __future__ import annotations

from collections.abc import Iterable

from redis import Redis

from inlet.stores.keys import Keys

# A member no image id can be (ids are 64 hex digits). The reconcile job adds it after
# adding every stored image: from then on each store write is followed by its SADD,
# so an id outside the SET is not stored. It lives and dies with the SET itself: a
# Redis that lost the SET (or was never reconciled) has no marker, and a miss there
# must ask the store.
COMPLETE = "complete"


class HashIndex:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = Keys(prefix).hashes()

    def add(self, image_id: str) -> bool:
        """Record the hash; True for exactly one of any number of concurrent callers."""
        return bool(self.redis.sadd(self.key, image_id))

    def __contains__(self, image_id: str) -> bool:
        return bool(self.redis.sismember(self.key, image_id))

    def discard(self, image_id: str) -> None:
        self.redis.srem(self.key, image_id)

    def known(self, image_id: str) -> bool | None:
        """True: indexed. False: not stored (the SET is complete). None: the SET may
        be missing it; ask the store. One round trip either way."""
        indexed, complete = self.redis.smismember(self.key, [image_id, COMPLETE])
        if indexed:
            return True
        return False if complete else None

    def add_many(self, image_ids: Iterable[str]) -> None:
        ids = list(image_ids)
        if ids:
            self.redis.sadd(self.key, *ids)

    def mark_complete(self) -> None:
        self.redis.sadd(self.key, COMPLETE)
