"""The API's Redis stalls (SIGSTOP) during uploads: a 503 with Retry-After within
seconds, /healthz unaffected; once it is back, the upload succeeds and is counted."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from devstack.servers import Backends, Service
from tests.e2e.conftest import Stack, eventually, paused, started_backend
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
STALLS = (10, 30)


@pytest.fixture
def redis_server(backends: Backends) -> Service:
    return started_backend(backends, "redis")


def upload(link: dict[str, Any], data: bytes) -> requests.Response:
    body, ctype = multipart([("images", "r.png", data, "image/png")])
    return requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)


@pytest.mark.parametrize("stall_seconds", STALLS)
def test_a_stalled_redis_costs_seconds_and_loses_nothing(
    stack: Stack, redis_server: Service, stall_seconds: int
) -> None:
    link = stack.new_link()
    data = make_image("PNG", seed=901 + stall_seconds)
    before = stack.get("/v1/stats").json()["totals"]
    with paused(redis_server):
        stalled_at = time.monotonic()
        answer = upload(link, data)
        took = time.monotonic() - stalled_at
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0
        assert took < stall_seconds
        assert requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200
        time.sleep(max(0.0, stall_seconds - (time.monotonic() - stalled_at)))

    again = upload(link, data)
    assert again.status_code == 201, again.text
    expected = {"images": before["images"] + 1, "uploads": before["uploads"] + 1}
    eventually(lambda: stack.get("/v1/stats").json()["totals"] == expected, timeout=90)
