from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

import pytest
from falcon import testing

from api.app import create_app
from devstack.servers import free_port
from inlet.outcomes import Refusal
from inlet.settings import Settings
from inlet.stores.blobstore import BlobStore, S3BlobStore, make_s3_client
from inlet.stores.dedup import HashIndex
from inlet.stores.renditions import Renditions, public_store
from inlet.stores.verification import ImageStates
from inlet.verification import Rejection
from tasks.context import Context
from tasks.renditions import ensure_rendition
from tests.http import assert_problem, multipart
from tests.images import make_image


@pytest.fixture
def stored_image(
    client: testing.TestClient, new_link: Any, ctx: Context, blob_store: S3BlobStore
) -> tuple[str, bytes]:
    """An image without a location, as a worker left it: its rendition is itself."""
    data = make_image("JPEG", size=(120, 80), noise=True, seed=1)
    body, ctype = multipart([("images", "a.jpg", data, "image/jpeg")])
    result = client.simulate_post(
        f"/v1/uploads/{new_link()['token']}", body=body, headers={"Content-Type": ctype}
    )
    assert result.status_code == 201
    image_id = hashlib.sha256(data).hexdigest()
    assert ensure_rendition(ctx, image_id, blob_store.head(image_id)) == image_id
    return image_id, data


def test_image_headers(client: testing.TestClient, stored_image: tuple[str, bytes]) -> None:
    image_id, data = stored_image
    result = client.simulate_get(f"/v1/images/{image_id}")
    assert result.status_code == 200
    assert result.content == data
    assert result.headers["content-type"] == "image/jpeg"
    assert result.headers["content-length"] == str(len(data))
    assert result.headers["etag"] == f'"{image_id}"'
    assert result.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert result.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in result.headers["content-security-policy"]


def test_if_none_match_is_304(client: testing.TestClient, stored_image: tuple[str, bytes]) -> None:
    image_id, _ = stored_image
    for header in (f'"{image_id}"', f'W/"{image_id}"', f'"other", "{image_id}"', "*"):
        result = client.simulate_get(f"/v1/images/{image_id}", headers={"If-None-Match": header})
        assert result.status_code == 304, header
        assert result.content == b""
        assert result.headers["etag"] == f'"{image_id}"'
    other = client.simulate_get(f"/v1/images/{image_id}", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200


def test_if_none_match_does_not_touch_the_store(settings: Settings, redis_client: Any) -> None:
    dead = S3BlobStore(
        make_s3_client(f"http://127.0.0.1:{free_port()}", "k", "s", "us-east-1"), "dead-store"
    )
    client = testing.TestClient(create_app(settings, redis=redis_client, blobs=dead))
    image_id = "a" * 64
    renditions(settings, redis_client, dead).record(image_id, image_id)
    result = client.simulate_get(
        f"/v1/images/{image_id}", headers={"If-None-Match": f'"{image_id}"'}
    )
    assert result.status_code == 304
    unavailable = client.simulate_get(f"/v1/images/{image_id}")
    assert_problem(unavailable, 503, "unavailable")


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-9", 0, 9), ("bytes=10-", 10, None), ("bytes=-5", -5, None)],
)
def test_range_requests(
    client: testing.TestClient,
    stored_image: tuple[str, bytes],
    header: str,
    start: int,
    end: int | None,
) -> None:
    image_id, data = stored_image
    result = client.simulate_get(f"/v1/images/{image_id}", headers={"Range": header})
    assert result.status_code == 206
    expected = data[start:] if end is None else data[start : end + 1]
    assert result.content == expected
    assert result.headers["content-length"] == str(len(expected))
    first = start if start >= 0 else len(data) + start
    assert (
        result.headers["content-range"] == f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    )


def test_unsatisfiable_range_is_416(
    client: testing.TestClient, stored_image: tuple[str, bytes]
) -> None:
    image_id, data = stored_image
    result = client.simulate_get(f"/v1/images/{image_id}", headers={"Range": "bytes=999999-"})
    assert_problem(result, 416)
    assert result.headers["content-range"] == f"bytes */{len(data)}"


def test_unsupported_range_serves_everything(
    client: testing.TestClient, stored_image: tuple[str, bytes]
) -> None:
    image_id, data = stored_image
    result = client.simulate_get(f"/v1/images/{image_id}", headers={"Range": "bytes=0-1,5-6"})
    assert result.status_code == 200
    assert result.content == data


