"""Image answers through the front proxy: only ever an image, and the object store
sees nothing of the client's request and decides nothing about the answer."""

from __future__ import annotations

import io
import threading
import urllib.parse
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from devstack import proxy
from devstack.servers import Backends
from tests.e2e.conftest import Stack, public_rendition, start_stack, stop_stack
from tests.e2e.test_front_door import upload
from tests.images import make_image

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(backends, proxy_limits=proxy.Limits())
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def _polyglots() -> dict[str, bytes]:
    jpeg = make_image("JPEG", size=(64, 64), noise=True, seed=33)
    html = b"<html><body><script>alert(document.domain)</script></body></html>"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.html", html)
    return {"html": jpeg + html, "zip": jpeg + archive.getvalue()}


@pytest.mark.parametrize("trailer", ["html", "zip"])
def test_a_polyglot_is_served_only_as_an_image(stack: Stack, trailer: str) -> None:
    data = _polyglots()[trailer]
    image_id = upload(stack, data, name="<b>x</b>.jpg")
    public_rendition(stack, image_id)
    url = f"{stack.url}/v1/images/{image_id}"
    # A miss, a miss and a cache hit (proxy_cache_min_uses 2): all the same answer.
    for _ in range(3):
        for got in (requests.get(url, timeout=10), requests.head(url, timeout=10)):
            assert got.status_code == 200
            assert got.headers["content-type"] == "image/jpeg"
            assert got.headers["x-content-type-options"] == "nosniff"
            csp = [d.strip() for d in got.headers["content-security-policy"].split(";")]
            assert {"default-src 'none'", "frame-ancestors 'none'", "sandbox"} <= set(csp)
            assert got.headers["referrer-policy"] == "no-referrer"
            disposition = f'inline; filename="{image_id}.jpg"'
            assert got.headers["content-disposition"] == disposition
    assert requests.get(url, timeout=10).content == data


class RecordingStore(ThreadingHTTPServer):
    """Stands where the object store stands: records each request's headers and
    answers with image bytes and headers a store should not be able to use."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.seen: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), _StoreHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _StoreHandler(BaseHTTPRequestHandler):
    server: RecordingStore
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.send_header("X-Accel-Redirect", "/v1/links")
        self.send_header("X-Accel-Buffering", "no")
        self.send_header("Set-Cookie", "store=1")
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_store_sees_no_client_header_and_redirects_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    data = make_image("JPEG", size=(32, 32), noise=True, seed=34)
    image_id = upload(stack, data)
    public_rendition(stack, image_id)
    store = RecordingStore(data)
    threading.Thread(target=store.serve_forever, daemon=True).start()
    front = proxy.proxy_service(
        tmp_path / "proxy", api_port=stack.api.port, s3_endpoint=store.url
    ).start()
    try:
        secret = {"Authorization": "Bearer secret-token", "Cookie": "session=secret-cookie"}
        got = requests.get(
            f"{front.url}/v1/images/{image_id}",
            headers={**secret, "X-Custom": "client", "User-Agent": "client-agent"},
            timeout=10,
        )
    finally:
        front.stop()
        store.shutdown()
    assert (got.status_code, got.content) == (200, data)
    assert "set-cookie" not in got.headers
    assert "x-accel-redirect" not in got.headers
    (seen,) = store.seen
    assert set(seen) <= {"host", "connection"}, seen
    assert seen["host"] == urllib.parse.urlsplit(store.url).netloc
