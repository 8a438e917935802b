"""Overload is answered within a bound: 1,000 uploads from 200 concurrent clients each
get 201 or 503 with Retry-After (never a timeout or another 5xx) while uploads wait
their turn for at most UPLOAD_QUEUE_WAIT, health checks keep answering meanwhile, and
every 201 is in the statistics afterwards."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from PIL import Image

from tests.e2e.conftest import Stack, eventually
from tests.http import multipart

pytestmark = pytest.mark.e2e
CLIENTS = 200
UPLOADS = 1000


def tiny_png(n: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color=(n % 256, n // 256 % 256, 7)).save(buffer, "PNG")
    return buffer.getvalue()


def test_uploads_past_capacity_get_503_and_the_rest_count(stack: Stack) -> None:
    link = stack.new_link(max_images=None, max_bytes=None)  # only admission may refuse
    before = stack.get("/v1/stats").json()["totals"]

    def upload(n: int) -> tuple[int, str | None]:
        body, ctype = multipart([("images", f"{n}.png", tiny_png(n), "image/png")])
        answer = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)
        return answer.status_code, answer.headers.get("Retry-After")

    def health(_: int) -> int:
        return requests.get(f"{stack.url}/healthz", timeout=60).status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        uploads = pool.map(upload, range(UPLOADS))
        checks = pool.map(health, range(50))
        answers: list[tuple[int, Any]] = list(uploads)
        healthy = list(checks)

    statuses = {status for status, _ in answers}
    assert statuses <= {201, 503}, statuses
    assert all(retry and int(retry) > 0 for status, retry in answers if status == 503)
    assert healthy == [200] * 50
    accepted = sum(status == 201 for status, _ in answers)
    assert accepted > 0
    expected = {"images": before["images"] + accepted, "uploads": before["uploads"] + accepted}
    eventually(lambda: stack.get("/v1/stats").json()["totals"] == expected, timeout=120)
