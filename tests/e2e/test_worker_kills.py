"""Pool children killed while uploads keep coming and tasks are running: every task
still runs (the interrupted ones again), none is dead-lettered, and the statistics end
exact. A replacement child must not inherit its parent's connections (tasks/context.py)."""

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
from tests.images import make_exif, make_image

pytestmark = pytest.mark.e2e
ROUNDS = 3
PER_ROUND = 8


def pool_children(stack: Stack) -> list[psutil.Process]:
    assert stack.worker.process is not None
    main = psutil.Process(stack.worker.process.pid)
    return main.children(recursive=True)


def upload(link: dict[str, Any], name: str, data: bytes) -> int:
    body, ctype = multipart([("images", name, data, "application/octet-stream")])
    answer = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)
    return answer.status_code


def round_of_uploads(stack: Stack, link: dict[str, Any], round_no: int) -> list[int]:
    """Upload a batch whose first image's task holds a pool child (tests/e2e/extractors.py,
    "SLOW-"); kill that child mid-task, and its sibling, while the rest still uploads."""
    model = f"SLOW-pool-{round_no}"
    slow = make_image("JPEG", seed=6900 + round_no, exif=make_exif(make="Kill", model=model))
    batch = [(f"slow{round_no}.jpg", slow)] + [
        (f"{seed}.png", make_image("PNG", seed=seed))
        for seed in range(7000 + round_no * PER_ROUND, 7000 + (round_no + 1) * PER_ROUND - 1)
    ]
    runs = stack.workdir / "markers" / f"{model}.runs"
    with ThreadPoolExecutor(3) as pool:  # within one API process's MAX_UPLOADS_IN_FLIGHT
        answers = [pool.submit(upload, link, name, data) for name, data in batch]
        busy = int(eventually(lambda: runs.exists() and runs.read_text().split()[0], timeout=30))
        for pid in {busy} | {child.pid for child in pool_children(stack)}:
            os.kill(pid, signal.SIGKILL)
        statuses = [answer.result() for answer in answers]
    # The interrupted task ran again, in another process.
    reruns = eventually(lambda: len(pids := runs.read_text().split()) == 2 and pids, timeout=60)
    assert reruns[0] == str(busy) != reruns[1]
    return statuses


def test_killed_pool_children_lose_no_task(stack: Stack) -> None:
    before = stack.get("/v1/stats").json()["totals"]
    failures_before = stack.get("/v1/failures").json()["total"]
    link = stack.new_link()
    for round_no in range(ROUNDS):
        assert round_of_uploads(stack, link, round_no) == [201] * PER_ROUND

    expected = {
        "images": before["images"] + ROUNDS * PER_ROUND,
        "uploads": before["uploads"] + ROUNDS * PER_ROUND,
    }
    eventually(lambda: stack.get("/v1/stats").json()["totals"] == expected, timeout=90)
    assert stack.get("/v1/failures").json()["total"] == failures_before
