"""Where each image's public rendition is: its bytes beside the original, its hash in
Redis.

The worker that verifies an image makes the rendition once (:mod:`tasks.renditions`)
and records its SHA-256 here, so the API answers ``ETag`` and ``If-None-Match`` without
reading it. An image with nothing to remove has no second object: its record is its
own id. An image whose location could not be removed is recorded as withheld. No
record means "not made yet": the original is never served in its place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from redis import Redis

from inlet.blobs import key_for
from inlet.stores.blobstore import BlobStore, S3BlobStore
from inlet.stores.keys import Keys

PREFIX = "public/"
WITHHELD = "withheld"
# An anonymous GET of an image without a record asks a worker for one at most this often.
WANTED_TTL = 60


def public_key(image_id: str) -> str:
    """The rendition's object key: outside the originals' keys, so listing them and
    ``id_from_key`` never mistake it for an image."""
    return PREFIX + key_for(image_id)


class S3RenditionStore(S3BlobStore):
    """The renditions, in the originals' bucket under ``public/``."""

    key = staticmethod(public_key)


def public_store(blobs: BlobStore) -> BlobStore:
    if not isinstance(blobs, S3BlobStore):
        raise TypeError(f"renditions live beside an S3 store, not {type(blobs).__name__}")
    return S3RenditionStore(blobs.client, blobs.bucket)


class Renditions:
    """The records (a Redis HASH: id -> the rendition's SHA-256, or ``withheld``) and
    the store of the renditions that differ from their original."""

    def __init__(self, redis: Redis, prefix: str, store: BlobStore) -> None:
        self.redis = redis
        self.prefix = prefix
        self.store = store
        self.key = Keys(prefix).renditions()

    def public_hash(self, image_id: str) -> str | None:
        """The SHA-256 of what the public is served, :data:`WITHHELD`, or None."""
        value = self.redis.hget(self.key, image_id)
        return None if value is None else str(value)

    def missing(self, image_ids: Sequence[str]) -> list[str]:
        """The ids among ``image_ids`` that have no record."""
        if not image_ids:
            return []
        found = self.redis.hmget(self.key, list(image_ids))
        return [image_id for image_id, value in zip(image_ids, found, strict=True) if not value]

    def record(self, image_id: str, public_hash: str) -> None:
        self.redis.hset(self.key, image_id, public_hash)

    def wanted(self, image_id: str) -> bool:
        """True for the first caller in :data:`WANTED_TTL` seconds to ask for a rendition
        (that caller queues the work); a crowd of readers queues it once."""
        key = Keys(self.prefix).rendition_wanted(image_id)
        return bool(self.redis.set(key, 1, nx=True, ex=WANTED_TTL))

    def delete(self, image_id: str) -> None:
        """Record first, then bytes: from the first step on, nothing is served."""
        self.redis.hdel(self.key, image_id)
        with contextlib.suppress(FileNotFoundError):
            self.store.delete(image_id)
