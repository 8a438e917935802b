"""The poison-message valve: an image whose decoding kills the worker process is
delivered VERIFY_MAX_ATTEMPTS times, then rejected, and the queue drains; an image
sent beside it becomes ready all the same."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.servers import Backends
from inlet.stores.clients import make_redis
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.e2e.extractors import KILL_DECODER
from tests.http import bearer, multipart, new_sender
from tests.images import make_exif, make_image

pytestmark = pytest.mark.e2e
MAX_ATTEMPTS = 2  # not the default (3): the valve follows the setting
SENDER = new_sender()


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(backends, extra={"VERIFY_MAX_ATTEMPTS": str(MAX_ATTEMPTS)})
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def own_states(stack: Stack, link: dict[str, Any]) -> dict[str, dict[str, Any]]:
    headers = bearer(link["token"], SENDER)
    answer = requests.get(f"{stack.url}/v1/uploads/self", headers=headers, timeout=30)
    return {u["id"]: u for u in answer.json()["uploads"]}


def queued(stack: Stack) -> tuple[int, int]:
    """Messages waiting in the task queue, and delivered but not yet acknowledged."""
    prefix = stack.settings.redis_prefix
    redis = make_redis(stack.settings)
    return redis.llen(f"{prefix}:celery:{prefix}.default"), redis.hlen(f"{prefix}:celery:unacked")


def test_a_decoder_that_kills_its_process_is_tried_max_attempts_times_then_rejected(
    stack: Stack,
) -> None:
    poison = make_image("JPEG", seed=800, exif=make_exif(make="Test", model=KILL_DECODER))
    good = make_image("PNG", seed=801)
    ids = [hashlib.sha256(data).hexdigest() for data in (poison, good)]
    failures_before = stack.get("/v1/failures").json()["total"]
    link = stack.new_link()
    body, ctype = multipart(
        [("images", "poison.jpg", poison, "image/jpeg"), ("images", "good.png", good, "image/png")]
    )
    headers = {"Content-Type": ctype, "X-Inlet-Sender": SENDER}

    answer = requests.post(link["url"], data=body, headers=headers, timeout=60)

    assert answer.status_code == 201, answer.text
    mine = eventually(
        lambda: (s := own_states(stack, link))[ids[0]]["state"] == "rejected" and s, timeout=120
    )
    assert mine[ids[0]]["reason"] == f"decoding it ended its worker process {MAX_ATTEMPTS} times"
    eventually(lambda: own_states(stack, link)[ids[1]]["state"] == "ready", timeout=60)
    # Each delivery that reached the decoder was in a process of its own, which died.
    runs = (stack.workdir / "markers" / f"{KILL_DECODER}.runs").read_text().split()
    assert len(runs) == len(set(runs)) == MAX_ATTEMPTS
    served = requests.get(f"{stack.url}/v1/images/{ids[0]}", timeout=30)
    assert served.status_code == 410
    assert served.headers["content-type"] == "application/problem+json"
    assert f"ended its worker process {MAX_ATTEMPTS} times" in served.json()["detail"]
    meta = stack.get(f"/v1/images/{ids[0]}/metadata").json()
    assert (meta["state"], meta["reason"]) == ("rejected", "undecodable")
    assert requests.get(f"{stack.url}/v1/images/{ids[1]}", timeout=30).status_code == 200
    # Rejected, not dead-lettered, and nothing left to deliver.
    eventually(lambda: queued(stack) == (0, 0), timeout=60)
    assert stack.get("/v1/failures").json()["total"] == failures_before
