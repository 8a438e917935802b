"""A crowd sending at once, through the front proxy, on the default settings: uploads
wait their turn for a bounded time instead of being refused, and what is refused gets
503 with Retry-After (never a 502)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from tests.e2e.conftest import Stack, eventually
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
Headers = CaseInsensitiveDict[str]

# A photo of about 1 MB: far more than the 64 KiB gunicorn drains of a body the API
# answered without reading.
PHOTO = make_image("JPEG", size=(1600, 1100), noise=True, seed=1717)


def unique_photo(n: int) -> bytes:
    """PHOTO made a new image: a JPEG comment segment after SOI, same pixels."""
    comment = f"crowd {n}".encode()
    return PHOTO[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + PHOTO[2:]


def send_all(link: dict[str, Any], first: int, count: int) -> list[tuple[int, Headers]]:
    """`count` uploads of one photo each, all at once; each answer's status and headers."""

    def upload(n: int) -> tuple[int, Headers]:
        body, ctype = multipart([("images", f"{n}.jpg", unique_photo(n), "image/jpeg")])
        answer = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=120)
        return answer.status_code, answer.headers

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(upload, range(first, first + count)))


def test_forty_senders_at_once_are_all_served(stack: Stack) -> None:
    link = stack.new_link()

    answers = send_all(link, 0, 40)

    assert Counter(status for status, _ in answers) == {201: 40}
    eventually(lambda: stack.get(f"/v1/links/{link['id']}").json()["used"] == 40)


def test_a_crowd_past_capacity_gets_201_or_503_with_retry_after(stack: Stack) -> None:
    link = stack.new_link()

    answers = send_all(link, 1000, 150)

    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {201, 503}, statuses
    for status, headers in answers:
        if status == 503:
            assert headers["Content-Type"] == "application/problem+json"
            assert int(headers["Retry-After"]) >= 1
    # What was accepted is counted once; nothing refused was kept.
    accepted = statuses[201]
    assert accepted > 0
    eventually(lambda: stack.get(f"/v1/links/{link['id']}").json()["used"] == accepted)


def test_an_upload_the_api_cannot_take_is_a_503_never_a_502(stack: Stack) -> None:
    link = stack.new_link()
    body, ctype = multipart([("images", "down.jpg", unique_photo(-1), "image/jpeg")])
    stack.api.stop()
    try:
        answer = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=30)
    finally:
        stack.api.start()
    assert answer.status_code == 503, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.json()["status"] == 503
