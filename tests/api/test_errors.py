"""Every error path renders application/problem+json with its documented status."""

from __future__ import annotations

from typing import Any

import falcon
import pytest
import redis
from falcon import testing

from api import errors
from api.params import InvalidParameter
from inlet.blobs import StoreUnavailable
from search.errors import SearchError, SearchUnavailable
from tests.http import assert_problem


class Raises:
    """A resource that raises whatever the test names."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise self.exc


def client_raising(exc: BaseException) -> testing.TestClient:
    app: falcon.App[Any, Any] = falcon.App()
    errors.install(app)
    app.add_route("/boom", Raises(exc))
    return testing.TestClient(app)


@pytest.mark.parametrize(
    ("exc", "status", "slug"),
    [
        (FileNotFoundError("x"), 404, "not-found"),
        (StoreUnavailable("store down"), 503, "unavailable"),
        (ConnectionResetError("reset"), 503, "unavailable"),
        (redis.exceptions.ConnectionError("redis down"), 503, "unavailable"),
        (redis.exceptions.TimeoutError("redis slow"), 503, "unavailable"),
        (SearchUnavailable("search down"), 503, "unavailable"),
        (SearchError("missing", kind="index_not_found_exception"), 503, "search-not-ready"),
        (SearchError("refused", status=400), 502, "search-error"),
        (InvalidParameter("tz", "unknown time zone"), 400, "invalid-parameter"),
        (errors.Problem(418, "short and stout", slug="teapot"), 418, "teapot"),
        (falcon.HTTPMethodNotAllowed(["POST"]), 405, None),
        (KeyError("bug"), 500, "internal"),
    ],
)
def test_each_error_becomes_a_problem(exc: BaseException, status: int, slug: str | None) -> None:
    result = client_raising(exc).simulate_get("/boom")
    doc = assert_problem(result, status)
    expected = errors.TYPE_BASE + slug if slug else "about:blank"
    assert doc["type"] == expected
    if status == 503:
        assert result.headers["retry-after"].isdigit()


def test_an_unknown_route_is_a_problem_too() -> None:
    assert_problem(client_raising(KeyError()).simulate_get("/nowhere"), 404)


def test_the_internal_error_says_nothing_of_the_bug(caplog: pytest.LogCaptureFixture) -> None:
    result = client_raising(KeyError("secret-detail")).simulate_get("/boom")
    assert "secret-detail" not in result.text
    assert "secret-detail" in caplog.text  # logged for the operator
