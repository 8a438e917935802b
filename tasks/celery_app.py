"""The Celery application, configured in one place.

Reliability choices: tasks are acknowledged after they run (`acks_late`) and
re-queued if the worker process dies (`task_reject_on_worker_lost`), so the
broker's visibility timeout must exceed the longest a task can legitimately take
(its hard time limit plus the longest retry countdown).
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from inlet.settings import Settings
from inlet.stores.keys import Keys
from tasks import jobs
from tasks.context import Extractor, extract_in_worker


def create_celery(settings: Settings, *, extract: Extractor = extract_in_worker) -> Celery:
    """The app; ``extract`` is the metadata extractor its tasks use (tests inject theirs)."""
    app = Celery("inlet", broker=settings.celery_broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        enable_utc=True,
        timezone="UTC",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        **_broker_options(settings),
        broker_connection_retry_on_startup=True,
        broker_pool_limit=10,
        task_default_queue=Keys(settings.redis_prefix).celery_queue(),
        beat_schedule=_beat_schedule(settings),
        # Retries of transient failures: exponential backoff with jitter, bounded.
        task_annotations={
            "*": {
                "max_retries": settings.task_max_retries,
                "retry_backoff_max": settings.retry_backoff_max,
            }
        },
        worker_send_task_events=True,
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
    )
    if settings.worker_concurrency:
        app.conf.worker_concurrency = settings.worker_concurrency
    app.inlet_settings = settings
    app.inlet_extract = extract
    return app


def _broker_options(settings: Settings) -> dict[str, Any]:
    visibility_timeout = settings.task_time_limit + settings.retry_backoff_max + 300
    return {
        "broker_transport_options": {
            "visibility_timeout": visibility_timeout,
            "global_keyprefix": Keys(settings.redis_prefix).celery(),
            # A stalled broker costs the API a few seconds, not minutes: upload events
            # wait in the outbox (inlet/stores/outbox.py) and are sent again later.
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        "broker_connection_timeout": 2,
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
    }


def _beat_schedule(settings: Settings) -> dict[str, Any]:
    return {
        "reconcile": {
            "task": jobs.reconcile.name,
            "schedule": float(settings.reconcile_interval),
        },
        "replay-outbox": {
            "task": jobs.replay_outbox.name,
            "schedule": float(settings.outbox_replay_interval),
        },
        "abort-incomplete-uploads": {
            "task": jobs.abort_incomplete_uploads.name,
            "schedule": float(settings.reconcile_interval),
        },
    }
