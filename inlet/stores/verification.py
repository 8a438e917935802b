"""Where each stored image stands: pending until a worker has decoded it, then ready
or rejected.

The request only checks what is cheap and decisive (size, magic bytes, the header);
decoding every pixel of untrusted input happens in the workers. A rejected image's
bytes are deleted and its hash leaves the dedup SET, so the marker kept here is what
refuses the same bytes at once if they come again, for ``REJECTED_TTL``.
"""

from __future__ import annotations

import json

from redis import Redis

from inlet.outcomes import Refusal, State
from inlet.stores.keys import Keys
from inlet.verification import Rejection

REJECTED_TTL = 30 * 24 * 3600
# Deliveries of one image's verification are counted for this long.
ATTEMPTS_TTL = 24 * 3600


class ImageStates:
    """Ready images in a SET; rejections as expiring keys with their reason."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self.ready_key = self.keys.ready()

    def _rejected_key(self, image_id: str) -> str:
        return self.keys.rejected(image_id)

    def _attempts_key(self, image_id: str) -> str:
        return self.keys.verify_attempts(image_id)

    def state(self, image_id: str) -> State:
        with self.redis.pipeline() as pipe:
            pipe.sismember(self.ready_key, image_id)
            pipe.exists(self._rejected_key(image_id))
            ready, rejected = pipe.execute()
        if rejected:
            return State.REJECTED
        return State.READY if ready else State.PENDING

    def rejection(self, image_id: str) -> Rejection | None:
        raw = self.redis.get(self._rejected_key(image_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return Rejection(Refusal(data["reason"]), str(data["detail"]))

    def forget_mismatch(self, image_id: str) -> None:
        rejection = self.rejection(image_id)
        if rejection is not None and rejection.reason is Refusal.HASH_MISMATCH:
            self.redis.delete(self._rejected_key(image_id))

    def mark_ready(self, image_id: str) -> None:
        with self.redis.pipeline() as pipe:
            pipe.sadd(self.ready_key, image_id)
            pipe.delete(self._attempts_key(image_id))
            pipe.execute()

    def mark_rejected(self, image_id: str, rejection: Rejection) -> None:
        value = json.dumps({"reason": rejection.reason.value, "detail": rejection.detail[:500]})
        with self.redis.pipeline() as pipe:
            pipe.set(self._rejected_key(image_id), value, ex=REJECTED_TTL)
            pipe.srem(self.ready_key, image_id)
            pipe.delete(self._attempts_key(image_id))
            pipe.execute()

    def attempt_survived(self, image_id: str) -> None:
        """Take back an attempt that ended with an exception rather than a dead process."""
        self.redis.decr(self._attempts_key(image_id))

    def attempt(self, image_id: str) -> int:
        """Count one more delivery of this image's verification; the count so far."""
        key = self._attempts_key(image_id)
        with self.redis.pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, ATTEMPTS_TTL)
            count, _ = pipe.execute()
        return int(count)
