"""The `celery --app tasks.worker` target: the configured app with its tasks.

This module is an entry point, like ``api/wsgi.py``: the one place that builds the
worker's app from the environment.
"""

from __future__ import annotations

import logging
import resource
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from inlet.settings import ConfigError, Settings
from search.client import make_client
from search.errors import SearchError
from search.indices import ensure_indices
from tasks import jobs, observe
from tasks.celery_app import create_celery
from tasks.context import Extractor, extract_in_worker

log = logging.getLogger(__name__)


def build_app(extract: Extractor = extract_in_worker) -> Celery:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        # The worker, beat and Flower load this module first: the message alone and a
        # non-zero exit, not a traceback inside Celery's app loader.
        raise SystemExit(f"inlet: configuration error: {exc}") from None
    app = create_celery(settings, extract=extract)
    observe.install(app, settings)
    limit = settings.worker_memory_limit

    def limit_memory(**kwargs: Any) -> None:
        limit_address_space(limit)

    worker_process_init.connect(limit_memory, weak=False)
    return app


def limit_address_space(limit: int) -> None:
    """Bound this pool process's address space: a decoder that asks for more gets a
    MemoryError here (and the image is rejected) instead of starving the host."""
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@worker_ready.connect
def _prepare_indices(sender: Any = None, **kwargs: Any) -> None:
    # Tasks create the indices on demand too; doing it at start surfaces problems early.
    # A client of its own, closed here: the pool children are forked from this process
    # and must not inherit its sockets (tasks.context builds theirs after the fork).
    settings: Settings = sender.app.inlet_settings
    es = make_client(settings)
    try:
        ensure_indices(es, settings.index_prefix)
    except (SearchError, ConnectionError) as exc:
        log.warning("search indices not ready yet: %s", exc)
    finally:
        es.close()


app = build_app()
__all__ = ["app", "jobs"]
