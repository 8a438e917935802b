"""The `celery --app tasks.monitor flower` target: the app Flower watches with.

Flower reads the broker (queues, task events) and nothing else: it signs and verifies
no link or token, and touches neither the store nor search. So it is built without
the signing key: a random key of its own, which nobody knows, stands in for it, and
compose mounts only Flower's own password and Redis's into its container.
"""

from __future__ import annotations

import os
import secrets

from celery import Celery

from inlet.settings import Settings
from tasks import observe
from tasks.celery_app import create_celery


def build_app() -> Celery:
    environ = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(32)}
    environ.pop("SECRET_KEY_FILE", None)
    settings = Settings.from_env(environ)
    app = create_celery(settings)
    observe.install(app, settings)
    return app


app = build_app()
__all__ = ["app"]
