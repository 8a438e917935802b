"""Search errors that callers handle, translated from the client's at this boundary.

Celery tasks retry on :class:`SearchUnavailable` and the API answers it with 503;
neither needs to import ``elasticsearch``. Everything else (a rejected document, a
missing index) is a :class:`SearchError`: retrying would not help.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from elastic_transport import ApiError, TransportError

# Statuses that say "not now" rather than "never": overload, gateway trouble, restarts.
TRANSIENT_STATUSES = frozenset({408, 429})


class SearchError(Exception):
    """The search server refused a request, or answered in a way we cannot use."""

    def __init__(self, message: str, *, status: int | None = None, kind: str | None = None):
        super().__init__(message)
        self.status = status
        self.kind = kind


class SearchUnavailable(SearchError, ConnectionError):
    """The search server could not be reached, timed out or failed (5xx, 429)."""


def is_transient(status: int) -> bool:
    return status >= 500 or status in TRANSIENT_STATUSES


def error_type(body: Any) -> str | None:
    """The ``error.type`` of an error body (``index_not_found_exception``, ...)."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            kind = error.get("type")
            return str(kind) if kind is not None else None
        if isinstance(error, str):
            return error
    return None


def error_from_body(body: Mapping[str, Any], status: int, context: str) -> SearchError:
    """The error for a failed item inside a 200 answer (msearch, mget)."""
    kind = error_type(body)
    reason = ""
    error = body.get("error")
    if isinstance(error, Mapping):
        reason = str(error.get("reason", ""))
    message = f"{context}: {status} {kind or 'error'}{': ' + reason if reason else ''}"
    cls = SearchUnavailable if is_transient(status) else SearchError
    return cls(message, status=status, kind=kind)


@contextmanager
def translated(context: str) -> Iterator[None]:
    """Re-raise the client's exceptions as :class:`SearchError`/:class:`SearchUnavailable`.

    ``context`` names the operation, so a log line says what failed.
    """
    try:
        yield
    except ApiError as exc:
        status = exc.meta.status if exc.meta is not None else 0
        kind = error_type(exc.body)
        cls = SearchUnavailable if is_transient(status) else SearchError
        raise cls(f"{context}: {exc}", status=status, kind=kind) from exc
    except TransportError as exc:
        # Connection refused, timeouts, TLS failures, unreadable answers: the client has
        # already retried, so the server is unavailable for now.
        raise SearchUnavailable(f"{context}: {exc}") from exc
