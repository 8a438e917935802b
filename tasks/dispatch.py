"""The API's hand-off to the workers: :class:`inlet.dispatch.Dispatcher` over Celery."""

from __future__ import annotations

import logging

from celery import Celery
from redis import Redis

from inlet import deadletter, logs
from inlet.dispatch import UploadEvent
from tasks import jobs

log = logging.getLogger(__name__)


class CeleryDispatcher:
    def __init__(self, celery: Celery, redis: Redis, prefix: str) -> None:
        self.celery = celery
        self.redis = redis
        self.prefix = prefix

    def upload_accepted(self, event: UploadEvent, *, index_image: bool) -> None:
        # The upload is stored and about to be answered; a broker outage must not undo
        # it. A stored image that no task reached is indexed by the reconcile job; an
        # upload event that could not be queued is lost to the statistics, so it
        # becomes a dead letter that `GET /v1/failures` shows and counts.
        # The request being served: its id follows the upload into the workers' logs.
        request_id = logs.request_id.get()
        try:
            jobs.send_record_upload(self.celery, event, request_id=request_id)
        except Exception as exc:  # noqa: BLE001 - any broker failure; the upload stands
            log.error("could not queue the upload event %s: %s", event.event_id, exc)
            self._dead_letter(jobs.record_upload.name, event.as_dict(), exc)
        if index_image:
            try:
                jobs.send_index_image(self.celery, event.image_id, request_id=request_id)
            except Exception as exc:  # noqa: BLE001 - reconcile indexes it later
                log.warning("could not queue indexing of %s: %s", event.image_id, exc)

    def image_deleted(self, image_id: str) -> None:
        # Unlike uploads, a failure here is the caller's to report: the admin retries.
        jobs.send_delete_image(self.celery, image_id, request_id=logs.request_id.get())

    def _dead_letter(self, task: str, kwargs: dict[str, object], exc: Exception) -> None:
        try:
            deadletter.record(
                self.redis,
                self.prefix,
                task=task,
                task_id="",
                args=[],
                kwargs=kwargs,
                error=f"not queued: {type(exc).__name__}: {exc}",
            )
        except Exception:
            log.exception("could not record the lost upload event either")
