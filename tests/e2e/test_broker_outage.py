"""A broker outage while uploads are accepted: every 201 is recorded durably and
reaches the statistics once the events are replayed; nothing is counted twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.servers import Backends, free_port
from inlet.stores.clients import make_redis
from inlet.stores.outbox import Outbox
from tasks.celery_app import create_celery
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import multipart
from tests.images import make_image
from tests.support import beat_sends

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    # The workers reach the broker; the API's broker address leads nowhere.
    deployment = start_stack(
        backends,
        extra={"OUTBOX_REPLAY_INTERVAL": "1"},
        api_extra={"BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"},
    )
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def upload(link: dict[str, Any], name: str, data: bytes) -> requests.Response:
    body, ctype = multipart([("images", name, data, "image/png")])
    return requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)


def test_events_accepted_during_a_broker_outage_are_replayed_exactly_once(stack: Stack) -> None:
    link = stack.new_link()
    first, second = make_image("PNG", seed=601), make_image("PNG", seed=602)
    started = time.monotonic()
    answers = [upload(link, n, d) for n, d in (("a", first), ("b", second), ("c", first))]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert time.monotonic() - started < 30  # each costs seconds, not minutes
    outbox = Outbox(make_redis(stack.settings), stack.settings.redis_prefix)
    assert len(outbox) == 3
    assert stack.get("/v1/stats").json()["totals"] == {"images": 0, "uploads": 0}

    celery = create_celery(stack.settings)  # the broker is back (the workers' one)
    time.sleep(1.1)  # the events are older than the replay interval now
    beat_sends(celery, "replay-outbox")
    beat_sends(celery, "reconcile")

    totals = eventually(
        lambda: (t := stack.get("/v1/stats").json()["totals"]) == {"images": 2, "uploads": 3} and t
    )
    assert totals == {"images": 2, "uploads": 3}
    eventually(lambda: len(outbox) == 0)
    beat_sends(celery, "replay-outbox")  # nothing left to send: the counts stay exact
    time.sleep(1)
    assert stack.get("/v1/stats").json()["totals"] == {"images": 2, "uploads": 3}
