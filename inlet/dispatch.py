"""Hand-off from the API to the workers: task names and the upload event.

The API sends tasks by name, so it needs a broker connection but none of the
worker code; the workers register functions under the same names.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

INDEX_IMAGE = "inlet.index_image"
RECORD_UPLOAD = "inlet.record_upload"
RECONCILE = "inlet.reconcile"
DELETE_IMAGE = "inlet.delete_image"


@dataclass(frozen=True)
class UploadEvent:
    event_id: str
    image_id: str
    link_id: str
    uploaded_at: str
    duplicate: bool
    format: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Dispatcher(Protocol):
    def upload_accepted(self, event: UploadEvent, *, index_image: bool) -> None: ...

    def image_deleted(self, image_id: str) -> None: ...


class CeleryDispatcher:
    def __init__(self, celery_app: Any) -> None:
        self.celery = celery_app

    def upload_accepted(self, event: UploadEvent, *, index_image: bool) -> None:
        # The upload is already stored and answered; a broker outage must not undo it.
        # The reconcile job indexes any stored image that no task reached.
        try:
            self.celery.send_task(RECORD_UPLOAD, kwargs=event.as_dict())
            if index_image:
                self.celery.send_task(INDEX_IMAGE, args=[event.image_id])
        except Exception:
            log.exception("could not queue tasks for upload %s", event.event_id)

    def image_deleted(self, image_id: str) -> None:
        # Unlike uploads, a failure here is the caller's to report: the admin retries.
        self.celery.send_task(DELETE_IMAGE, args=[image_id])
