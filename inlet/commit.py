"""Recording an upload whose bytes are committed: the one way both upload paths do it.

The multipart POST (:mod:`inlet.ingest`) and the direct path (:mod:`inlet.direct_complete`)
store bytes differently, but once an image is committed they count it against the link,
hand its upload event on and list it for the sender alike, so a dashboard, a search and a
sender's list cannot tell the two paths apart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from inlet.dispatch import Dispatcher, UploadEvent
from inlet.history import UploadEntry
from inlet.links import Link
from inlet.ports import Quota
from inlet.senders import Sender


@dataclass(frozen=True)
class Committed:
    image_id: str
    filename: str
    format: str
    uploaded_at: str
    new: bool  # this upload owns the image (duplicate: false)
    stored: bool  # its bytes were stored by this upload: index the image


def record_committed(
    quota: Quota, dispatcher: Dispatcher, link: Link, sender: Sender | None, item: Committed
) -> UploadEntry:
    """Count the image, send its upload event; the entry for the sender's list."""
    quota.record_image(link, item.image_id)
    event = UploadEvent(
        event_id=uuid.uuid4().hex,
        image_id=item.image_id,
        link_id=link.id,
        uploaded_at=item.uploaded_at,
        duplicate=not item.new,
        format=item.format,
        filename=item.filename,
        sender=sender.label if sender is not None else "",
    )
    dispatcher.upload_accepted(event, index_image=item.stored)
    return UploadEntry(item.image_id, item.filename, not item.new, item.uploaded_at)
