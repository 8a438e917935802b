"""The front proxy as users meet it: nginx in front of gunicorn, image bytes from the
store or nginx's cache, slow clients held by nginx, its own errors as problem+json."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest
import requests

from devstack import proxy
from devstack.servers import Backends
from inlet.outcomes import Refusal
from inlet.verification import Rejection
from tasks.verify import reject
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
BODY_TIMEOUT = 2
IMMUTABLE = "public, max-age=31536000, immutable"
TRICKLERS = 20


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(
        backends, proxy_body_timeout=f"{BODY_TIMEOUT}s", proxy_limits=proxy.Limits()
    )
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def upload(stack: Stack, data: bytes, timeout: float = 30) -> str:
    link = stack.new_link()
    body, ctype = multipart([("images", "a.jpg", data, "image/jpeg")])
    path = urllib.parse.urlsplit(link["url"]).path
    result = requests.post(
        f"{stack.url}{path}", data=body, headers={"Content-Type": ctype}, timeout=timeout
    )
    assert result.status_code == 201, result.text
    image_id = str(result.json()["images"][0]["id"])
    # Served once the worker has verified it and made its public rendition.
    renditions = stack.context().renditions
    eventually(lambda: renditions.public_hash(image_id) is not None, timeout=timeout)
    return image_id


def assert_problem(result: requests.Response, status: int) -> None:
    assert result.status_code == status, result.text
    assert result.headers["content-type"] == "application/problem+json"
    assert result.json()["status"] == status


def raw(stack: Stack, request: bytes, *, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One request on a raw socket to the proxy; its status, headers and body."""
    port = urllib.parse.urlsplit(stack.url).port or 80
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_get_through_the_proxy_keeps_every_header_range_and_304(stack: Stack) -> None:
    data = make_image("JPEG", size=(120, 80), noise=True, seed=11)
    image_id = upload(stack, data)
    url = f"{stack.url}/v1/images/{image_id}"
    got = requests.get(url, timeout=10)
    assert got.status_code == 200
    assert got.content == data
    promised = {
        "content-type": "image/jpeg",
        "content-length": str(len(data)),
        "etag": f'"{image_id}"',
        "cache-control": IMMUTABLE,
        "x-content-type-options": "nosniff",
        "accept-ranges": "bytes",
    }
    assert {k: got.headers.get(k) for k in promised} == promised
    assert "default-src 'none'" in got.headers["content-security-policy"]
    # Nothing of the store's own answer leaks (its ETag is an MD5, its CORS is its own).
    assert not [k for k in got.headers if k.lower().startswith(("x-amz", "access-control"))]
    head = requests.head(url, timeout=10)
    assert head.status_code == 200
    assert {k: head.headers.get(k) for k in promised} == promised
    for header in (f'"{image_id}"', f'W/"{image_id}"', f'"other", "{image_id}"', "*"):
        cached = requests.get(url, headers={"If-None-Match": header}, timeout=10)
        assert (cached.status_code, cached.content) == (304, b""), header
        assert cached.headers["etag"] == f'"{image_id}"'
    assert requests.get(url, headers={"If-None-Match": '"other"'}, timeout=10).status_code == 200
    for header, expected, first in (
        ("bytes=0-9", data[:10], 0),
        ("bytes=10-", data[10:], 10),
        ("bytes=-5", data[-5:], len(data) - 5),
    ):
        part = requests.get(url, headers={"Range": header}, timeout=10)
        assert (part.status_code, part.content) == (206, expected), header
        last = first + len(expected) - 1
        assert part.headers["content-range"] == f"bytes {first}-{last}/{len(data)}"
        assert part.headers["etag"] == f'"{image_id}"'
    outside = requests.get(url, headers={"Range": "bytes=999999-"}, timeout=10)
    assert_problem(outside, 416)
    assert outside.headers["content-range"] == f"bytes */{len(data)}"
    several = requests.get(url, headers={"Range": "bytes=0-1,5-6"}, timeout=10)
    assert (several.status_code, several.content) == (200, data)


def test_a_deleted_image_is_gone_at_once_though_it_was_cached(stack: Stack) -> None:
    image_id = upload(stack, make_image("JPEG", size=(64, 64), noise=True, seed=12))
    url = f"{stack.url}/v1/images/{image_id}"
    # nginx keeps an image from its second request on (proxy_cache_min_uses 2).
    assert requests.get(url, timeout=10).headers["x-cache-status"] == "MISS"
    assert requests.get(url, timeout=10).headers["x-cache-status"] == "MISS"
    assert requests.get(url, timeout=10).headers["x-cache-status"] == "HIT"
    assert requests.head(url, timeout=10).headers["x-cache-status"] == "HIT"
    deleted = requests.delete(url, headers=stack.admin, timeout=10)
    assert deleted.status_code == 204
    assert_problem(requests.get(url, timeout=10), 404)
    assert_problem(requests.get(url, headers={"Range": "bytes=0-9"}, timeout=10), 404)
    assert requests.head(url, timeout=10).status_code == 404


def test_a_rejected_image_is_gone_at_once_though_it_was_cached(stack: Stack) -> None:
    image_id = upload(stack, make_image("JPEG", size=(64, 64), noise=True, seed=13))
    url = f"{stack.url}/v1/images/{image_id}"
    for _ in range(2):
        requests.get(url, timeout=10)
    assert requests.get(url, timeout=10).headers["x-cache-status"] == "HIT"
    # What the worker does when the full decode fails.
    reject(stack.context(), image_id, Rejection(Refusal.UNDECODABLE, "truncated"))
    gone = requests.get(url, timeout=10)
    assert_problem(gone, 410)
    assert gone.json()["state"] == "rejected"


