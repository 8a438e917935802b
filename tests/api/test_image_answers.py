"""Image answers from the API itself: only ever an image, and an unknown id costs
no request to the store once the dedup index is complete."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from falcon import testing

from api.app import create_app
from devstack.servers import free_port
from inlet.outcomes import Refusal
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore, make_s3_client
from inlet.stores.dedup import HashIndex
from inlet.stores.verification import ImageStates
from inlet.verification import Rejection
from tasks.context import Context
from tasks.pipeline import index_image
from tests.http import assert_problem, multipart
from tests.images import make_image

HTML = b"<html><body><script>alert(document.domain)</script></body></html>"


@pytest.mark.parametrize(
    ("fmt", "mime", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_an_image_with_an_html_trailer_is_served_only_as_an_image(
    client: testing.TestClient, new_link: Any, ctx: Context, fmt: str, mime: str, extension: str
) -> None:
    data = make_image(fmt, size=(40, 30), noise=True, seed=41) + HTML
    body, ctype = multipart([("images", "<script>x</script>.html", data, "text/html")])
    sent = client.simulate_post(
        f"/v1/uploads/{new_link()['token']}", body=body, headers={"Content-Type": ctype}
    )
    assert sent.status_code == 201, sent.text
    image_id = hashlib.sha256(data).hexdigest()
    assert index_image(ctx, image_id) is not None  # verified, its public rendition made
    for method in ("GET", "HEAD"):
        got = client.simulate_request(method, f"/v1/images/{image_id}")
        assert got.status_code == 200
        assert got.headers["content-type"] == mime
        assert got.headers["x-content-type-options"] == "nosniff"
        csp = {d.strip() for d in got.headers["content-security-policy"].split(";")}
        assert {"default-src 'none'", "frame-ancestors 'none'", "sandbox"} <= csp
        assert got.headers["referrer-policy"] == "no-referrer"
        disposition = f'inline; filename="{image_id}.{extension}"'
        assert got.headers["content-disposition"] == disposition
    assert client.simulate_get(f"/v1/images/{image_id}").content == data


def test_an_unknown_id_is_answered_without_the_store_once_the_index_is_complete(
    settings: Settings, redis_client: Any
) -> None:
    dead = S3BlobStore(
        make_s3_client(f"http://127.0.0.1:{free_port()}", "k", "s", "us-east-1"), "dead-store"
    )
    behind_proxy = settings.replace(accel_redirect_prefix="/_store")
    client = testing.TestClient(create_app(behind_proxy, redis=redis_client, blobs=dead))
    unknown, rejected = "a" * 64, "b" * 64
    ImageStates(redis_client, settings.redis_prefix).mark_rejected(
        rejected, Rejection(Refusal.UNDECODABLE, "truncated")
    )
    hashes = HashIndex(redis_client, settings.redis_prefix)
    # Not yet reconciled (a new deployment, a Redis that lost data): the store decides.
    assert_problem(client.simulate_get(f"/v1/images/{unknown}"), 503, "unavailable")
    hashes.mark_complete()
    for method in ("GET", "HEAD"):
        assert client.simulate_request(method, f"/v1/images/{unknown}").status_code == 404
    assert_problem(client.simulate_get(f"/v1/images/{unknown}"), 404, "no image")
    gone = assert_problem(client.simulate_get(f"/v1/images/{rejected}"), 410, "rejected")
    assert gone["reason"] == Refusal.UNDECODABLE.value
