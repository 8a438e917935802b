"""The one logging configuration of every Inlet process: API, workers and beat.

One JSON object per line (``LOG_FORMAT=json``, the default), or a human-readable line
(``LOG_FORMAT=text``, what ``make dev`` uses). Every record carries ``request_id``:
the id of the HTTP request being served, or of the request that queued the task
being run, or null outside of both.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("json", "text")
# Taken from X-Request-ID when it looks like an id: a proxy's or a client's own
# correlation id, bounded so that a header cannot flood the logs.
_VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Libraries whose INFO lines are one per backend request.
QUIET_LOGGERS = ("elastic_transport.transport", "elastic_transport.node_pool", "urllib3")

request_id: ContextVar[str | None] = ContextVar("inlet_request_id", default=None)


def valid_request_id(candidate: str | None) -> str | None:
    """``candidate`` when it is a usable request id, else None."""
    if candidate and _VALID_ID.fullmatch(candidate):
        return candidate
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record that does not carry one already."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}{request_id}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def handler(fmt: str, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing ``fmt`` lines to ``stream`` (stderr by default)."""
    out = logging.StreamHandler(stream if stream is not None else sys.stderr)
    out.setFormatter(formatter(fmt))
    out.addFilter(RequestIdFilter())
    return out


def configure(fmt: str = "json", level: int | str = logging.INFO) -> None:
    """Route every logger through one handler on the root logger."""
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {fmt!r}")
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(fmt))
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