def test_the_store_answers_when_the_dedup_set_does_not_know_the_id(stack: Stack) -> None:
    data = make_image("JPEG", size=(64, 48), noise=True, seed=14)
    image_id = upload(stack, data)
    stack.context().hashes.discard(image_id)
    got = requests.get(f"{stack.url}/v1/images/{image_id}", timeout=10)
    assert (got.status_code, got.content) == (200, data)
    assert_problem(requests.get(f"{stack.url}/v1/images/{'0' * 64}", timeout=10), 404)


class Trickler(threading.Thread):
    """Connections that send an upload's headers, then a byte of its body now and then."""

    def __init__(self, stack: Stack, count: int) -> None:
        super().__init__(daemon=True)
        port = urllib.parse.urlsplit(stack.url).port or 80
        # A link's token: without one the proxy refuses before reading a body at all.
        path = urllib.parse.urlsplit(stack.new_link()["url"]).path
        head = (
            f"POST {path} HTTP/1.1\r\nHost: inlet\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n"
        )
        self.sockets = [
            socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)
        ]
        for sock in self.sockets:
            sock.sendall(head.encode())
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            for sock in self.sockets:
                sock.sendall(b"-")

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)
        for sock in self.sockets:
            sock.close()


def test_slow_clients_block_neither_uploads_nor_health(stack: Stack) -> None:
    trickler = Trickler(stack, TRICKLERS)
    trickler.start()
    try:
        time.sleep(1)
        # Without the proxy, 8 of them hold every gunicorn thread: these would wait.
        assert requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200
        upload(stack, make_image("JPEG", size=(80, 80), noise=True, seed=15), timeout=10)
        assert trickler.is_alive()
    finally:
        trickler.stop()


def test_the_proxy_answers_its_own_errors_as_problem_json(stack: Stack) -> None:
    huge = b"POST /v1/uploads/x HTTP/1.1\r\nHost: i\r\nContent-Length: 1000000000000\r\n\r\n"
    long_header = b"GET /healthz HTTP/1.1\r\nHost: i\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
    long_uri = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: i\r\n\r\n"
    for request, status in (
        (huge, 413),
        (long_header, 431),
        (long_uri, 414),
        (b"NOT HTTP\r\n\r\n", 400),
        (b"GET /_store/x HTTP/1.1\r\nHost: i\r\nConnection: close\r\n\r\n", 404),
    ):
        got, headers, body = raw(stack, request)
        assert got == status, (request[:40], body[:200])
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["status"] == status


def test_a_stalled_body_is_dropped_by_the_proxy_alone(stack: Stack) -> None:
    port = urllib.parse.urlsplit(stack.url).port or 80
    head = b"POST /v1/stalled-body HTTP/1.1\r\nHost: i\r\nContent-Length: 1000\r\n\r\n"
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=BODY_TIMEOUT + 8) as sock:
        sock.sendall(head + b"abc")
        # nginx closes a connection whose body stopped for client_body_timeout; a
        # client that stopped sending is not reading an answer either.
        assert sock.recv(65536) == b""
    assert time.monotonic() - started < BODY_TIMEOUT + 8
    # gunicorn never saw it: no thread waited on it.
    assert "stalled-body" not in stack.access_log()


def test_an_api_that_is_down_is_a_502_problem_with_retry_after(stack: Stack) -> None:
    stack.api.stop()
    try:
        down = requests.get(f"{stack.url}/healthz", timeout=10)
        assert_problem(down, 502)
        assert down.headers["retry-after"].isdigit()
    finally:
        stack.api.start()


def _lines(text: str, request_id: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if request_id in line]


def _get_from(address: str, base: str, path: str, headers: dict[str, str]) -> int:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=10, source_address=(address, 0)
    )
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_logs_show_the_client_address_and_no_token(stack: Stack) -> None:
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"}
    rid = hashlib.sha256(str(time.time()).encode()).hexdigest()[:16]
    assert _get_from("127.0.0.5", stack.url, "/healthz", {**spoofed, "X-Request-ID": rid}) == 200
    direct = f"{rid}-direct"
    assert _get_from("127.0.0.6", stack.api_url, "/healthz", {**spoofed, "X-Request-ID": direct})
    proxied = eventually(lambda: _lines(stack.proxy_log(), rid))
    assert proxied[0]["remote_addr"] == "127.0.0.5"
    # The API believes the proxy (its address is trusted), never what the client wrote.
    api_line = eventually(
        lambda: [x for x in _lines(stack.access_log(), rid) if x["request_id"] == rid]
    )
    assert api_line[0]["remote_addr"] == "127.0.0.5"
    untrusted = eventually(lambda: _lines(stack.access_log(), direct))
    assert untrusted[0]["remote_addr"] == "127.0.0.6"
    link = stack.new_link()
    # Over client_body_buffer_size: nginx spools it, a line it would log with the path.
    body, ctype = multipart([("images", "a.jpg", b"not an image" * 30_000, "image/jpeg")])
    path = urllib.parse.urlsplit(link["url"]).path
    requests.post(f"{stack.url}{path}", data=body, headers={"Content-Type": ctype}, timeout=10)
    logged = eventually(lambda: "/v1/uploads/[redacted]" in stack.proxy_log() and stack.proxy_log())
    assert link["token"] not in logged
    # nginx's own error lines quote request lines: none for requests is written.
    errors = [stack.workdir / "proxy" / name for name in ("error.log", "nginx.log")]
    assert not [p for p in errors if p.exists() and link["token"] in p.read_text()]