@pytest.mark.parametrize("image_id", ["0" * 64, "xyz", "A" * 64, "0" * 63])
def test_unknown_or_malformed_id_is_404(client: testing.TestClient, image_id: str) -> None:
    assert_problem(client.simulate_get(f"/v1/images/{image_id}"), 404)


SHARED_HEADERS = ("etag", "cache-control", "content-security-policy", "accept-ranges")


def test_head_answers_with_the_headers_of_get(
    client: testing.TestClient, stored_image: tuple[str, bytes]
) -> None:
    image_id, _ = stored_image
    got = client.simulate_get(f"/v1/images/{image_id}")
    head = client.simulate_head(f"/v1/images/{image_id}")
    assert head.status_code == 200
    assert head.content == b""
    for name in (*SHARED_HEADERS, "content-type", "content-length"):
        assert head.headers[name] == got.headers[name], name
    again = client.simulate_head(
        f"/v1/images/{image_id}", headers={"If-None-Match": f'"{image_id}"'}
    )
    assert again.status_code == 304


def test_head_of_a_missing_image_is_the_404_of_get(client: testing.TestClient) -> None:
    missing = "0" * 64
    got = client.simulate_get(f"/v1/images/{missing}")
    head = client.simulate_head(f"/v1/images/{missing}")
    assert (got.status_code, head.status_code) == (404, 404)
    assert head.headers["content-type"] == got.headers["content-type"] == "application/problem+json"


def renditions(settings: Settings, redis_client: Any, blobs: BlobStore) -> Renditions:
    return Renditions(redis_client, settings.redis_prefix, public_store(blobs))


def blob_store_at(bucket: str) -> S3BlobStore:
    return S3BlobStore(make_s3_client(f"http://127.0.0.1:{free_port()}", "k", "s", "r"), bucket)


def _behind_the_proxy(settings: Settings, redis_client: Any) -> tuple[testing.TestClient, str]:
    """The API as compose runs it, on a store that cannot be reached."""
    dead = S3BlobStore(
        make_s3_client(f"http://127.0.0.1:{free_port()}", "k", "s", "us-east-1"), "dead-store"
    )
    proxied = settings.replace(accel_redirect_prefix="/_store")
    return testing.TestClient(create_app(proxied, redis=redis_client, blobs=dead)), "dead-store"


def test_behind_the_proxy_a_known_id_is_redirected_without_asking_the_store(
    settings: Settings, redis_client: Any
) -> None:
    client, bucket = _behind_the_proxy(settings, redis_client)
    image_id = "b" * 64
    HashIndex(redis_client, settings.redis_prefix).add(image_id)
    renditions(settings, redis_client, blob_store_at(bucket)).record(image_id, image_id)
    for method in (client.simulate_get, client.simulate_head):
        result = method(f"/v1/images/{image_id}")
        assert result.status_code == 200
        target = urlsplit(result.headers["x-accel-redirect"])
        assert target.path == f"/_store/{image_id}/{bucket}/bb/bb/{image_id}"
        assert "X-Amz-Signature=" in target.query
        assert "X-Amz-Expires=60" in target.query
        assert result.content == b""


def test_behind_the_proxy_an_unknown_id_is_asked_of_the_store(
    settings: Settings, redis_client: Any
) -> None:
    client, _ = _behind_the_proxy(settings, redis_client)
    # The SET is an index, not the truth: an id it does not hold is looked up.
    assert_problem(client.simulate_get(f"/v1/images/{'c' * 64}"), 503, "unavailable")


def test_behind_the_proxy_a_rejected_image_is_410_from_redis_alone(
    settings: Settings, redis_client: Any
) -> None:
    client, _ = _behind_the_proxy(settings, redis_client)
    image_id = "d" * 64
    states = ImageStates(redis_client, settings.redis_prefix)
    states.mark_rejected(image_id, Rejection(Refusal.UNDECODABLE, "truncated JPEG"))
    doc = assert_problem(client.simulate_get(f"/v1/images/{image_id}"), 410)
    assert doc["state"] == "rejected"
    assert client.simulate_head(f"/v1/images/{image_id}").status_code == 410


def test_directly_the_api_streams_the_bytes_itself(
    client: testing.TestClient, stored_image: tuple[str, bytes]
) -> None:
    image_id, data = stored_image
    result = client.simulate_get(f"/v1/images/{image_id}")
    assert "x-accel-redirect" not in result.headers
    assert result.content == data
