"""By-hash uploads: known images are recorded as duplicates, unknown ones ask for bytes."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from falcon import testing

from inlet import tokens
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from tests.http import assert_problem, bearer, multipart, new_sender
from tests.images import make_image

# One sender for this module's by-hash uploads; every test has its own link.
SENDER = new_sender()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def by_hash(client: testing.TestClient, token: str, *items: dict[str, Any]) -> testing.Result:
    headers = bearer(token, SENDER)
    return client.simulate_post("/v1/uploads", json={"images": list(items)}, headers=headers)


def store(client: testing.TestClient, token: str, data: bytes, name: str = "x.jpg") -> None:
    body, ctype = multipart([("images", name, data, "image/jpeg")])
    result = client.simulate_post(
        f"/v1/uploads/{token}", body=body, headers={"Content-Type": ctype}
    )
    assert result.status_code == 201, result.text


def link_state(client: testing.TestClient, admin: dict[str, str], link: dict[str, Any]) -> Any:
    return client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json


def uploads_of(client: testing.TestClient, token: str) -> list[dict[str, Any]]:
    result = client.simulate_get("/v1/uploads/self", headers=bearer(token, SENDER))
    return list(result.json["uploads"])


def test_known_image_is_recorded_as_a_duplicate(
    client: testing.TestClient, new_link: Any, admin: dict[str, str]
) -> None:
    data = make_image(seed=101)
    store(client, new_link()["token"], data)
    link = new_link(max_images=5)
    result = by_hash(client, link["token"], {"sha256": sha(data).upper(), "filename": "me.jpg"})
    assert result.status_code == 201, result.text
    assert result.json == {
        "images": [
            {
                "filename": "me.jpg",
                "id": sha(data),
                "duplicate": True,
                "state": "pending",
                "url": f"/v1/images/{sha(data)}",
            }
        ]
    }
    assert link_state(client, admin, link)["used"] == 1
    [entry] = uploads_of(client, link["token"])
    assert (entry["id"], entry["filename"], entry["duplicate"]) == (sha(data), "me.jpg", True)


def test_unknown_image_asks_for_its_bytes_and_records_nothing(
    client: testing.TestClient, new_link: Any, admin: dict[str, str], blob_store: S3BlobStore
) -> None:
    link = new_link()
    digest = sha(b"never uploaded")
    result = by_hash(client, link["token"], {"sha256": digest, "filename": "new.jpg"})
    doc = assert_problem(result, 404, "send")
    assert doc["images"] == [
        {
            "filename": "new.jpg",
            "error": {
                "status": 404,
                "reason": "send-bytes",
                "detail": doc["images"][0]["error"]["detail"],
            },
        }
    ]
    assert "send the file's bytes" in doc["images"][0]["error"]["detail"]
    assert link_state(client, admin, link)["used"] == 0
    assert uploads_of(client, link["token"]) == []
    assert digest not in set(blob_store.iter_ids())


def test_mixed_known_and_unknown_is_207_in_order(
    client: testing.TestClient, new_link: Any, admin: dict[str, str]
) -> None:
    known = make_image(seed=102)
    store(client, new_link()["token"], known)
    link = new_link()
    result = by_hash(
        client,
        link["token"],
        {"sha256": sha(b"unknown"), "filename": "a.jpg"},
        {"sha256": sha(known), "filename": "b.jpg"},
    )
    assert result.status_code == 207, result.text
    first, second = result.json["images"]
    assert first["error"]["status"] == 404
    assert "id" not in first
    assert second["duplicate"] is True
    assert second["id"] == sha(known)
    assert link_state(client, admin, link)["used"] == 1


def test_by_hash_respects_the_quota(
    client: testing.TestClient, new_link: Any, admin: dict[str, str]
) -> None:
    images = [make_image(seed=110 + i) for i in range(3)]
    owner = new_link()["token"]
    for data in images:
        store(client, owner, data)
    link = new_link(max_images=2)
    items = [{"sha256": sha(d), "filename": f"{i}.jpg"} for i, d in enumerate(images)]
    result = by_hash(client, link["token"], *items)
    assert result.status_code == 207
    assert [i.get("duplicate") for i in result.json["images"]] == [True, True, None]
    assert result.json["images"][2]["error"]["status"] == 403
    assert "quota" in result.json["images"][2]["error"]["detail"]
    assert link_state(client, admin, link)["used"] == 2
    again = by_hash(client, link["token"], items[0])
    assert_problem(again, 403, "quota")
    # A used-up link cannot tell stored images from unknown ones.
    unknown = by_hash(client, link["token"], {"sha256": sha(b"never stored"), "filename": "u"})
    assert_problem(unknown, 403, "quota")


def test_by_hash_on_an_expired_or_revoked_link(
    client: testing.TestClient, new_link: Any, admin: dict[str, str], settings: Settings
) -> None:
    data = make_image(seed=120)
    store(client, new_link()["token"], data)
    item = {"sha256": sha(data), "filename": "a.jpg"}
    fresh = new_link()
    expired = tokens.issue(
        settings.secret_key, tokens.TokenKind.LINK, fresh["id"], int(time.time()) - 30
    )
    assert_problem(by_hash(client, expired, item), 410, "expired")
    revoked = new_link()
    client.simulate_delete(f"/v1/links/{revoked['id']}", headers=admin)
    assert_problem(by_hash(client, revoked["token"], item), 410, "revoked")
    assert link_state(client, admin, fresh)["used"] == 0


def test_by_hash_through_the_token_url(client: testing.TestClient, new_link: Any) -> None:
    data = make_image(seed=121)
    store(client, new_link()["token"], data)
    link = new_link()
    path = f"/v1/uploads/{link['token']}"
    result = client.simulate_post(path, json={"images": [{"sha256": sha(data)}]})
    assert result.status_code == 201, result.text
    assert result.json["images"][0]["filename"] == ""


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "images"),
        ({"images": []}, 422, "images"),
        ({"images": "abc"}, 422, "images"),
        ({"images": [{"sha256": "abc"}]}, 422, "images[0].sha256"),
        ({"images": [{"filename": "a.jpg"}]}, 422, "images[0].sha256"),
        ({"images": [{"sha256": "0" * 64, "bytes": 3}]}, 422, "images[0].bytes"),
        ({"images": [{"sha256": "0" * 64, "size": "3"}]}, 422, "images[0].size"),
        ({"images": [{"sha256": "0" * 64, "size": -1}]}, 422, "images[0].size"),
        ({"images": [{"sha256": "0" * 64, "size": True}]}, 422, "images[0].size"),
        ({"images": [{"sha256": "0" * 64, "content_type": "x"}]}, 422, "images[0].content_type"),
        ({"images": [{"sha256": "0" * 64, "parts_sha256": ["a"]}]}, 422, "images[0].parts_sha256"),
        ({"images": [{"sha256": "0" * 64, "size": 3}]}, 422, "images[0].parts_sha256"),
        (
            {"images": [{"sha256": "0" * 64, "size": 3, "parts_sha256": ["0" * 64] * 2}]},
            422,
            "images[0].parts_sha256",
        ),
        ({"images": [{"sha256": "0" * 64, "filename": 3}]}, 422, "images[0].filename"),
        ({"images": [{"sha256": "0" * 64}, 7]}, 422, "images[1]"),
        ({"images": [{"sha256": "0" * 64}] * 4}, 413, "images"),
        ({"images": [{"sha256": "0" * 64}], "more": 1}, 422, "images"),
    ],
)
def test_by_hash_body_is_validated(
    make_client: Any, new_link: Any, body: Any, status: int, field: str
) -> None:
    client = make_client(max_files_per_request=3)
    link = new_link()
    result = client.simulate_post("/v1/uploads", json=body, headers=bearer(link["token"]))
    doc = assert_problem(result, status)
    assert doc["field"] == field


def test_by_hash_body_that_is_not_json(client: testing.TestClient, new_link: Any) -> None:
    headers = {**bearer(new_link()["token"]), "Content-Type": "application/json"}
    result = client.simulate_post("/v1/uploads", body=b"{not json", headers=headers)
    assert_problem(result, 400, "JSON")
