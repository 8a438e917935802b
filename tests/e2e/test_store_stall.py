"""The object store stalls (SIGSTOP) during uploads: requests cost seconds and get a
503 with Retry-After, health answers at once, readiness within 2 s; once the store is
back the same upload succeeds and the counts are exact."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from devstack.servers import Backends, Service
from tests.e2e.conftest import Stack, eventually, paused, public_rendition, started_backend
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
STALLS = (15, 90)


@pytest.fixture
def store(backends: Backends) -> Service:
    return started_backend(backends, "s3")


def upload(link: dict[str, Any], data: bytes) -> requests.Response:
    body, ctype = multipart([("images", "x.png", data, "image/png")])
    return requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.parametrize("stall_seconds", STALLS)
def test_a_stalled_store_costs_seconds_and_loses_nothing(
    stack: Stack, store: Service, stall_seconds: int
) -> None:
    link = stack.new_link()
    data = make_image("PNG", seed=801 + stall_seconds)
    kept = make_image("PNG", seed=851 + stall_seconds)
    kept_answer = upload(stack.new_link(), kept)
    assert kept_answer.status_code == 201, kept_answer.text
    kept_url = f"{stack.url}{kept_answer.json()['images'][0]['url']}"
    public_rendition(stack, kept_answer.json()["images"][0]["id"])  # a GET asks the store
    eventually(lambda: stack.get("/v1/stats").json()["totals"]["images"] > 0, timeout=60)
    before = stack.get("/v1/stats").json()["totals"]
    with paused(store):
        stalled_at = time.monotonic()
        answer, took = timed(lambda: upload(link, data))
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0
        assert took < 15  # seconds (a 5 s read timeout), not minutes
        health, health_took = timed(lambda: requests.get(f"{stack.url}/healthz", timeout=10))
        assert (health.status_code, health_took < 3) == (200, True)
        ready, ready_took = timed(lambda: requests.get(f"{stack.url}/readyz", timeout=10))
        assert ready.status_code == 503
        assert ready.json()["checks"]["s3"] == "down"
        assert ready_took < 4  # READY_TIMEOUT is 2 s; the rest is a loaded machine
        served, served_took = timed(lambda: requests.get(kept_url, timeout=60))
        assert served.status_code in (502, 504)  # the proxy's problem, not a hang
        assert served.headers["content-type"] == "application/problem+json"
        assert int(served.headers["retry-after"]) > 0
        assert served_took < 20
        time.sleep(max(0.0, stall_seconds - (time.monotonic() - stalled_at)))
    state = stack.get(f"/v1/links/{link['id']}").json()
    # The refused upload gave its reservation back: its image and its bytes.
    assert (state["used"], state["used_bytes"]) == (0, 0)

    again = upload(link, data)
    assert again.status_code == 201, again.text
    expected = {"images": before["images"] + 1, "uploads": before["uploads"] + 1}
    eventually(lambda: stack.get("/v1/stats").json()["totals"] == expected, timeout=60)


def test_a_stalled_store_costs_a_many_file_upload_one_timeout(stack: Stack, store: Service) -> None:
    link = stack.new_link()
    files = [("images", f"{n}.png", make_image("PNG", seed=870 + n), "image/png") for n in range(5)]
    body, ctype = multipart(files)
    with paused(store):
        answer, took = timed(
            lambda: requests.post(
                link["url"], data=body, headers={"Content-Type": ctype}, timeout=60
            )
        )
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["retry-after"]) > 0
    reasons = [image["error"]["reason"] for image in answer.json()["images"]]
    assert reasons == ["store-unavailable"] * 5
    # One store timeout (5 s) for the request, not one per file (5 x 5 s).
    assert took < 10
    assert stack.get(f"/v1/links/{link['id']}").json()["used"] == 0
