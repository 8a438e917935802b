"""What each sender has sent through a link: a bounded Redis list per (link, sender).

Written by ingest when an upload is committed, with the upload event's own time, so
a reload right after an upload shows it without waiting for the workers; kept as long
as the link record (links.RETENTION).
An upload without a sender id is recorded nowhere here (admins still see it in the
uploads index), and a caller without one is shown nothing: a link is shared, so
only the id a sender's client keeps tells their uploads from everyone else's.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from redis import Redis

from inlet.history import UploadEntry, upload_state
from inlet.links import RETENTION, Link
from inlet.senders import Sender
from inlet.stores.keys import Keys
from inlet.verification import States

# Enough for any page to show; older entries fall off the end.
MAX_ENTRIES = 1000


class UploadHistory:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, link_id: str, sender: Sender) -> str:
        return Keys(self.prefix).sender_uploads(link_id, sender.digest)

    def record(self, link: Link, sender: Sender | None, entries: list[UploadEntry]) -> None:
        """Append the entries, in upload order."""
        if not entries or sender is None:
            return
        rows = [json.dumps(asdict(entry)) for entry in entries]
        key = self._key(link.id, sender)
        with self.redis.pipeline() as pipe:
            pipe.rpush(key, *rows)
            pipe.ltrim(key, -MAX_ENTRIES, -1)
            pipe.expireat(key, link.expires_at + RETENTION)
            pipe.execute()

    def entries(self, link_id: str, sender: Sender | None) -> list[UploadEntry]:
        if sender is None:
            return []
        rows = self.redis.lrange(self._key(link_id, sender), 0, -1)
        return [UploadEntry(**json.loads(row)) for row in rows]

    def as_dicts(self, link_id: str, sender: Sender | None, states: States) -> list[dict[str, Any]]:
        entries = self.entries(link_id, sender)
        return [{**asdict(e), **upload_state(e, states)} for e in entries]
