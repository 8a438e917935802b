"""Accepted uploads, recorded durably before they are answered.

An upload event travels to the statistics through the broker and a worker; either
may be down when the upload is accepted. So the event is first written here, in
Redis (the same store as the link's quota), and only removed when a worker has
indexed it. Whatever the broker lost is sent again by the replay job, until the
search index holds the event id; indexing is idempotent, so a replay of an event
that did arrive changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from redis import Redis

from inlet.dispatch import UploadEvent
from inlet.stores.keys import Keys

# An event younger than this is probably still on its way: replay only older ones.
REPLAY_AFTER = 60
REPLAY_BATCH = 500


class Outbox:
    def __init__(self, redis: Redis, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.events_key = Keys(prefix).outbox()
        self.times_key = Keys(prefix).outbox_times()
        self.clock = clock

    def add(self, event: UploadEvent) -> None:
        with self.redis.pipeline() as pipe:
            pipe.hset(self.events_key, event.event_id, json.dumps(event.as_dict()))
            pipe.zadd(self.times_key, {event.event_id: self.clock()})
            pipe.execute()

    def done(self, event_id: str) -> None:
        with self.redis.pipeline() as pipe:
            pipe.hdel(self.events_key, event_id)
            pipe.zrem(self.times_key, event_id)
            pipe.execute()

    def due(self, older_than: float = REPLAY_AFTER, limit: int = REPLAY_BATCH) -> list[UploadEvent]:
        """Events written more than ``older_than`` seconds ago and not yet indexed."""
        found = self.redis.zrangebyscore(
            self.times_key, "-inf", self.clock() - older_than, start=0, num=limit
        )
        ids = [str(item) for item in found]
        if not ids:
            return []
        raws = self.redis.hmget(self.events_key, ids)
        return [UploadEvent(**json.loads(raw)) for raw in raws if raw is not None]

    def __len__(self) -> int:
        return int(self.redis.zcard(self.times_key))
