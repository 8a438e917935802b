"""Redis restarted (with its append-only file, as compose runs it): the dedup SET,
the quotas, the outbox and the task queue survive, and the counts stay exact."""

from __future__ import annotations

import dataclasses
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack import servers
from devstack.servers import Backends, Service
from inlet.stores.clients import make_redis
from inlet.stores.outbox import Outbox
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def own_redis(backends: Backends) -> Iterator[Service]:
    redis = servers.redis_service(backends.workdir / "redis-aof", aof=True).start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture(scope="module")
def stack(backends: Backends, own_redis: Service) -> Iterator[Stack]:
    ours = dataclasses.replace(backends, redis_url=f"redis://127.0.0.1:{own_redis.port}/0")
    deployment = start_stack(ours)
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def upload(link: dict[str, Any], name: str, data: bytes) -> dict[str, Any]:
    body, ctype = multipart([("images", name, data, "image/png")])
    answer = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["images"][0])


def test_a_redis_restart_keeps_quotas_dedup_outbox_and_queue(
    stack: Stack, own_redis: Service
) -> None:
    link = stack.new_link(max_images=3)
    first = make_image("PNG", seed=971)
    upload(link, "a.png", first)
    stack.worker.signal(signal.SIGSTOP)  # the next tasks and outbox entries wait in Redis
    try:
        upload(link, "b.png", make_image("PNG", seed=972))
        outbox = Outbox(make_redis(stack.settings), stack.settings.redis_prefix)
        assert len(outbox) >= 1
        waiting = len(outbox)

        own_redis.stop()  # SIGTERM: Redis writes its append-only file and exits
        own_redis.start()

        assert len(Outbox(make_redis(stack.settings), stack.settings.redis_prefix)) == waiting
    finally:
        stack.worker.signal(signal.SIGCONT)
    stack.session.close()
    assert stack.get(f"/v1/links/{link['id']}").json()["used"] == 2
    again = upload(link, "a-again.png", first)
    assert again["duplicate"] is True  # the dedup SET survived
    eventually(
        lambda: stack.get("/v1/stats").json()["totals"] == {"images": 2, "uploads": 3},
        timeout=90,
    )
