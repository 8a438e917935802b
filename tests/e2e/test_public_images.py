"""The public never gets a location, through the front proxy with a real worker: a JPEG,
a HEIC and a PNG with GPS in EXIF and XMP are served to anyone without it, pixels
untouched, under their own ETag; an admin's ?original=true is the stored bytes."""

from __future__ import annotations

import functools
import hashlib
import io
import re
import urllib.parse
from collections.abc import Iterator

import pytest
import requests

from devstack.servers import Backends
from inlet.metadata import extract_metadata
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import multipart
from tests.images import make_located_image
from tests.inlet.test_location import pixels

pytestmark = pytest.mark.e2e
FILES = [("photo.jpg", "JPEG"), ("photo.heic", "HEIF"), ("photo.png", "PNG")]
XMP_GPS = re.compile(rb"(?i)[\w.-]+:gps\w*")
ORIGINAL = {"original": "true"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(backends)
    try:
        yield deployment
    finally:
        stop_stack(deployment)


@pytest.fixture(scope="module")
def uploaded(stack: Stack) -> dict[str, bytes]:
    """image id -> the bytes sent, all three in one request through a link."""
    images = {name: make_located_image(fmt, seed=31, size=(96, 64)) for name, fmt in FILES}
    body, ctype = multipart([("images", name, data, "image/*") for name, data in images.items()])
    path = urllib.parse.urlsplit(stack.new_link()["url"]).path
    result = requests.post(
        f"{stack.url}{path}", data=body, headers={"Content-Type": ctype}, timeout=60
    )
    assert result.status_code == 201, result.text
    sent = {sha(data): data for data in images.values()}
    assert {entry["id"] for entry in result.json()["images"]} == set(sent)
    for data in sent.values():
        assert "location" in extract_metadata(io.BytesIO(data), len(data))
        assert XMP_GPS.search(data)
    return sent


def served(stack: Stack, image_id: str) -> requests.Response:
    """The image as an anonymous reader gets it once the worker is done."""
    url = f"{stack.url}/v1/images/{image_id}"

    def ready() -> requests.Response | None:
        answer = requests.get(url, timeout=10)
        return answer if answer.status_code == 200 else None

    return eventually(ready, timeout=60)


def test_anonymous_readers_get_no_location_and_the_same_pixels(
    stack: Stack, uploaded: dict[str, bytes]
) -> None:
    for image_id, original in uploaded.items():
        got = served(stack, image_id)
        public = got.content
        assert sha(public) != image_id
        assert got.headers["etag"] == f'"{sha(public)}"'
        assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
        found = extract_metadata(io.BytesIO(public), len(public))
        assert "location" not in found
        assert "altitude" not in found
        assert not XMP_GPS.search(public)
        assert pixels(public) == pixels(original)
        assert found["make"] == "ExifCam"  # only the location went


def test_ranges_304_and_the_cache_serve_the_rendition(
    stack: Stack, uploaded: dict[str, bytes]
) -> None:
    for image_id in uploaded:
        public = served(stack, image_id).content
        etag = f'"{sha(public)}"'
        url = f"{stack.url}/v1/images/{image_id}"
        part = requests.get(url, headers={"Range": "bytes=16-79"}, timeout=10)
        assert (part.status_code, part.content) == (206, public[16:80])
        assert part.headers["content-range"] == f"bytes 16-79/{len(public)}"
        assert part.headers["etag"] == etag
        cached = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
        assert (cached.status_code, cached.content) == (304, b"")
        not_this = requests.get(url, headers={"If-None-Match": f'"{image_id}"'}, timeout=10)
        assert not_this.status_code == 200
        head = requests.head(url, timeout=10)
        assert (head.headers["etag"], head.headers["content-length"]) == (etag, str(len(public)))
        # From the proxy's cache as well (kept from the second request on): still the rendition.
        assert requests.get(url, timeout=10).content == public
        again = requests.get(url, timeout=10)
        assert again.headers["x-cache-status"] == "HIT"
        assert again.content == public


def test_an_admin_gets_the_original_by_asking_and_it_never_reaches_the_public(
    stack: Stack, uploaded: dict[str, bytes]
) -> None:
    for image_id, original in uploaded.items():
        public = served(stack, image_id).content
        url = f"{stack.url}/v1/images/{image_id}"
        for _ in range(3):  # long enough for the proxy to cache it
            got = requests.get(url, params=ORIGINAL, headers=stack.admin, timeout=10)
            assert got.status_code == 200
            assert sha(got.content) == image_id
            assert got.content == original
            assert got.headers["etag"] == f'"{image_id}"'
            assert got.headers["cache-control"].startswith("private")
        assert requests.get(url, timeout=10).content == public
        assert requests.get(url, headers=stack.admin, timeout=10).content == public
        refused = requests.get(url, params=ORIGINAL, timeout=10)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"


def indexed(stack: Stack, image_id: str) -> dict[str, object] | None:
    answer = stack.get(f"/v1/images/{image_id}/metadata")
    return dict(answer.json()) if answer.status_code == 200 else None


def test_anonymous_metadata_has_no_location(stack: Stack, uploaded: dict[str, bytes]) -> None:
    for image_id in uploaded:
        url = f"{stack.url}/v1/images/{image_id}/metadata"
        admin = eventually(functools.partial(indexed, stack, image_id), timeout=60)
        assert admin["location"] == {"lat": 51.5, "lon": -0.12}
        anonymous = requests.get(url, timeout=10)
        assert anonymous.status_code == 200
        assert "location" not in anonymous.json()
        assert "altitude" not in anonymous.json()
        assert anonymous.json()["make"] == "ExifCam"
