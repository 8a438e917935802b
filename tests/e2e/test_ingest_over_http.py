"""Ingest through gunicorn: concurrency, streaming limits and log hygiene."""

from __future__ import annotations

import hashlib
import socket
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from inlet.stores.clients import make_blob_store
from tests.e2e.conftest import MAX_IMAGE_BYTES, Stack
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e


def test_concurrent_uploads_of_one_new_image_store_it_once(stack: Stack) -> None:
    data = make_image("PNG", size=(256, 256), noise=True, seed=4242)
    image_id = hashlib.sha256(data).hexdigest()
    links = [stack.new_link() for _ in range(8)]

    def send(link: dict[str, str]) -> dict[str, Any]:
        body, ctype = multipart([("images", "same.png", data, "image/png")])
        for _ in range(20):
            result = requests.post(
                link["url"], data=body, headers={"Content-Type": ctype}, timeout=60
            )
            if result.status_code != 503:  # overloaded: retry as Retry-After says
                break
            time.sleep(float(result.headers["Retry-After"]) / 10)
        assert result.status_code == 201, result.text
        return dict(result.json()["images"][0])

    with ThreadPoolExecutor(8) as pool:
        entries = list(pool.map(send, links))
    assert {e["id"] for e in entries} == {image_id}
    assert sorted(e["duplicate"] for e in entries) == [False] + [True] * 7
    store = make_blob_store(stack.settings)
    assert image_id in set(store.iter_ids())
    assert store.head(image_id).size == len(data)


def test_stream_over_the_limit_is_refused_and_leaves_no_object(stack: Stack) -> None:
    link = stack.new_link()
    boundary = uuid.uuid4().hex
    png = make_image("PNG", seed=99)
    sent = {"bytes": 0}

    def body() -> Iterator[bytes]:
        # Chunked, with no Content-Length: the server must count as it reads.
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="images"; '
            f'filename="huge.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        yield png[:64]
        chunk = b"\0" * 65536
        for _ in range(MAX_IMAGE_BYTES // len(chunk) + 16):
            sent["bytes"] += len(chunk)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    result = requests.post(
        link["url"],
        data=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=60,
    )
    assert result.status_code == 413
    assert result.headers["content-type"] == "application/problem+json"
    assert result.json()["images"][0]["error"]["status"] == 413
    assert str(MAX_IMAGE_BYTES) in result.json()["images"][0]["error"]["detail"]
    store = make_blob_store(stack.settings)
    assert not any(store.head(i).size > MAX_IMAGE_BYTES for i in store.iter_ids())
    state = stack.session.get(f"{stack.url}/v1/links/{link['id']}", headers=stack.admin).json()
    assert state["used"] == 0


def test_tokens_never_reach_the_access_log(stack: Stack) -> None:
    link = stack.new_link()
    body, ctype = multipart([("images", "a.jpg", make_image(seed=77), "image/jpeg")])
    assert requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=30).ok
    requests.post(
        f"{stack.url}/v1/uploads/not-a-token",
        data=body,
        headers={"Content-Type": ctype},
        timeout=30,
    )
    admin = stack.admin["Authorization"].split()[1]
    stack.session.get(f"{stack.url}/v1/links/{link['id']}", headers=stack.admin)
    in_query = requests.get(f"{stack.url}/v1/stats?token={admin}", timeout=30)
    assert in_query.status_code == 400
    requests.get(f"{stack.url}/healthz", headers={"Referer": link["url"]}, timeout=30)
    requests.get(
        f"{stack.url}/healthz", headers={"Referer": f"https://x/?t={link['token']}"}, timeout=30
    )
    send_raw(stack, f"GET /v1/uploads/{link['token']} HTTP/1.1 junk\r\n\r\n".encode())
    stack.api.stop()  # flush the logs
    stack.api.start()
    log = stack.access_log() + stack.api.tail(2000)
    assert "/v1/uploads/[redacted]" in log
    assert link["token"] not in log
    assert "not-a-token" not in log
    assert admin not in log


def send_raw(stack: Stack, request: bytes) -> bytes:
    port = urllib.parse.urlsplit(stack.url).port or 80
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        return sock.recv(65536)


def test_concurrent_uploads_never_pass_the_byte_quota(stack: Stack) -> None:
    photos = [make_image("PNG", size=(96, 96), noise=True, seed=4300 + n) for n in range(6)]
    largest = max(len(p) for p in photos)
    link = stack.new_link(max_images=None, max_bytes=3 * largest + largest // 2)

    def send(data: bytes) -> tuple[int, Any]:
        body, ctype = multipart([("images", "p.png", data, "image/png")])
        for _ in range(20):
            result = requests.post(
                link["url"], data=body, headers={"Content-Type": ctype}, timeout=60
            )
            if result.status_code != 503:  # overloaded: retry as Retry-After says
                break
            time.sleep(float(result.headers["Retry-After"]) / 10)
        return result.status_code, result.json()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(send, photos))
    statuses = sorted(status for status, _ in answers)
    # At least three fit whatever the order; no more than the quota ever holds.
    assert statuses.count(201) >= 3
    assert set(statuses) == {201, 403}, answers
    refused = [doc["images"][0]["error"] for status, doc in answers if status == 403]
    assert {e["reason"] for e in refused} == {"quota-used-up"}
    state = stack.get(f"/v1/links/{link['id']}").json()
    accepted = [len(p) for p, (status, _) in zip(photos, answers, strict=True) if status == 201]
    assert state["used_bytes"] == sum(accepted) <= state["max_bytes"]
    assert state["used"] == len(accepted)
