"""Upload links: records and their quotas of images and bytes, kept in Redis.

A link is a Redis hash; its quotas are two counters next to it (images, bytes),
reserved and released together by one Lua script so that concurrent requests never
overshoot `max_images` or `max_bytes`. A link made before byte quotas has no
`max_bytes` and keeps having no byte limit. Records outlive their expiry by
`RETENTION` so admins can still look at an expired link. A sorted set lists them
newest first: its members start with a zero-padded creation sequence number (one
Redis counter, so the order holds across API processes and within a millisecond),
and paging is a lexicographic range; members whose record has expired are dropped
when a listing meets them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace

from redis import Redis
from redis.typing import EncodableT, FieldT

from inlet.links import RETENTION, Link, LinkNotFound, Shortfall
from inlet.stores.keys import Keys

_SEQ_DIGITS = 15

# Reserve one image and ARGV[3] bytes, both or neither. KEYS: the images and bytes
# counters; ARGV: the image and byte limits (0: none), the size, and when the bytes
# counter expires (a link older than byte quotas has none yet). Answers {1, 0} when
# taken, {0, 0} when no image is left, {-1, bytes left} when the file does not fit.
_RESERVE = """
local limit = tonumber(ARGV[1])
local byte_limit = tonumber(ARGV[2])
local size = tonumber(ARGV[3])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if limit > 0 and used >= limit then
  return {0, 0}
end
local used_bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
if byte_limit > 0 and used_bytes + size > byte_limit then
  return {-1, math.max(0, byte_limit - used_bytes)}
end
redis.call('INCR', KEYS[1])
redis.call('INCRBY', KEYS[2], size)
if redis.call('TTL', KEYS[2]) == -1 then
  redis.call('EXPIREAT', KEYS[2], ARGV[4])
end
return {1, 0}
"""


class LinkStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.keys = Keys(prefix)
        self._reserve = redis.register_script(_RESERVE)

    def _key(self, link_id: str) -> str:
        return self.keys.link(link_id)

    def _used_key(self, link_id: str) -> str:
        return self.keys.link_used(link_id)

    def _bytes_key(self, link_id: str) -> str:
        return self.keys.link_used_bytes(link_id)

    def _images_key(self, link_id: str) -> str:
        return self.keys.link_images(link_id)

    @property
    def _index_key(self) -> str:
        return self.keys.links()

    def create(
        self,
        expires_at: int,
        max_images: int | None,
        label: str | None = None,
        *,
        max_bytes: int | None = None,
    ) -> Link:
        link_id = secrets.token_hex(12)
        now = int(time.time())
        seq = int(self.redis.incr(self.keys.links_seq()))
        keep_until = expires_at + RETENTION
        record: dict[FieldT, EncodableT] = {
            "created_at": now,
            "expires_at": expires_at,
            "max_images": max_images or 0,
            "max_bytes": max_bytes or 0,
            "revoked": 0,
        }
        if label is not None:
            record["label"] = label
        with self.redis.pipeline() as pipe:
            pipe.hset(self._key(link_id), mapping=record)
            pipe.set(self._used_key(link_id), 0)
            pipe.set(self._bytes_key(link_id), 0)
            pipe.expireat(self._key(link_id), keep_until)
            pipe.expireat(self._used_key(link_id), keep_until)
            pipe.expireat(self._bytes_key(link_id), keep_until)
            pipe.zadd(self._index_key, {f"{seq:0{_SEQ_DIGITS}d}:{link_id}": 0})
            pipe.execute()
        return Link(link_id, now, expires_at, max_images, 0, False, label, max_bytes or None)

    def page(self, size: int, after: str | None = None) -> tuple[list[Link], str | None]:
        """Up to ``size`` links, newest first, after the position ``after`` (a value this
        method returned), and the position of the last one if more follow."""
        found: list[tuple[str, Link]] = []
        start = f"({after}" if after else "+"
        while len(found) <= size:
            found_members = self.redis.zrevrangebylex(self._index_key, start, "-", 0, size + 1)
            members = [str(member) for member in found_members]
            if not members:
                break
            for member in members:
                link = self._get_or_forget(member)
                if link is not None:
                    found.append((member, link))
            if len(members) <= size:
                break
            start = f"({members[-1]}"
        page = found[:size]
        more = len(found) > size
        return [link for _, link in page], (page[-1][0] if more else None)

    def _get_or_forget(self, member: str) -> Link | None:
        try:
            return self.get(member.partition(":")[2])
        except LinkNotFound:
            # The record outlived its retention; so should its place in the list.
            self.redis.zrem(self._index_key, member)
            return None

    @staticmethod
    def is_position(value: str) -> bool:
        """Whether ``value`` has the shape of a position :meth:`page` returns."""
        stamp, sep, link_id = value.partition(":")
        return (
            bool(sep)
            and len(stamp) == _SEQ_DIGITS
            and stamp.isdigit()
            and len(link_id) == 24
            and all(ch in "0123456789abcdef" for ch in link_id)
        )

    def record_image(self, link: Link, image_id: str) -> None:
        """Remember that ``image_id`` came through ``link``, for its statistics."""
        key = self._images_key(link.id)
        with self.redis.pipeline() as pipe:
            pipe.sadd(key, image_id)
            pipe.expireat(key, link.expires_at + RETENTION)
            pipe.execute()

    def image_ids(self, link_id: str) -> list[str]:
        return sorted(str(member) for member in self.redis.smembers(self._images_key(link_id)))

    def get(self, link_id: str) -> Link:
        with self.redis.pipeline() as pipe:
            pipe.hgetall(self._key(link_id))
            pipe.get(self._used_key(link_id))
            pipe.get(self._bytes_key(link_id))
            record, used, used_bytes = pipe.execute()
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
            label=record.get("label") or None,
            max_bytes=int(record.get("max_bytes") or 0) or None,
            used_bytes=int(used_bytes or 0),
        )

    def revoke(self, link_id: str) -> Link:
        link = self.get(link_id)
        self.redis.hset(self._key(link_id), "revoked", 1)
        return replace(link, revoked=True)

    def reserve(self, link: Link, size: int) -> Shortfall | None:
        """Take one image and ``size`` bytes of the link's quotas; what is short if not."""
        keys = [self._used_key(link.id), self._bytes_key(link.id)]
        limits = [link.max_images or 0, link.max_bytes or 0]
        code, left = self._reserve(keys=keys, args=[*limits, size, link.expires_at + RETENTION])
        if int(code) == 1:
            return None
        return Shortfall(int(left) if int(code) == -1 else None)

    def release(self, link: Link, size: int) -> None:
        """Give back a reservation whose file was not stored after all."""
        with self.redis.pipeline() as pipe:
            pipe.decr(self._used_key(link.id))
            pipe.decrby(self._bytes_key(link.id), size)
            pipe.execute()
