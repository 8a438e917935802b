"""``GET /v1/failures``: what the workers recorded as failed for good, newest first."""

from __future__ import annotations

from typing import Any

from falcon import testing

from inlet.settings import Settings
from inlet.stores.deadletter import MAX_ENTRIES, DeadLetters


def test_failures_newest_first_with_the_total_the_list_forgot(
    client: testing.TestClient, admin: dict[str, str], settings: Settings, redis_client: Any
) -> None:
    letters = DeadLetters(redis_client, settings.redis_prefix)
    empty = client.simulate_get("/v1/failures", headers=admin)
    assert empty.status_code == 200
    assert empty.json == {"failures": [], "total": 0}
    for n in range(MAX_ENTRIES + 2):
        letters.record(
            task="inlet.index_image",
            task_id=f"t{n}",
            args=[f"{n}"],
            kwargs={},
            error="SearchUnavailable: " + "x" * 3000,
        )

    answer = client.simulate_get("/v1/failures", params={"limit": "2"}, headers=admin).json
    assert [f["task_id"] for f in answer["failures"]] == [f"t{MAX_ENTRIES + 1}", f"t{MAX_ENTRIES}"]
    assert answer["failures"][0]["args"] == [f"{MAX_ENTRIES + 1}"]
    assert len(answer["failures"][0]["error"]) == 2000
    assert answer["total"] == MAX_ENTRIES + 2
    everything = client.simulate_get("/v1/failures", params={"limit": "1000"}, headers=admin).json
    assert len(everything["failures"]) == MAX_ENTRIES
    assert everything["failures"][-1]["task_id"] == "t2"  # the two oldest are forgotten
