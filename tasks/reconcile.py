"""`python -m api reindex`: one reconcile pass from the command line."""

from __future__ import annotations

from inlet.settings import Settings
from tasks.celery_app import create_celery
from tasks.context import context_for
from tasks.jobs import send_index_image, send_record_upload
from tasks.pipeline import reconcile, replay_outbox


def run_reindex(settings: Settings) -> int | None:
    """Queue every stored image missing from the index and every upload event not yet
    indexed; returns how many images were queued, None when another reconcile run
    (beat's) was under way and this one queued no image."""
    celery = create_celery(settings)
    ctx = context_for(settings)
    replay_outbox(ctx, lambda event: send_record_upload(celery, event))
    return reconcile(ctx, lambda image_id: send_index_image(celery, image_id))
