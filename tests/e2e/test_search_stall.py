"""The search server stalls (SIGSTOP): uploads still answer 201, statistics answer 503
with Retry-After within seconds; once it is back, everything is counted exactly."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.servers import Backends, Service
from tests.e2e.conftest import (
    Stack,
    eventually,
    paused,
    start_stack,
    started_backend,
    stop_stack,
)
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
STALLS = (30,)


@pytest.fixture
def search(backends: Backends) -> Service:
    return started_backend(backends, "search")


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    # Time limits above a search stall's cost (two 5 s tries), as in production (60/90 s):
    # the tasks retry with backoff instead of being ended mid-request.
    deployment = start_stack(
        backends, extra={"TASK_SOFT_TIME_LIMIT": "30", "TASK_TIME_LIMIT": "40"}
    )
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def upload(link: dict[str, Any], data: bytes) -> requests.Response:
    body, ctype = multipart([("images", "s.png", data, "image/png")])
    return requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)


@pytest.mark.parametrize("stall_seconds", STALLS)
def test_a_stalled_search_server_costs_seconds_and_loses_nothing(
    stack: Stack, search: Service, stall_seconds: int
) -> None:
    link = stack.new_link()
    before = stack.get("/v1/stats").json()["totals"]
    with paused(search):
        stalled_at = time.monotonic()
        accepted = [upload(link, make_image("PNG", seed=seed)) for seed in (961, 962)]
        assert [a.status_code for a in accepted] == [201, 201]
        started = time.monotonic()
        stats = requests.get(f"{stack.url}/v1/stats", headers=stack.admin, timeout=60)
        assert stats.status_code == 503
        assert int(stats.headers["retry-after"]) > 0
        assert time.monotonic() - started < stall_seconds
        time.sleep(max(0.0, stall_seconds - (time.monotonic() - stalled_at)))

    expected = {"images": before["images"] + 2, "uploads": before["uploads"] + 2}
    eventually(lambda: stack.get("/v1/stats").json()["totals"] == expected, timeout=120)
