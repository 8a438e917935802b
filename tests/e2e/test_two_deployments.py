"""Two API servers and two workers on the same backends, behind the front proxy: the
same new bytes uploaded through both at once are stored once, exactly one upload owns
them (duplicate: false), and the statistics are exact."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from devstack.servers import Backends
from inlet.stores.clients import make_blob_store
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
CLIENTS = 6


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(backends, replicas=2)
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def test_the_same_new_bytes_through_two_apis_are_stored_once(stack: Stack) -> None:
    assert len(stack.replicas) == 2  # a second API server and a second worker
    data = make_image("PNG", size=(256, 256), noise=True, seed=4343)
    image_id = hashlib.sha256(data).hexdigest()
    links = [stack.new_link() for _ in range(CLIENTS)]

    def send(link: dict[str, Any]) -> dict[str, Any]:
        body, ctype = multipart([("images", "same.png", data, "image/png")])
        answer = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)
        assert answer.status_code == 201, answer.text
        return dict(answer.json()["images"][0])

    with ThreadPoolExecutor(CLIENTS) as pool:
        entries = list(pool.map(send, links))

    assert sorted(e["duplicate"] for e in entries) == [False] + [True] * (CLIENTS - 1)
    assert list(make_blob_store(stack.settings).iter_ids()) == [image_id]
    for api_dir in ("api", "api1"):  # the proxy balanced the uploads over both
        assert "/v1/uploads/" in (stack.workdir / api_dir / "access.log").read_text()
    eventually(
        lambda: stack.get("/v1/stats").json()["totals"] == {"images": 1, "uploads": CLIENTS},
        timeout=60,
    )
