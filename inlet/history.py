"""What each link has received, for its holder: a bounded Redis list per link.

Written when an upload is committed, so a reload right after an upload shows it
without waiting for the workers; kept as long as the link record (links.RETENTION).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from inlet.links import RETENTION, Link

# Enough for any page to show; older entries fall off the end.
MAX_ENTRIES = 1000


@dataclass(frozen=True)
class UploadEntry:
    id: str
    filename: str
    duplicate: bool
    uploaded_at: str


def upload_state(entry: UploadEntry) -> str:
    """The state a link holder sees for an upload.

    Every accepted image passed full verification inside the request, so it is
    "ready" as soon as it is committed. The one place to change when verification
    moves to the workers (pending / rejected).
    """
    return "ready"


class UploadHistory:
    def __init__(self, redis: Any, prefix: str) -> None:
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

    def as_dicts(self, link_id: str) -> list[dict[str, Any]]:
        return [{**asdict(e), "state": upload_state(e)} for e in self.entries(link_id)]
