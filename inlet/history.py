"""What each sender has sent through a link, as they see it: an entry per accepted
upload (its time is the upload event's), and the state it is in now. Written by
ingest on commit; kept in Redis by inlet/stores/history.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from inlet.outcomes import State
from inlet.verification import States


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
