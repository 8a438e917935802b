"""The API's hand-off to the workers when the broker is not there."""

from __future__ import annotations

import time
from typing import Any

from devstack.servers import free_port
from inlet.dispatch import UploadEvent
from inlet.settings import Settings
from inlet.stores.outbox import Outbox
from tasks.celery_app import create_celery
from tasks.dispatch import CeleryDispatcher

EVENT = UploadEvent("ev1", "a" * 64, "link1", "2026-01-01T00:00:00.000+00:00", False, "PNG")


def test_an_event_the_broker_cannot_take_waits_in_the_outbox(
    settings: Settings, redis_client: Any
) -> None:
    nowhere = settings.replace(broker_url=f"redis://127.0.0.1:{free_port()}/0")
    clock = [1000.0]
    outbox = Outbox(redis_client, settings.redis_prefix, clock=lambda: clock[0])
    dispatcher = CeleryDispatcher(create_celery(nowhere), outbox)

    started = time.monotonic()
    dispatcher.upload_accepted(EVENT, index_image=True)  # the upload stands: no exception

    assert time.monotonic() - started < 10
    assert outbox.due() == []  # too recent to replay yet
    clock[0] += 120
    assert outbox.due() == [EVENT]
    outbox.done(EVENT.event_id)
    assert (outbox.due(), len(outbox)) == ([], 0)
