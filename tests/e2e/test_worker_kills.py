"""Pool children killed while uploads keep coming: every task still runs, none is
dead-lettered, and the statistics end exact. A replacement child must not inherit
its parent's connections (tasks/context.py)."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psutil
import pytest
import requests

from tests.e2e.conftest import Stack, eventually
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
ROUNDS = 3
PER_ROUND = 8


def pool_children(stack: Stack) -> list[psutil.Process]:
    assert stack.worker.process is not None
    main = psutil.Process(stack.worker.process.pid)
    return main.children(recursive=True)


def upload(link: dict[str, Any], seed: int) -> int:
    body, ctype = multipart([("images", f"{seed}.png", make_image("PNG", seed=seed), "image/png")])
    answer = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)
    return answer.status_code


def test_killed_pool_children_lose_no_task(stack: Stack) -> None:
    before = stack.get("/v1/stats").json()["totals"]
    failures_before = stack.get("/v1/failures").json()["total"]
    link = stack.new_link()
    seeds = iter(range(7000, 7000 + ROUNDS * PER_ROUND))
    for _ in range(ROUNDS):
        for child in pool_children(stack)[:2]:
            os.kill(child.pid, signal.SIGKILL)
        batch = [next(seeds) for _ in range(PER_ROUND)]
        with ThreadPoolExecutor(3) as pool:  # within one API process's MAX_UPLOADS_IN_FLIGHT
            statuses = list(pool.map(lambda seed: upload(link, seed), batch))
        assert statuses == [201] * PER_ROUND

    expected = {
        "images": before["images"] + ROUNDS * PER_ROUND,
        "uploads": before["uploads"] + ROUNDS * PER_ROUND,
    }
    eventually(lambda: stack.get("/v1/stats").json()["totals"] == expected, timeout=90)
    assert stack.get("/v1/failures").json()["total"] == failures_before
