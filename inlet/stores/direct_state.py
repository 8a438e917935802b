"""Direct uploads under way, in Redis: what each was declared as and where its parts go.

One hash per upload (its id is random and is the staging key's name), one pointer from
(link, sender, SHA-256) to it so that asking again by hash resumes the same upload, and
one sorted set of every upload by expiry, which beat walks to abort the ones never
completed and give their quota back. All of them expire with the upload, plus a day.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from redis import Redis
from redis.typing import EncodableT, FieldT

from inlet.direct import DirectUpload
from inlet.stores.keys import Keys

# Beyond its expiry an upload's record lives this long, for beat to release it.
GRACE = 24 * 3600


class DirectUploadState:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = Keys(prefix)

    def save(self, upload: DirectUpload) -> None:
        ttl = max(1, int(upload.expires_at) + GRACE - int(_now(self.redis)))
        record: dict[FieldT, EncodableT] = {k: json.dumps(v) for k, v in asdict(upload).items()}
        pointer = self.keys.direct_upload_by_hash(upload.link_id, upload.sender, upload.sha256)
        with self.redis.pipeline() as pipe:
            pipe.hset(self.keys.direct_upload(upload.upload_id), mapping=record)
            pipe.expire(self.keys.direct_upload(upload.upload_id), ttl)
            pipe.set(pointer, upload.upload_id, ex=ttl)
            pipe.zadd(self.keys.direct_uploads(), {upload.upload_id: upload.expires_at})
            pipe.execute()

    def get(self, upload_id: str) -> DirectUpload | None:
        raw = self.redis.hgetall(self.keys.direct_upload(upload_id))
        if not raw:
            return None
        values = {_text(k): json.loads(v) for k, v in raw.items()}
        return DirectUpload(**values)

    def find(self, link_id: str, sender: str, sha256: str) -> DirectUpload | None:
        """The upload of these bytes this sender has under way on this link, if any."""
        upload_id = self.redis.get(self.keys.direct_upload_by_hash(link_id, sender, sha256))
        return None if upload_id is None else self.get(_text(upload_id))

    def expired(self, now: float, limit: int = 1000) -> list[str]:
        """Ids of uploads whose time ran out, oldest first."""
        ids = self.redis.zrangebyscore(self.keys.direct_uploads(), 0, now, start=0, num=limit)
        return [_text(i) for i in ids if isinstance(i, bytes | str)]

    def claim(self, upload_id: str) -> bool:
        """Take the upload off the books; True for the one caller that did (completion
        and expiry race for it: only the winner commits or releases its quota)."""
        return bool(self.redis.zrem(self.keys.direct_uploads(), upload_id))

    def forget(self, upload: DirectUpload) -> None:
        pointer = self.keys.direct_upload_by_hash(upload.link_id, upload.sender, upload.sha256)
        with self.redis.pipeline() as pipe:
            pipe.delete(self.keys.direct_upload(upload.upload_id))
            pipe.delete(pointer)
            pipe.zrem(self.keys.direct_uploads(), upload.upload_id)
            pipe.execute()


def _now(redis: Redis) -> float:
    seconds, micros = redis.time()
    return float(seconds) + micros / 1e6


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
