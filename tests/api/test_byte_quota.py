"""Byte quotas against real Redis, S3 and search: a file that would pass a link's
`max_bytes` is refused on its own, the rest of the request is not, and no mix of
concurrent requests overshoots either quota."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from falcon import testing

from inlet.links import RETENTION, Shortfall
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.links import LinkStore
from tests.http import assert_problem, bearer, multipart
from tests.images import make_image


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(client: testing.TestClient, token: str, *files: tuple[str, bytes]) -> testing.Result:
    body, ctype = multipart([("images", name, data, "image/png") for name, data in files])
    return client.simulate_post(f"/v1/uploads/{token}", body=body, headers={"Content-Type": ctype})


def by_hash(client: testing.TestClient, token: str, *images: bytes) -> testing.Result:
    items = [{"sha256": sha(data), "filename": f"{i}.png"} for i, data in enumerate(images)]
    return client.simulate_post("/v1/uploads", json={"images": items}, headers=bearer(token))


def link_state(client: testing.TestClient, admin: dict[str, str], link: dict[str, Any]) -> Any:
    return client.simulate_get(f"/v1/links/{link['id']}", headers=admin).json


def pngs(*seeds: int) -> list[bytes]:
    return [make_image("PNG", seed=seed, size=(48, 48), noise=True) for seed in seeds]


def test_a_file_that_would_pass_max_bytes_is_refused_per_file(
    client: testing.TestClient, admin: dict[str, str], new_link: Any, blob_store: S3BlobStore
) -> None:
    a, b, small = [*pngs(1, 2), make_image("PNG", seed=3, size=(4, 4))]
    assert len(small) < len(b)
    link = new_link(max_images=None, max_bytes=len(a) + len(small))

    result = upload(client, link["token"], ("a.png", a), ("b.png", b), ("small.png", small))

    assert result.status_code == 207, result.text
    first, refused, last = result.json["images"]
    assert (first["id"], last["id"]) == (sha(a), sha(small))
    error = refused["error"]
    assert (refused["filename"], error["status"], error["reason"]) == (
        "b.png",
        403,
        "quota-used-up",
    )
    assert f"{len(b)} bytes do not fit in the {len(small)} bytes left" in error["detail"]
    assert not blob_store.exists(sha(b))
    state = link_state(client, admin, link)
    assert (state["used"], state["used_bytes"]) == (2, len(a) + len(small))
    assert (state["max_bytes"], state["state"]) == (len(a) + len(small), "used_up")
    listed = client.simulate_get("/v1/links", headers=admin).json["links"]
    [row] = [row for row in listed if row["id"] == link["id"]]
    assert (row["used_bytes"], row["max_bytes"]) == (len(a) + len(small), len(a) + len(small))
    # Used up: the whole request is refused, as for the image quota.
    again = upload(client, link["token"], ("b.png", b))
    doc = assert_problem(again, 403, "quota")
    assert doc["images"][0]["error"]["reason"] == "quota-used-up"
    self_doc = client.simulate_get("/v1/uploads/self", headers=bearer(link["token"])).json
    assert (self_doc["remaining_bytes"], self_doc["remaining"]) == (0, None)


def test_the_byte_quota_holds_across_requests_and_duplicates_count_their_size(
    client: testing.TestClient, admin: dict[str, str], new_link: Any
) -> None:
    a, b = pngs(4, 5)
    link = new_link(max_bytes=2 * len(a) + len(b) - 1)
    assert upload(client, link["token"], ("a.png", a)).status_code == 201
    # The same bytes again are a duplicate: stored once, counted again for this link.
    twice = upload(client, link["token"], ("again.png", a))
    assert twice.status_code == 201
    assert twice.json["images"][0]["duplicate"] is True
    assert link_state(client, admin, link)["used_bytes"] == 2 * len(a)
    doc = assert_problem(upload(client, link["token"], ("b.png", b)), 403, "do not fit")
    assert doc["images"][0]["error"]["reason"] == "quota-used-up"
    assert link_state(client, admin, link)["used_bytes"] == 2 * len(a)


def test_by_hash_counts_the_stored_size_and_asks_for_bytes_that_would_not_fit(
    client: testing.TestClient, admin: dict[str, str], new_link: Any
) -> None:
    small, large = pngs(6, 7)
    owner = new_link()["token"]
    assert upload(client, owner, ("s.png", small), ("l.png", large)).status_code == 201
    link = new_link(max_bytes=len(small) + len(large) - 1)

    known = by_hash(client, link["token"], small)
    assert known.status_code == 201
    assert link_state(client, admin, link)["used_bytes"] == len(small)
    # Stored, but too large for what is left: answered as for unknown bytes, so the
    # quota never tells a holder which images are stored ...
    too_large = assert_problem(by_hash(client, link["token"], large), 404, "SHA-256")
    assert too_large["images"][0]["error"]["reason"] == "send-bytes"
    # ... and the bytes themselves are refused by the quota.
    doc = assert_problem(upload(client, link["token"], ("l.png", large)), 403, "do not fit")
    assert doc["images"][0]["error"]["reason"] == "quota-used-up"
    assert link_state(client, admin, link)["used_bytes"] == len(small)


def test_concurrent_reservations_never_overshoot_either_quota(
    redis_client: Any, settings: Settings
) -> None:
    store = LinkStore(redis_client, settings.redis_prefix)
    by_bytes = store.create(int(time.time()) + 600, None, max_bytes=1000)
    by_images = store.create(int(time.time()) + 600, 5, max_bytes=10**6)

    with ThreadPoolExecutor(16) as pool:
        byte_answers = list(pool.map(lambda _: store.reserve(by_bytes, 300), range(40)))
        image_answers = list(pool.map(lambda _: store.reserve(by_images, 10), range(40)))

    assert byte_answers.count(None) == 3
    assert set(byte_answers) == {None, Shortfall(bytes_left=100)}
    assert image_answers.count(None) == 5
    assert set(image_answers) == {None, Shortfall()}
    after = store.get(by_bytes.id)
    assert (after.used, after.used_bytes, after.state()) == (3, 900, "active")
    store.release(after, 300)
    released = store.get(by_bytes.id)
    assert (released.used, released.used_bytes) == (2, 600)
    assert store.get(by_images.id).state() == "used_up"


def test_a_link_from_before_byte_quotas_keeps_no_byte_limit(
    client: testing.TestClient, admin: dict[str, str], redis_client: Any, settings: Settings
) -> None:
    store = LinkStore(redis_client, settings.redis_prefix)
    link = store.create(int(time.time()) + 600, 3, max_bytes=None)
    # What an older release wrote: no max_bytes field and no bytes counter.
    key = f"{settings.redis_prefix}:link:{link.id}"
    redis_client.hdel(key, "max_bytes")
    redis_client.delete(f"{key}:used_bytes")
    old = store.get(link.id)
    assert (old.max_bytes, old.used_bytes, old.bytes_left) == (None, 0, None)

    assert store.reserve(old, 10**12) is None

    after = store.get(link.id)
    assert (after.used, after.used_bytes, after.max_bytes) == (1, 10**12, None)
    # The new counter lives as long as the record, like the image counter.
    expires_at = redis_client.expiretime(f"{key}:used_bytes")
    assert expires_at == link.expires_at + RETENTION
    state = link_state(client, admin, {"id": link.id})
    assert (state["max_bytes"], state["used_bytes"], state["state"]) == (None, 10**12, "active")
