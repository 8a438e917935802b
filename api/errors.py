"""Every error leaves as `application/problem+json` (RFC 9457).

Resources raise :class:`Problem` (or any `falcon.HTTPError`); backend exceptions
are mapped here, in one place, so no resource knows about the S3 client or redis.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import falcon
import redis

from api.params import InvalidParameter
from api.redact import redact
from search.errors import SearchError, SearchUnavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://inlet.dev/problems/"


class Problem(falcon.HTTPError):
    """An HTTP error with a problem type slug and optional extension members."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(
            falcon.code_to_http_status(status),
            title=title,
            description=detail,
            headers=headers,
        )
        self.slug = slug
        self.extensions = extensions


def problem_document(error: falcon.HTTPError) -> dict[str, Any]:
    status = int(error.status_code)
    slug = getattr(error, "slug", None)
    doc: dict[str, Any] = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": error.title or falcon.code_to_http_status(status)[4:],
        "status": status,
        "detail": error.description or error.title or "",
    }
    doc.update(getattr(error, "extensions", {}))
    return doc


def serialize_problem(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    resp.content_type = PROBLEM_JSON
    resp.data = json.dumps(problem_document(error)).encode()


def _unavailable(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    log.warning("backend unavailable during %s %s: %s", req.method, redact(req.path), ex)
    raise Problem(
        503,
        "a backing service is unavailable; try again shortly",
        slug="unavailable",
        headers={"Retry-After": "5"},
    )


def _search_error(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    log.error("search server refused %s %s: %s", req.method, redact(req.path), ex)
    if getattr(ex, "kind", None) == "index_not_found_exception":
        raise Problem(
            503,
            "the search index is not ready; the workers create it, try again shortly",
            slug="search-not-ready",
            headers={"Retry-After": "5"},
        )
    raise Problem(502, "the search server refused the request", slug="search-error")


def _not_found(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    raise Problem(404, f"nothing is stored at {redact(req.path)}", slug="not-found")


def _invalid_parameter(
    req: falcon.Request, resp: falcon.Response, ex: InvalidParameter, params: Any
) -> None:
    raise Problem(400, str(ex), slug="invalid-parameter", parameter=ex.param)


def _unexpected(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    log.exception("unhandled error in %s %s", req.method, redact(req.path))
    raise Problem(500, "an unexpected error occurred; it has been logged", slug="internal")


# Every way a backend can be out of reach. SearchUnavailable is also a SearchError, so it
# is named here: Falcon uses the handler of the nearest class in the exception's MRO.
UNAVAILABLE = (
    ConnectionError,
    SearchUnavailable,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def install(app: falcon.App[Any, Any]) -> None:
    """Route every exception to problem+json.

    Falcon picks the handler registered for the nearest class in the exception's MRO,
    whatever the order of registration; its own handler for falcon.HTTPError (and so
    for Problem) stays in place and renders through serialize_problem.
    """
    app.set_error_serializer(serialize_problem)
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(FileNotFoundError, _not_found)
    app.add_error_handler(SearchError, _search_error)
    app.add_error_handler(InvalidParameter, _invalid_parameter)
    for unavailable in UNAVAILABLE:
        app.add_error_handler(unavailable, _unavailable)
