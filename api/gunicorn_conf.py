"""gunicorn settings, read by `gunicorn --config python:api.gunicorn_conf`.

Binding and scale come from the environment so that compose, `make dev` and the
tests run the same command. Access logs never contain upload-link tokens.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.glogging import Logger

from api.redact import redact

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Uploads of many large images take a while on slow links.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190
# No gunicornc control socket: it lives in $HOME, which is read-only in the image and
# shared by every instance on a host (tests and benchmarks run several).
control_socket_disable = True


class _RedactFilter(logging.Filter):
    """Tokens out of gunicorn's own lines too (e.g. an invalid request line it quotes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class RedactingLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with tokens removed from every access-log atom and error line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(_RedactFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact(value)
        return atoms


logger_class = RedactingLogger


def on_starting(server: Any) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
