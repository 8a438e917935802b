"""A lock held by one run of a periodic job across every process and machine.

Reconcile lists the whole bucket; beat sending it again (a slow run, a second beat, an
admin's `python -m api reindex` at the same time) must not start a second listing
beside the first. The lock is a Redis key set only if absent, with an expiry: a holder
that dies (a killed task) frees it when the expiry passes. The holder renews the
expiry as it makes progress and deletes the key when it is done, each only while the
key still holds its own token, so a run never frees a lock another run took after its
own expired.
"""

from __future__ import annotations

import secrets

from redis import Redis

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RunLock:
    def __init__(self, redis: Redis, key: str, ttl: int) -> None:
        self.redis = redis
        self.key = key
        self.ttl = ttl
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        """True when this run now holds the lock; False when another run does."""
        return bool(self.redis.set(self.key, self.token, nx=True, ex=self.ttl))

    def renew(self) -> bool:
        """Another ``ttl`` seconds from now; False when the lock is no longer ours."""
        return bool(self.redis.eval(_RENEW, 1, self.key, self.token, self.ttl))

    def release(self) -> None:
        self.redis.eval(_RELEASE, 1, self.key, self.token)
