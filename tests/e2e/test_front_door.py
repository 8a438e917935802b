"""The front door's limits and image answers, through nginx with compose's limits.

Per-address limits are met from 127.0.0.2 while 127.0.0.1 is served: Linux routes all
of 127.0.0.0/8 to the loopback interface, and nginx sees each as its own client.
"""

from __future__ import annotations

import http.client
import io
import json
import subprocess
import sys
import threading
import urllib.parse
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from devstack import proxy
from devstack.servers import Backends
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
BURST = 500


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(backends, proxy_limits=proxy.Limits())
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def send(
    stack: Stack,
    method: str,
    path: str,
    *,
    source: str = "127.0.0.1",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request to the proxy from the loopback address ``source``."""
    port = urllib.parse.urlsplit(stack.url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def upload(stack: Stack, data: bytes, name: str = "a.jpg") -> str:
    link = stack.new_link()
    body, ctype = multipart([("images", name, data, "image/jpeg")])
    headers = {"Content-Type": ctype, "Authorization": f"Bearer {link['token']}"}
    status, _, answer = send(stack, "POST", "/v1/uploads", body=body, headers=headers)
    assert status == 201, answer
    return str(json.loads(answer)["images"][0]["id"])


def assert_problem(status: int, headers: dict[str, str], body: bytes, expected: int) -> str:
    assert status == expected, body[:300]
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == expected
    return str(problem["detail"])


def test_a_large_body_outside_uploads_is_413_before_the_api(stack: Stack) -> None:
    rid = uuid.uuid4().hex
    headers = {**stack.admin, "Content-Type": "application/json", "X-Request-ID": rid}
    body = b'{"expires_in": 3600, "note": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    answer = send(stack, "POST", "/v1/links", body=body, headers=headers)
    assert "64k" in assert_problem(*answer, 413)
    assert rid in eventually(stack.proxy_log)
    assert rid not in stack.access_log()
    # Uploads keep their own, large limit: a body of 1 MB goes through.
    big = make_image("PNG", size=(600, 600), noise=True, seed=31)
    assert len(big) > 1024 * 1024
    assert upload(stack, big)


def test_an_upload_without_any_token_is_refused_before_its_body(stack: Stack) -> None:
    port = urllib.parse.urlsplit(stack.url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        # A body of a gigabyte announced, and never sent: the answer comes at once.
        conn.putrequest("POST", "/v1/uploads")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(1024**3 - 1))
        conn.endheaders()
        answer = conn.getresponse()
        headers = {k.lower(): v for k, v in answer.getheaders()}
        detail = assert_problem(answer.status, headers, answer.read(), 401)
    finally:
        conn.close()
    assert "token" in detail
    assert headers["www-authenticate"].startswith("Bearer")


def _burst(stack: Stack, source: str, count: int) -> Counter[int]:
    """``count`` uploads with a bad token from ``source``, 8 at a time."""
    headers = {"Authorization": "Bearer not-a-token", "Content-Type": "application/json"}
    body = json.dumps({"images": [{"sha256": "0" * 64}]}).encode()
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def one(_: int) -> None:
        status, got, text = send(
            stack, "POST", "/v1/uploads", source=source, body=body, headers=headers
        )
        if status == 429:
            assert got["retry-after"].isdigit()
            assert_problem(status, got, text, 429)
        with lock:
            statuses[status] += 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(count)))
    return statuses


def test_a_burst_with_a_bad_token_meets_429_while_a_page_upload_works(stack: Stack) -> None:
    with ThreadPoolExecutor(1) as pool:
        burst = pool.submit(_burst, stack, "127.0.0.2", BURST)
        # As the upload page sends a photo: its token in Authorization, from its own address.
        image_id = upload(stack, make_image("JPEG", size=(90, 90), noise=True, seed=32))
        statuses = burst.result(timeout=120)
    print(f"\nburst of {BURST} with a bad token from 127.0.0.2: {dict(statuses)}")
    assert sum(statuses.values()) == BURST
    assert statuses[429] > 0, statuses
    assert set(statuses) <= {401, 429}, statuses
    got = requests.get(f"{stack.url}/v1/images/{image_id}", timeout=10)
    assert got.status_code == 200


def test_the_terminal_uploader_never_meets_the_limits(stack: Stack, tmp_path: Path) -> None:
    for i in range(20):
        data = make_image("JPEG", size=(96, 96), noise=True, seed=700 + i)
        (tmp_path / f"img{i:02d}.jpg").write_bytes(data)
    link = stack.new_link(max_images=40)
    start = len(stack.proxy_log().splitlines())
    done = subprocess.run(
        [sys.executable, "-m", "inlet.upload", link["page_url"], str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "20 stored" in done.stdout
    lines = [json.loads(line) for line in stack.proxy_log().splitlines()][start:]
    per_second = Counter(x["time"] for x in lines)
    # README's sizing of the limits quotes these (pytest -s shows them).
    peak = max(per_second.values())
    print(f"\nterminal uploader, 20 files: {len(lines)} requests, peak {peak}/s")
    assert not [x for x in lines if x["status"] == 429]


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


def test_an_upload_the_api_cannot_take_is_503_never_502(stack: Stack) -> None:
    link = stack.new_link()
    path = urllib.parse.urlsplit(link["url"]).path
    body, ctype = multipart([("images", "a.jpg", make_image(seed=35), "image/jpeg")])
    stack.api.stop()
    try:
        answer = send(stack, "POST", path, body=body, headers={"Content-Type": ctype})
        health = send(stack, "GET", "/healthz")
    finally:
        stack.api.start()
    assert "send it again" in assert_problem(*answer, 503)
    assert answer[1]["retry-after"].isdigit()
    # Anything but an upload keeps saying what happened: the API is not answering.
    assert_problem(*health, 502)
