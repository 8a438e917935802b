"""Direct uploads end to end: asked by hash with a size, parts PUT through the front proxy
to the store on the signed URLs, completed with the link token, verified by the worker."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from devstack.servers import Backends
from inlet import parts
from tasks import pipeline
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import bearer, new_sender
from tests.images import make_image

pytestmark = pytest.mark.e2e
MiB = 1024 * 1024
PART = 5 * MiB
SENDER = new_sender()


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    extra = {"PART_SIZE": str(PART), "MAX_IMAGE_BYTES": str(16 * MiB)}
    deployment = start_stack(backends, extra=extra)
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def ask(stack: Stack, link: dict[str, Any], data: bytes) -> requests.Response:
    hashes = [
        hashlib.sha256(data[p.offset : p.offset + p.length]).hexdigest()
        for p in parts.plan(len(data), PART)
    ]
    item = {
        "sha256": hashlib.sha256(data).hexdigest(), "filename": "d.png", "size": len(data),
        "content_type": "image/png", "parts_sha256": hashes,
    }  # fmt: skip
    headers = bearer(link["token"], SENDER)
    return requests.post(
        f"{stack.url}/v1/uploads", json={"images": [item]}, headers=headers, timeout=30
    )


def offered(stack: Stack, link: dict[str, Any], data: bytes) -> dict[str, Any]:
    answer = ask(stack, link, data)
    assert answer.status_code == 201, answer.text
    [entry] = answer.json()["images"]
    assert entry["state"] == "upload", entry
    return dict(entry["upload"])


def send(upload: dict[str, Any], data: bytes, numbers: set[int] | None = None) -> None:
    for part in upload["parts"]:
        if part["done"] or (numbers is not None and part["number"] not in numbers):
            continue
        signed = parse_qs(urlsplit(part["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
        assert {"content-length", "x-amz-checksum-sha256"} <= set(signed)
        chunk = data[part["offset"] : part["offset"] + part["length"]]
        answer = requests.put(part["url"], data=chunk, headers=part["headers"], timeout=60)
        assert answer.status_code == 200, answer.text


def complete(upload: dict[str, Any], link: dict[str, Any]) -> requests.Response:
    headers = bearer(link["token"], SENDER)
    return requests.post(upload["complete"], headers=headers, timeout=30)


def state_of(stack: Stack, link: dict[str, Any], image_id: str) -> str:
    headers = bearer(link["token"], SENDER)
    mine = requests.get(f"{stack.url}/v1/uploads/self", headers=headers, timeout=30).json()
    return str(next((u["state"] for u in mine["uploads"] if u["id"] == image_id), ""))


def original(stack: Stack, image_id: str) -> bytes:
    answer = stack.get(f"/v1/images/{image_id}?original=true")
    assert answer.status_code == 200, answer.text
    return answer.content


def test_a_new_image_sent_directly_becomes_ready_and_is_the_original(stack: Stack) -> None:
    link = stack.new_link()
    data = make_image("PNG", size=(64, 48), seed=911)
    upload = offered(stack, link, data)
    assert all(p["url"].startswith(stack.url + "/") for p in upload["parts"])
    send(upload, data)
    done = complete(upload, link)
    assert done.status_code == 201, done.text
    [entry] = done.json()["images"]
    assert (entry["duplicate"], entry["state"]) == (False, "pending")
    eventually(lambda: state_of(stack, link, entry["id"]) == "ready")
    assert original(stack, entry["id"]) == data


def test_wrong_bytes_are_rejected_unserved_and_the_right_ones_stored_after(stack: Stack) -> None:
    link = stack.new_link()
    image = make_image("PNG", size=(32, 32), seed=912)
    right, wrong = image + b"\0" * 64, image + b"\1" * 64  # same length, both decode
    image_id = hashlib.sha256(right).hexdigest()
    upload = offered(stack, link, right)
    send(upload, wrong)  # with right's signed checksum: moto does not check it, the worker does
    assert complete(upload, link).status_code == 201
    eventually(lambda: state_of(stack, link, image_id) == "rejected")
    assert requests.get(f"{stack.url}/v1/images/{image_id}", timeout=30).status_code == 410

    again = offered(stack, link, right)
    send(again, right)
    assert complete(again, link).status_code == 201
    eventually(lambda: state_of(stack, link, image_id) == "ready")
    assert original(stack, image_id) == right


def test_a_multi_part_file_resumes_from_the_parts_the_store_holds(stack: Stack) -> None:
    link = stack.new_link()
    data = make_image("PNG", size=(32, 32), seed=913) + b"\0" * (11 * MiB)  # three parts
    first = offered(stack, link, data)
    assert len(first["parts"]) == 3
    send(first, data, {1, 2})
    resumed = offered(stack, link, data)
    assert resumed["id"] == first["id"]
    assert [p["done"] for p in resumed["parts"]] == [True, True, False]
    send(resumed, data)
    done = complete(resumed, link)
    assert done.status_code == 201, done.text
    image_id = done.json()["images"][0]["id"]
    eventually(lambda: state_of(stack, link, image_id) == "ready", timeout=60)


def test_another_links_token_cannot_complete_the_upload(stack: Stack) -> None:
    link, other = stack.new_link(), stack.new_link()
    data = make_image("PNG", size=(16, 16), seed=914)
    upload = offered(stack, link, data)
    send(upload, data)
    refused = complete(upload, other)
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    assert complete(upload, link).status_code == 201


def test_an_abandoned_upload_is_aborted_by_beat_and_its_quota_given_back(stack: Stack) -> None:
    link = stack.new_link()
    data = make_image("PNG", size=(32, 32), seed=915) + b"\0" * (6 * MiB)  # two parts
    upload = offered(stack, link, data)
    send(upload, data, {1})

    def quota() -> tuple[int, int]:
        doc = stack.get(f"/v1/links/{link['id']}").json()
        return doc["used"], doc["used_bytes"]

    assert quota() == (1, len(data))  # reserved when handed out
    later = datetime.now(UTC) + timedelta(hours=7)  # past DIRECT_UPLOAD_TTL and the link
    pipeline.abort_incomplete_uploads(stack.context(), now=later)
    assert quota() == (0, 0)
    assert complete(upload, link).status_code == 404
