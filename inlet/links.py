"""Upload links: records and their image quota, kept in Redis.

A link is a Redis hash; its quota is a counter next to it, reserved and released
atomically by a Lua script so that concurrent requests never overshoot
`max_images`. Records outlive their expiry by `RETENTION` so admins can still
look at an expired link. A sorted set lists them newest first: its members start
with a zero-padded creation sequence number (one Redis counter, so the order holds
across API processes and within a millisecond), and paging is a lexicographic
range; members whose record has expired are dropped when a listing meets them.
"""

from __future__ import annotations

import secrets
import time
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from redis import Redis
from redis.typing import EncodableT, FieldT

RETENTION = 30 * 24 * 3600
MAX_LABEL = 100
# Bidirectional overrides and isolates can make a label read as something else.
_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
_SEQ_DIGITS = 15

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


class InvalidLabel(ValueError):
    pass


def clean_label(raw: object) -> str | None:
    """A link's label trimmed, or None for no label; :class:`InvalidLabel` says why not."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidLabel("must be a string")
    label = unicodedata.normalize("NFC", raw.strip())
    if not label:
        return None
    if len(label) > MAX_LABEL:
        raise InvalidLabel(f"at most {MAX_LABEL} characters")
    if any(unicodedata.category(ch) == "Cc" or ord(ch) in _BIDI for ch in label):
        raise InvalidLabel("must not contain control characters")
    return label


@dataclass(frozen=True)
class Link:
    id: str
    created_at: int
    expires_at: int
    max_images: int | None
    used: int
    revoked: bool
    label: str | None = None

    def expired(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.expires_at

    def state(self, now: float | None = None) -> str:
        """active, expired, revoked or used_up; revoked and expired win over used_up."""
        if self.revoked:
            return "revoked"
        if self.expired(now):
            return "expired"
        if self.max_images is not None and self.used >= self.max_images:
            return "used_up"
        return "active"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "max_images": self.max_images,
            "used": self.used,
            "revoked": self.revoked,
            "expired": self.expired(),
            "state": self.state(),
            "label": self.label,
        }


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class LinkStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._reserve = redis.register_script(_RESERVE)

    def _key(self, link_id: str) -> str:
        return f"{self.prefix}:link:{link_id}"

    def _used_key(self, link_id: str) -> str:
        return f"{self.prefix}:link:{link_id}:used"

    def _images_key(self, link_id: str) -> str:
        return f"{self.prefix}:link:{link_id}:images"

    @property
    def _index_key(self) -> str:
        return f"{self.prefix}:links"

    def create(self, expires_at: int, max_images: int | None, label: str | None = None) -> Link:
        link_id = secrets.token_hex(12)
        now = int(time.time())
        seq = int(self.redis.incr(f"{self._index_key}:seq"))
        keep_until = expires_at + RETENTION
        record: dict[FieldT, EncodableT] = {
            "created_at": now,
            "expires_at": expires_at,
            "max_images": max_images or 0,
            "revoked": 0,
        }
        if label is not None:
            record["label"] = label
        with self.redis.pipeline() as pipe:
            pipe.hset(self._key(link_id), mapping=record)
            pipe.set(self._used_key(link_id), 0)
            pipe.expireat(self._key(link_id), keep_until)
            pipe.expireat(self._used_key(link_id), keep_until)
            pipe.zadd(self._index_key, {f"{seq:0{_SEQ_DIGITS}d}:{link_id}": 0})
            pipe.execute()
        return Link(link_id, now, expires_at, max_images, 0, False, label)

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
            label=record.get("label") or None,
        )

    def revoke(self, link_id: str) -> Link:
        link = self.get(link_id)
        self.redis.hset(self._key(link_id), "revoked", 1)
        return replace(link, revoked=True)

    def reserve(self, link: Link) -> bool:
        """Take one image of the link's quota; False when it is used up."""
        return bool(self._reserve(keys=[self._used_key(link.id)], args=[link.max_images or 0]))

    def release(self, link: Link) -> None:
        """Give back a reservation whose file was not stored after all."""
        self.redis.decr(self._used_key(link.id))
