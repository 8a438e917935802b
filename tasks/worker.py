"""The `celery --app tasks.worker` target: the configured app with its tasks."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_ready

from inlet.settings import Settings
from search.errors import SearchError
from tasks import jobs
from tasks.celery_app import create_celery
from tasks.context import context_for

log = logging.getLogger(__name__)

app = create_celery(Settings.from_env())
__all__ = ["app", "jobs"]


@worker_ready.connect
def _prepare_indices(sender: Any = None, **kwargs: Any) -> None:
    # Tasks create the indices on demand too; doing it at start surfaces problems early.
    try:
        context_for(app.inlet_settings).indices()
    except (SearchError, ConnectionError) as exc:
        log.warning("search indices not ready yet: %s", exc)
