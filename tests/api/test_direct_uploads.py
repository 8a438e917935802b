"""Direct uploads over HTTP: by hash with a size, parts PUT to the store (moto) on the
signed URLs, then completed with the link token."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from falcon import testing

from inlet.settings import Settings
from tests.http import assert_problem, bearer, new_sender
from tests.images import make_image

SENDER = new_sender()
ORIGIN = "http://falconframework.org"  # the test client's origin: PUBLIC_BASE_URL unset


def declared(data: bytes, name: str = "a.png") -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    return {
        "sha256": digest, "filename": name, "size": len(data), "content_type": "image/png",
        "parts_sha256": [digest],
    }  # fmt: skip


def ask(client: testing.TestClient, token: str, data: bytes, who: str = SENDER) -> Any:
    body = {"images": [declared(data)]}
    return client.simulate_post("/v1/uploads", json=body, headers=bearer(token, who))


def send(settings: Settings, upload: dict[str, Any], data: bytes) -> None:
    """As the front proxy would: the same path, to the store, with the store's Host."""
    for part in upload["parts"]:
        if part["done"]:
            continue
        url = settings.s3_endpoint + part["url"].removeprefix(ORIGIN)
        chunk = data[part["offset"] : part["offset"] + part["length"]]
        answer = requests.put(url, data=chunk, headers=part["headers"], timeout=10)
        assert answer.status_code == 200, answer.text


def complete(client: testing.TestClient, upload: dict[str, Any], token: str, who: str) -> Any:
    path = upload["complete"].removeprefix(ORIGIN)
    return client.simulate_post(path, headers=bearer(token, who))


def test_an_unknown_file_with_a_size_is_offered_a_signed_upload_then_committed(
    make_client: Any, new_link: Any, settings: Settings
) -> None:
    client = make_client()
    token = new_link()["token"]
    data = make_image("PNG", seed=901)
    answer = ask(client, token, data)
    assert answer.status_code == 201, answer.text
    entry = answer.json["images"][0]
    assert (entry["state"], entry["id"]) == ("upload", hashlib.sha256(data).hexdigest())
    upload = entry["upload"]
    assert upload["part_size"] == settings.part_size
    [part] = upload["parts"]
    assert (part["number"], part["offset"], part["length"]) == (1, 0, len(data))
    assert (part["method"], part["done"]) == ("PUT", False)
    assert part["url"].startswith(f"{ORIGIN}/{settings.s3_bucket}/incoming/{upload['id']}?")
    signed = parse_qs(urlsplit(part["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert {"content-length", "x-amz-checksum-sha256"} <= set(signed)
    assert {h.lower() for h in part["headers"]} >= {"content-length", "x-amz-checksum-sha256"}

    assert_problem(complete(client, upload, token, SENDER), 409)
    send(settings, upload, data)
    done = complete(client, upload, token, SENDER)
    assert done.status_code == 201, done.text
    [image] = done.json["images"]
    assert (image["id"], image["duplicate"], image["state"]) == (entry["id"], False, "pending")
    assert_problem(complete(client, upload, token, SENDER), 404)  # once


def test_only_the_link_and_sender_that_started_it_complete_it(
    make_client: Any, new_link: Any, settings: Settings
) -> None:
    client = make_client()
    token, other = new_link()["token"], new_link()["token"]
    data = make_image("PNG", seed=902)
    upload = ask(client, token, data).json["images"][0]["upload"]
    send(settings, upload, data)
    assert_problem(complete(client, upload, other, SENDER), 404)
    assert_problem(complete(client, upload, token, new_sender()), 404)
    assert complete(client, upload, token, SENDER).status_code == 201


def test_asking_again_resumes_with_done_parts(
    make_client: Any, new_link: Any, settings: Settings
) -> None:
    client = make_client()
    token = new_link()["token"]
    data = make_image("PNG", seed=903)
    first = ask(client, token, data).json["images"][0]["upload"]
    send(settings, first, data)
    again = ask(client, token, data).json["images"][0]["upload"]
    assert again["id"] == first["id"]
    assert [p["done"] for p in again["parts"]] == [True]


def test_without_a_size_an_unknown_file_still_asks_for_its_bytes(
    make_client: Any, new_link: Any
) -> None:
    client = make_client()
    token = new_link()["token"]
    body = {"images": [{"sha256": hashlib.sha256(b"unknown").hexdigest()}]}
    result = client.simulate_post("/v1/uploads", json=body, headers=bearer(token, SENDER))
    doc = assert_problem(result, 404)
    assert doc["images"][0]["error"]["reason"] == "send-bytes"


def test_a_file_over_the_size_limit_is_refused_whatever_its_parts(
    make_client: Any, new_link: Any
) -> None:
    client = make_client()
    token = new_link()["token"]
    item = {"sha256": "ab" * 32, "size": 10**18, "parts_sha256": ["ab" * 32]}
    headers = bearer(token, SENDER)
    result = client.simulate_post("/v1/uploads", json={"images": [item]}, headers=headers)
    doc = assert_problem(result, 413)
    assert doc["images"][0]["error"]["reason"] == "too-large"
