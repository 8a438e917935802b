"""The commands of Inlet's own processes, in one place.

`make dev` runs exactly these; docker-compose.yml runs the same (a test compares
them), with binding and scale set through the environment.
"""

from __future__ import annotations

PROCESS_COMMANDS: dict[str, list[str]] = {
    "api": ["gunicorn", "--config", "python:api.gunicorn_conf", "api.wsgi:app"],
    "worker": ["celery", "--app", "tasks.worker", "worker", "--loglevel", "INFO"],
    "beat": ["celery", "--app", "tasks.worker", "beat", "--loglevel", "INFO"],
    "flower": ["celery", "--app", "tasks.monitor", "flower"],
}
