"""The Celery tasks: small, take ids, idempotent, retried with backoff when a
backend is unreachable, recorded as dead letters when they fail for good.

Each task the API or the command line queues has one typed function that sends it
(``send_*``), right below it, so "go to definition" leads from any sender to the task
and on to :mod:`tasks.pipeline`. The periodic ones (reconcile, replay) are sent by
beat alone, by name, from the schedule in :mod:`tasks.celery_app`.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery import Celery, Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from inlet.blobs import StoreUnavailable
from inlet.dispatch import UploadEvent
from inlet.outcomes import State
from inlet.settings import Settings
from inlet.stores.deadletter import DeadLetters
from search.errors import SearchUnavailable
from tasks import metrics, pipeline
from tasks.context import Context, context_for

log = logging.getLogger(__name__)

# The message header that carries the id of the HTTP request that queued a task; the
# worker puts it on every log line of the task (tasks/observe.py).
REQUEST_ID_HEADER = "inlet_request_id"

TRANSIENT = (StoreUnavailable, SearchUnavailable, redis.exceptions.ConnectionError)


class InletTask(Task):  # type: ignore[misc]
    autoretry_for = TRANSIENT
    retry_backoff = 2
    retry_jitter = True

    @property
    def ctx(self) -> Context:
        settings: Settings = self.app.inlet_settings
        return context_for(settings, self.app.inlet_extract)

    def on_retry(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        if isinstance(exc, SearchUnavailable):
            self.ctx.search_failed()
        log.warning("%s[%s] will retry: %s", self.name, task_id, exc)

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        record_failure(self, task_id, args, kwargs, exc)


def _headers(request_id: str | None) -> dict[str, str] | None:
    return {REQUEST_ID_HEADER: request_id} if request_id else None


def record_failure(task: Any, task_id: str, args: Any, kwargs: Any, exc: BaseException) -> None:
    metrics.dead_lettered(task_id)
    settings: Settings = task.app.inlet_settings
    try:
        DeadLetters(context_for(settings).redis, settings.redis_prefix).record(
            task=task.name,
            task_id=task_id,
            args=args,
            kwargs=kwargs,
            error=f"{type(exc).__name__}: {exc}",
        )
    except redis.exceptions.RedisError:
        log.exception("could not record the failure of %s[%s]", task.name, task_id)


@shared_task(name="inlet.index_image", base=InletTask, bind=True)
def index_image(self: InletTask, image_id: str) -> None:
    try:
        pipeline.index_image(self.ctx, image_id)
    except SoftTimeLimitExceeded as exc:
        if self.ctx.states.state(image_id) is State.PENDING:
            # Not the decode (tasks.verify rejects an image whose decode is too slow):
            # reading it from a slow store took the time. Transient: try again later.
            raise self.retry(exc=StoreUnavailable(f"reading {image_id} took too long")) from exc
        log.error("metadata extraction of %s exceeded its time limit", image_id)
        pipeline.index_without_metadata(self.ctx, image_id, pipeline.TIME_LIMIT_NOTE)
        record_failure(
            self, self.request.id, [image_id], {}, SoftTimeLimitExceeded(pipeline.TIME_LIMIT_NOTE)
        )


def send_index_image(app: Celery, image_id: str, *, request_id: str | None = None) -> None:
    app.send_task(index_image.name, args=[image_id], headers=_headers(request_id))


@shared_task(name="inlet.record_upload", base=InletTask, bind=True)
def record_upload(self: InletTask, **event: Any) -> None:
    if pipeline.record_upload(self.ctx, event) is not None:
        metrics.observe_recorded(event)


def send_record_upload(app: Celery, event: UploadEvent, *, request_id: str | None = None) -> None:
    app.send_task(record_upload.name, kwargs=event.as_dict(), headers=_headers(request_id))


@shared_task(name="inlet.delete_image", base=InletTask, bind=True)
def delete_image(self: InletTask, image_id: str) -> None:
    pipeline.delete_image(self.ctx, image_id)


def send_delete_image(app: Celery, image_id: str, *, request_id: str | None = None) -> None:
    app.send_task(delete_image.name, args=[image_id], headers=_headers(request_id))


@shared_task(name="inlet.reconcile", base=InletTask, bind=True)
def reconcile(self: InletTask) -> int | None:
    return pipeline.reconcile(self.ctx, lambda image_id: send_index_image(self.app, image_id))


@shared_task(name="inlet.replay_outbox", base=InletTask, bind=True)
def replay_outbox(self: InletTask) -> int:
    return pipeline.replay_outbox(self.ctx, lambda event: send_record_upload(self.app, event))


@shared_task(name="inlet.abort_incomplete_uploads", base=InletTask, bind=True)
def abort_incomplete_uploads(self: InletTask) -> int:
    return pipeline.abort_incomplete_uploads(self.ctx)
