"""`python -m api reindex`: one reconcile pass from the command line."""

from __future__ import annotations

from inlet.settings import Settings
from tasks.celery_app import create_celery
from tasks.context import context_for
from tasks.jobs import send_index_image
from tasks.pipeline import reconcile


def run_reindex(settings: Settings) -> int:
    celery = create_celery(settings)
    return reconcile(context_for(settings), lambda image_id: send_index_image(celery, image_id))
