"""Verification in the workers: an upload that passes the header check is answered
201 pending; a worker decodes every pixel and the image becomes ready, or is rejected:
never served, never counted, visible as rejected, refused if it comes again."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.servers import Backends
from inlet.stores.clients import make_blob_store, make_redis
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import bearer, multipart, new_sender
from tests.images import make_image, png_of_zeros
from tests.support import hash_count

pytestmark = pytest.mark.e2e
MEMORY_LIMIT = "384MiB"  # below the bomb's 400 MB of pixels, whatever else is mapped
SENDER = new_sender()  # this module's uploads are one sender's, so it sees their states


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(backends, extra={"WORKER_MEMORY_LIMIT": MEMORY_LIMIT})
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def send(link: dict[str, Any], name: str, data: bytes) -> requests.Response:
    body, ctype = multipart([("images", name, data, "application/octet-stream")])
    headers = {"Content-Type": ctype, "X-Inlet-Sender": SENDER}
    return requests.post(link["url"], data=body, headers=headers, timeout=60)


def own_uploads(stack: Stack, link: dict[str, Any]) -> list[dict[str, Any]]:
    headers = bearer(link["token"], SENDER)
    result = requests.get(f"{stack.url}/v1/uploads/self", headers=headers, timeout=30)
    return list(result.json()["uploads"])


def state_of(stack: Stack, link: dict[str, Any], image_id: str) -> str:
    return str(next(u["state"] for u in own_uploads(stack, link) if u["id"] == image_id))


def totals(stack: Stack) -> dict[str, Any]:
    doc = stack.get("/v1/stats").json()
    return {"totals": doc["totals"], "formats": doc["formats"], "days": doc["uploads_per_day"]}


def truncated_jpeg() -> bytes:
    data = make_image("JPEG", size=(320, 240), noise=True, seed=501)
    return data[: len(data) * 3 // 5]


def corrupt_jpeg() -> bytes:
    data = bytearray(make_image("JPEG", size=(320, 240), noise=True, seed=502))
    scan = data.index(b"\xff\xda")
    for offset in range(scan + 200, len(data) - 200, 50):
        data[offset] = 0xFF
    return bytes(data)


def test_a_good_image_becomes_ready(stack: Stack) -> None:
    link = stack.new_link()
    data = make_image("JPEG", size=(320, 240), seed=500)
    answer = send(link, "good.jpg", data)
    assert answer.status_code == 201, answer.text
    [entry] = answer.json()["images"]
    assert entry["state"] in ("pending", "ready")

    eventually(lambda: state_of(stack, link, entry["id"]) == "ready")
    meta = eventually(
        lambda: (
            (r := stack.get(f"/v1/images/{entry['id']}/metadata")).status_code == 200 and r.json()
        )
    )
    assert meta["format"] == "JPEG"


@pytest.mark.parametrize("make", [truncated_jpeg, corrupt_jpeg], ids=["truncated", "corrupt"])
def test_a_broken_image_is_rejected_and_counts_nowhere(stack: Stack, make: Any) -> None:
    data = make()
    image_id = hashlib.sha256(data).hexdigest()
    before = totals(stack)
    link = stack.new_link()

    answer = send(link, "broken.jpg", data)
    assert answer.status_code == 201, answer.text
    assert answer.json()["images"][0]["state"] == "pending"

    eventually(lambda: state_of(stack, link, image_id) == "rejected")
    served = requests.get(f"{stack.url}/v1/images/{image_id}", timeout=30)
    assert served.status_code == 410
    assert served.headers["content-type"] == "application/problem+json"
    meta = stack.get(f"/v1/images/{image_id}/metadata")
    assert meta.status_code == 410
    assert (meta.json()["state"], meta.json()["reason"]) == ("rejected", "undecodable")
    [mine] = own_uploads(stack, link)
    assert "could not be decoded" in mine["reason"]
    assert totals(stack) == before
    assert image_id not in set(make_blob_store(stack.settings).iter_ids())

    again = send(stack.new_link(), "again.jpg", data)
    assert again.status_code == 422
    assert "rejected before" in again.json()["detail"]
    assert totals(stack) == before


def test_a_decompression_bomb_attempt_hits_the_memory_limit_alone(stack: Stack) -> None:
    bomb = png_of_zeros(10_000, 10_000)  # 400 MB of pixels in a file of a few hundred KB
    image_id = hashlib.sha256(bomb).hexdigest()
    link = stack.new_link()
    hashes_before = hash_count(make_redis(stack.settings), stack.settings.redis_prefix)

    answer = send(link, "bomb.png", bomb)
    assert answer.status_code == 201, answer.text

    eventually(lambda: state_of(stack, link, image_id) == "rejected", timeout=60)
    meta = stack.get(f"/v1/images/{image_id}/metadata").json()
    assert meta["reason"] == "too-many-pixels"
    assert hash_count(make_redis(stack.settings), stack.settings.redis_prefix) == hashes_before
    # The worker goes on with the next image.
    good = make_image("PNG", size=(64, 64), seed=503)
    assert send(link, "after.png", good).status_code == 201
    eventually(lambda: state_of(stack, link, hashlib.sha256(good).hexdigest()) == "ready")
