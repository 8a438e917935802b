"""Image answers from the API itself (no front proxy): only ever an image."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from falcon import testing

from tests.http import multipart
from tests.images import make_image

HTML = b"<html><body><script>alert(document.domain)</script></body></html>"


@pytest.mark.parametrize(
    ("fmt", "mime", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_an_image_with_an_html_trailer_is_served_only_as_an_image(
    client: testing.TestClient, new_link: Any, fmt: str, mime: str, extension: str
) -> None:
    data = make_image(fmt, size=(40, 30), noise=True, seed=41) + HTML
    body, ctype = multipart([("images", "<script>x</script>.html", data, "text/html")])
    sent = client.simulate_post(
        f"/v1/uploads/{new_link()['token']}", body=body, headers={"Content-Type": ctype}
    )
    assert sent.status_code == 201, sent.text
    image_id = hashlib.sha256(data).hexdigest()
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
