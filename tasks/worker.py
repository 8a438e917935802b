"""The `celery --app tasks.worker` target: the configured app with its tasks."""

from inlet.settings import Settings
from tasks import jobs
from tasks.celery_app import create_celery

app = create_celery(Settings.from_env())
__all__ = ["app", "jobs"]
