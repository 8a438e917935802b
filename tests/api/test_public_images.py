"""The public never gets a location: GET/HEAD serve the rendition, ?original=true is an
admin's, anonymous metadata has no location. Real Redis, S3 and search; the worker's
step (making the rendition) is run the way a worker runs it."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from elasticsearch import Elasticsearch
from falcon import testing

from inlet.metadata import extract_metadata
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.renditions import WITHHELD, public_key
from search import service
from search.documents import image_document
from search.indices import IndexNames
from tasks.context import Context
from tasks.pipeline import index_image
from tests.fakes import FakeDispatcher
from tests.http import assert_problem, bearer, multipart
from tests.images import make_located_image
from tests.inlet.test_location import pixels

ORIGINAL = {"original": "true"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def app_with(
    settings: Settings, redis_client: Any, blob_store: S3BlobStore, es: Elasticsearch
) -> Callable[..., testing.TestClient]:
    from api.app import create_app

    def build(dispatcher: FakeDispatcher, **changes: Any) -> testing.TestClient:
        app = create_app(
            settings.replace(**changes),
            redis=redis_client,
            blobs=blob_store,
            es=es,
            dispatcher=dispatcher,
        )
        return testing.TestClient(app)

    return build


def upload(client: testing.TestClient, token: str, data: bytes, name: str = "a.jpg") -> str:
    body, ctype = multipart([("images", name, data, "application/octet-stream")])
    result = client.simulate_post(
        f"/v1/uploads/{token}", body=body, headers={"Content-Type": ctype}
    )
    assert result.status_code == 201, result.text
    return sha(data)


@pytest.fixture
def located(
    client: testing.TestClient, new_link: Any, ctx: Context, names: IndexNames
) -> tuple[str, bytes]:
    """A JPEG with EXIF and XMP GPS, verified and indexed by the worker's pipeline."""
    data = make_located_image("JPEG", seed=21)
    image_id = upload(client, new_link()["token"], data)
    assert index_image(ctx, image_id) is not None
    ctx.es.indices.refresh(index=names.images)
    return image_id, data


def test_anonymous_get_is_the_rendition_without_a_location(
    client: testing.TestClient, located: tuple[str, bytes]
) -> None:
    image_id, original = located
    got = client.simulate_get(f"/v1/images/{image_id}")
    assert got.status_code == 200
    public = got.content
    assert public != original
    assert len(public) == len(original)
    assert "location" not in extract_metadata(io.BytesIO(public), len(public))
    assert b"GPSLatitude" not in public
    assert pixels(public) == pixels(original)
    assert got.headers["etag"] == f'"{sha(public)}"'
    assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
    head = client.simulate_head(f"/v1/images/{image_id}")
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == str(len(public))


def test_ranges_and_304_hold_for_the_rendition(
    client: testing.TestClient, located: tuple[str, bytes]
) -> None:
    image_id, _ = located
    public = client.simulate_get(f"/v1/images/{image_id}").content
    part = client.simulate_get(f"/v1/images/{image_id}", headers={"Range": "bytes=10-99"})
    assert part.status_code == 206
    assert part.content == public[10:100]
    assert part.headers["content-range"] == f"bytes 10-99/{len(public)}"
    cached = client.simulate_get(
        f"/v1/images/{image_id}", headers={"If-None-Match": f'"{sha(public)}"'}
    )
    assert cached.status_code == 304
    # The original's ETag is another representation: not a match.
    other = client.simulate_get(
        f"/v1/images/{image_id}", headers={"If-None-Match": f'"{image_id}"'}
    )
    assert other.status_code == 200


def test_an_admin_gets_the_original_only_when_asking_for_it(
    client: testing.TestClient, located: tuple[str, bytes], admin: dict[str, str], new_link: Any
) -> None:
    image_id, _ = located
    plain = client.simulate_get(f"/v1/images/{image_id}", headers=admin)
    assert sha(plain.content) != image_id  # the rendition, for admins too
    got = client.simulate_get(f"/v1/images/{image_id}", params=ORIGINAL, headers=admin)
    assert got.status_code == 200
    assert sha(got.content) == image_id
    assert got.headers["etag"] == f'"{image_id}"'
    assert got.headers["cache-control"].startswith("private")
    assert_problem(client.simulate_get(f"/v1/images/{image_id}", params=ORIGINAL), 401)
    assert client.simulate_head(f"/v1/images/{image_id}", params=ORIGINAL).status_code == 401
    link = bearer(new_link()["token"])
    assert_problem(
        client.simulate_get(f"/v1/images/{image_id}", params=ORIGINAL, headers=link), 403
    )


