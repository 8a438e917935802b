"""Upload links: records and their image quota, kept in Redis.

A link is a Redis hash; its quota is a counter next to it, reserved and released
atomically by a Lua script so that concurrent requests never overshoot
`max_images`. Records outlive their expiry by `RETENTION` so admins can still
look at an expired link.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

RETENTION = 30 * 24 * 3600

# Reserve one image of the quota; ARGV[1] is the limit (0 means unlimited).
_RESERVE = """
local used = redis.call('INCR', KEYS[1])
local limit = tonumber(ARGV[1])
if limit > 0 and used > limit then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""


class LinkNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Link:
    id: str
    created_at: int
    expires_at: int
    max_images: int | None
    used: int
    revoked: bool

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "max_images": self.max_images,
            "used": self.used,
            "revoked": self.revoked,
            "expired": self.expired(),
        }


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class LinkStore:
    def __init__(self, redis: Any, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._reserve = redis.register_script(_RESERVE)

    def _key(self, link_id: str) -> str:
        return f"{self.prefix}:link:{link_id}"

    def _used_key(self, link_id: str) -> str:
        return f"{self.prefix}:link:{link_id}:used"

    def create(self, expires_at: int, max_images: int | None) -> Link:
        link_id = secrets.token_hex(12)
        now = int(time.time())
        keep_until = expires_at + RETENTION
        with self.redis.pipeline() as pipe:
            pipe.hset(
                self._key(link_id),
                mapping={
                    "created_at": now,
                    "expires_at": expires_at,
                    "max_images": max_images or 0,
                    "revoked": 0,
                },
            )
            pipe.set(self._used_key(link_id), 0)
            pipe.expireat(self._key(link_id), keep_until)
            pipe.expireat(self._used_key(link_id), keep_until)
            pipe.execute()
        return Link(link_id, now, expires_at, max_images, 0, False)

    def get(self, link_id: str) -> Link:
        with self.redis.pipeline() as pipe:
            pipe.hgetall(self._key(link_id))
            pipe.get(self._used_key(link_id))
            record, used = pipe.execute()
        if not record:
            raise LinkNotFound(link_id)
        limit = int(record["max_images"])
        return Link(
            id=link_id,
            created_at=int(record["created_at"]),
            expires_at=int(record["expires_at"]),
            max_images=limit or None,
            used=int(used or 0),
            revoked=record["revoked"] == "1",
        )

    def revoke(self, link_id: str) -> Link:
        link = self.get(link_id)
        self.redis.hset(self._key(link_id), "revoked", 1)
        return Link(link.id, link.created_at, link.expires_at, link.max_images, link.used, True)

    def reserve(self, link: Link) -> bool:
        """Take one image of the link's quota; False when it is used up."""
        return bool(self._reserve(keys=[self._used_key(link.id)], args=[link.max_images or 0]))

    def release(self, link: Link) -> None:
        """Give back a reservation whose file was not stored after all."""
        self.redis.decr(self._used_key(link.id))
