"""The map of state (inlet/stores/keys.py, docs/state.md) against a real Redis: what
an upload leaves behind is what the map declares, and the sender's list holds the
upload event's own time."""

from __future__ import annotations

import json
import re
from typing import Any

from falcon import testing

from inlet.settings import Settings
from inlet.stores.keys import PATTERNS, Keys
from tests.http import bearer, multipart, new_sender
from tests.images import make_image


def declared(prefix: str) -> list[re.Pattern[str]]:
    """Each declared pattern as a regex for this prefix: a `{name}` is one key segment."""
    found = []
    for row in PATTERNS:
        text = re.escape(row.pattern.replace("{prefix}", prefix))
        text = re.sub(r"\\\{\w+\\\}", r"[^:]+", text).replace(r"\*", ".*")
        found.append(re.compile(text))
    return found


def test_every_key_an_upload_leaves_is_on_the_map(
    client: testing.TestClient, new_link: Any, settings: Settings, redis_client: Any
) -> None:
    link = new_link(max_images=5, label="map")
    holder = bearer(link["token"], new_sender())
    data = make_image(seed=1801)
    body, ctype = multipart([("images", "a.jpg", data, "image/jpeg")])
    sent = client.simulate_post("/v1/uploads", body=body, headers={"Content-Type": ctype, **holder})
    assert sent.status_code == 201, sent.text
    assert client.simulate_get("/v1/uploads/self", headers=holder).status_code == 200

    every = Keys(settings.redis_prefix).everything()
    keys = sorted(str(key) for key in redis_client.scan_iter(every))
    patterns = declared(settings.redis_prefix)
    assert len(keys) >= 8  # link, counters, images, sender list, hashes, outbox...
    assert [key for key in keys if not any(p.fullmatch(key) for p in patterns)] == []


def test_the_senders_list_has_the_upload_events_own_time(
    client: testing.TestClient, new_link: Any, settings: Settings, redis_client: Any
) -> None:
    holder = bearer(new_link()["token"], new_sender())
    body, ctype = multipart([("images", "b.jpg", make_image(seed=1802), "image/jpeg")])
    sent = client.simulate_post("/v1/uploads", body=body, headers={"Content-Type": ctype, **holder})
    assert sent.status_code == 201, sent.text

    [listed] = client.simulate_get("/v1/uploads/self", headers=holder).json["uploads"]
    # The event waits in the outbox until a worker has indexed it (none runs here).
    [event] = [json.loads(raw) for raw in redis_client.hvals(Keys(settings.redis_prefix).outbox())]
    assert listed["uploaded_at"] == event["uploaded_at"]
    assert listed["id"] == event["image_id"]