def test_before_the_worker_nothing_is_served_and_a_rendition_is_asked_for_once(
    app_with: Callable[..., testing.TestClient], new_link: Any, ctx: Context
) -> None:
    dispatcher = FakeDispatcher()
    client = app_with(dispatcher)
    data = make_located_image("PNG", seed=22)
    image_id = upload(client, new_link()["token"], data, "a.png")
    for _ in range(3):
        doc = assert_problem(client.simulate_get(f"/v1/images/{image_id}"), 503, "checked")
        assert doc["type"].endswith("/image-not-ready")
    assert client.simulate_head(f"/v1/images/{image_id}").status_code == 503
    assert client.simulate_get(f"/v1/images/{image_id}").headers["retry-after"] == "2"
    assert dispatcher.wanted == []  # pending: the job its upload queued makes it
    index_image(ctx, image_id)
    assert client.simulate_get(f"/v1/images/{image_id}").status_code == 200
    # Verified but without a record (stored before renditions existed, say): the first
    # readers queue the work, once however many they are, and still get no original.
    ctx.renditions.delete(image_id)
    for _ in range(3):
        assert_problem(client.simulate_get(f"/v1/images/{image_id}"), 503)
    assert dispatcher.wanted == [image_id]
    index_image(ctx, image_id)
    assert client.simulate_get(f"/v1/images/{image_id}").status_code == 200


def test_an_image_whose_location_cannot_be_removed_is_withheld(
    client: testing.TestClient, located: tuple[str, bytes], ctx: Context, admin: dict[str, str]
) -> None:
    image_id, _ = located
    ctx.renditions.record(image_id, WITHHELD)
    assert_problem(client.simulate_get(f"/v1/images/{image_id}"), 403, "location")
    got = client.simulate_get(f"/v1/images/{image_id}", params=ORIGINAL, headers=admin)
    assert sha(got.content) == image_id


def test_delete_takes_the_rendition_too(
    client: testing.TestClient,
    located: tuple[str, bytes],
    admin: dict[str, str],
    ctx: Context,
    blob_store: S3BlobStore,
) -> None:
    image_id, _ = located
    assert client.simulate_delete(f"/v1/images/{image_id}", headers=admin).status_code == 204
    assert ctx.renditions.public_hash(image_id) is None
    with pytest.raises(FileNotFoundError):
        ctx.renditions.store.head(image_id)
    assert_problem(client.simulate_get(f"/v1/images/{image_id}"), 404)


def test_behind_the_proxy_the_rendition_is_redirected_under_its_own_hash(
    app_with: Callable[..., testing.TestClient],
    client: testing.TestClient,
    located: tuple[str, bytes],
    admin: dict[str, str],
    settings: Settings,
) -> None:
    image_id, _ = located
    public_hash = sha(client.simulate_get(f"/v1/images/{image_id}").content)
    # Behind the proxy the API only decides; the proxy keys its cache by this hash.
    behind = app_with(FakeDispatcher(), accel_redirect_prefix="/_store")
    proxied = behind.simulate_get(f"/v1/images/{image_id}")
    target = urlsplit(proxied.headers["x-accel-redirect"]).path
    assert target == f"/_store/{public_hash}/{settings.s3_bucket}/{public_key(image_id)}"
    original = behind.simulate_get(f"/v1/images/{image_id}", params=ORIGINAL, headers=admin)
    target = urlsplit(original.headers["x-accel-redirect"]).path
    assert (
        target
        == f"/_store/{image_id}/{settings.s3_bucket}/{image_id[:2]}/{image_id[2:4]}/{image_id}"
    )


def test_metadata_has_no_location_without_an_admin_token(
    client: testing.TestClient,
    admin: dict[str, str],
    es: Elasticsearch,
    names: IndexNames,
    new_link: Any,
) -> None:
    image_id = "e" * 64
    fields = {"format": "JPEG", "make": "Cam", "location": {"lat": 51.5, "lon": -0.12}}
    doc = image_document(image_id, {**fields, "altitude": 35.5}, "2026-05-01T10:00:00Z")
    service.index_image(es, names, doc, refresh=True)
    anonymous = client.simulate_get(f"/v1/images/{image_id}/metadata")
    assert anonymous.status_code == 200
    assert anonymous.json["make"] == "Cam"
    assert "location" not in anonymous.json
    assert "altitude" not in anonymous.json
    full = client.simulate_get(f"/v1/images/{image_id}/metadata", headers=admin)
    assert full.json["location"] == {"lat": 51.5, "lon": -0.12}
    assert full.json["altitude"] == 35.5
    # A token that is presented must be an admin's: no silent downgrade.
    assert_problem(
        client.simulate_get(f"/v1/images/{image_id}/metadata", headers=bearer("nonsense")), 401
    )
    link = bearer(new_link()["token"])
    assert_problem(client.simulate_get(f"/v1/images/{image_id}/metadata", headers=link), 403)
