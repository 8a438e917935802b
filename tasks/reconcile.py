"""`python -m api reindex`: one reconcile pass from the command line."""

from __future__ import annotations

from inlet.dispatch import INDEX_IMAGE
from inlet.settings import Settings
from tasks.celery_app import create_celery
from tasks.context import context_for
from tasks.pipeline import reconcile


def run_reindex(settings: Settings) -> int:
    celery = create_celery(settings)
    return reconcile(
        context_for(settings), lambda image_id: celery.send_task(INDEX_IMAGE, args=[image_id])
    )
