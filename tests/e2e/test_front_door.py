"""The front door's limits and image answers, through nginx with compose's limits.

Per-address limits are met from 127.0.0.2 while 127.0.0.1 is served: Linux routes all
of 127.0.0.0/8 to the loopback interface, and nginx sees each as its own client.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from devstack import proxy
from devstack.servers import Backends
from tests.e2e.conftest import Stack, eventually, public_rendition, start_stack, stop_stack
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


def _announce_a_gigabyte(
    stack: Stack, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    """An upload's headers with a body of a gigabyte announced and never sent: an
    answer at all means the proxy did not wait for (or spool) the body."""
    port = urllib.parse.urlsplit(stack.url).port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(1024**3 - 1))
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def test_an_upload_without_a_valid_token_is_refused_before_its_body(stack: Stack) -> None:
    rid = uuid.uuid4().hex
    for path, headers in (
        ("/v1/uploads", {}),
        ("/v1/uploads", {"Authorization": "Bearer not-a-token"}),
        ("/v1/uploads/not-a-token", {}),
    ):
        answer = _announce_a_gigabyte(stack, path, {**headers, "X-Request-ID": rid})
        assert "token" in assert_problem(*answer, 401)
        assert answer[1]["www-authenticate"].startswith("Bearer")
    admin = _announce_a_gigabyte(stack, "/v1/uploads", stack.admin)
    forbidden = json.loads(admin[2])
    assert_problem(*admin, 403)
    assert forbidden["type"].endswith("/forbidden")  # the upload page's "not valid"
    # The API only checked the tokens: no upload request reached it.
    assert not [line for line in stack.access_log().splitlines() if rid in line and "POST" in line]


def test_a_revoked_link_still_gets_its_own_answer(stack: Stack) -> None:
    link = stack.new_link()
    assert requests.delete(f"{stack.url}/v1/links/{link['id']}", headers=stack.admin, timeout=10).ok
    path = urllib.parse.urlsplit(link["url"]).path
    body, ctype = multipart([("images", "a.jpg", make_image(seed=36), "image/jpeg")])
    # The check lets a signed token through; the API says what became of its link.
    answer = send(stack, "POST", path, body=body, headers={"Content-Type": ctype})
    assert_problem(*answer, 410)
    assert json.loads(answer[2])["type"].endswith("/link-revoked")


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
    public_rendition(stack, image_id)
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
        [sys.executable, "-m", "uploader", link["page_url"], str(tmp_path)],
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
    # docs/front-proxy.md's sizing of the limits quotes these (pytest -s shows them).
    peak = max(per_second.values())
    print(f"\nterminal uploader, 20 files: {len(lines)} requests, peak {peak}/s")
    assert not [x for x in lines if x["status"] == 429]


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
