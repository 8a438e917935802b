"""The API's hand-off to the workers: :class:`inlet.dispatch.Dispatcher` over Celery."""

from __future__ import annotations

import logging

from celery import Celery

from inlet import logs
from inlet.dispatch import UploadEvent
from inlet.stores.outbox import Outbox
from tasks import jobs

log = logging.getLogger(__name__)


class CeleryDispatcher:
    def __init__(self, celery: Celery, outbox: Outbox) -> None:
        self.celery = celery
        self.outbox = outbox

    def upload_accepted(self, event: UploadEvent, *, index_image: bool) -> None:
        # Recorded durably first: if Redis cannot take it, the upload is not answered
        # 201. A broker outage then costs nothing: the event waits in the outbox and the
        # replay job sends it again; a stored image that no task reached is indexed by
        # the reconcile job.
        self.outbox.add(event)
        # The request being served: its id follows the upload into the workers' logs.
        request_id = logs.request_id.get()
        try:
            jobs.send_record_upload(self.celery, event, request_id=request_id)
            if index_image:
                jobs.send_index_image(self.celery, event.image_id, request_id=request_id)
        except Exception as exc:  # noqa: BLE001 - any broker failure; the outbox replays
            log.warning(
                "broker unavailable, upload %s waits in the outbox: %s", event.event_id, exc
            )

    def image_deleted(self, image_id: str) -> None:
        # Unlike uploads, a failure here is the caller's to report: the admin retries.
        jobs.send_delete_image(self.celery, image_id, request_id=logs.request_id.get())

    def rendition_wanted(self, image_id: str) -> None:
        # The index job verifies the image if need be, then makes the rendition. A
        # reader is answered "not yet" either way; the reconcile job queues it later.
        try:
            jobs.send_index_image(self.celery, image_id, request_id=logs.request_id.get())
        except Exception as exc:  # noqa: BLE001 - any broker failure; reconcile queues it
            log.warning("broker unavailable, no rendition queued for %s: %s", image_id, exc)
