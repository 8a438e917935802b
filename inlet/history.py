"""What each link has received, for its holder: a bounded Redis list per link.

Written when an upload is committed, so a reload right after an upload shows it
without waiting for the workers; kept as long as the link record (links.RETENTION).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from redis import Redis

from inlet.links import RETENTION, Link
from inlet.outcomes import State
from inlet.verification import States

# Enough for any page to show; older entries fall off the end.
MAX_ENTRIES = 1000


@dataclass(frozen=True)
class UploadEntry:
    id: str
    filename: str
    duplicate: bool
    uploaded_at: str


def upload_state(entry: UploadEntry, states: States) -> dict[str, str]:
    """The state a link holder sees for an upload: pending until a worker has decoded
    the image, then ready or rejected (with the reason)."""
    rejection = states.rejection(entry.id)
    if rejection is not None:
        return {"state": State.REJECTED.value, "reason": rejection.detail}
    return {"state": states.state(entry.id).value}


class UploadHistory:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, link_id: str) -> str:
        return f"{self.prefix}:link:{link_id}:uploads"

    def record(self, link: Link, entries: list[tuple[str, str, bool]]) -> None:
        """Append (image id, filename, duplicate) entries, in upload order."""
        if not entries:
            return
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        rows = [
            json.dumps(asdict(UploadEntry(image_id, filename, duplicate, now)))
            for image_id, filename, duplicate in entries
        ]
        key = self._key(link.id)
        with self.redis.pipeline() as pipe:
            pipe.rpush(key, *rows)
            pipe.ltrim(key, -MAX_ENTRIES, -1)
            pipe.expireat(key, link.expires_at + RETENTION)
            pipe.execute()

    def entries(self, link_id: str) -> list[UploadEntry]:
        rows = self.redis.lrange(self._key(link_id), 0, -1)
        return [UploadEntry(**json.loads(row)) for row in rows]

    def as_dicts(self, link_id: str, states: States) -> list[dict[str, Any]]:
        return [{**asdict(e), **upload_state(e, states)} for e in self.entries(link_id)]
