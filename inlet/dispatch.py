"""Hand-off from ingest to the workers: the upload event and the interface that
carries it (implemented over Celery by :class:`tasks.dispatch.CeleryDispatcher`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class UploadEvent:
    event_id: str
    image_id: str
    link_id: str
    uploaded_at: str
    duplicate: bool
    format: str
    # The cleaned display name (ingest.clean_filename); events queued before it
    # existed lack it.
    filename: str = ""
    # The sender's label (senders.Sender.label); empty when the upload carried no
    # sender id, or was queued before it existed.
    sender: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Dispatcher(Protocol):
    def upload_accepted(self, event: UploadEvent, *, index_image: bool) -> None: ...

    def image_deleted(self, image_id: str) -> None: ...

    def rendition_wanted(self, image_id: str) -> None:
        """A reader asked for an image that has no public rendition yet."""
        ...
