"""Uploads whose body never arrives whole: nothing is committed, one log line each,
and no request thread waits longer than the configured bounds."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.servers import Backends
from inlet.stores.clients import make_blob_store
from tests.e2e.conftest import Stack, start_stack, stop_stack
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e
READ_TIMEOUT = 2


@pytest.fixture(scope="module")
def stack(backends: Backends) -> Iterator[Stack]:
    deployment = start_stack(backends, extra={"UPLOAD_READ_TIMEOUT": str(READ_TIMEOUT)})
    try:
        yield deployment
    finally:
        stop_stack(deployment)


def raw_request(stack: Stack, head: str, body: bytes, *, close: bool) -> tuple[bytes, float]:
    """Send ``head`` and ``body`` on a raw socket to the API itself (the proxy would
    buffer the body: these tests prove the API is safe without it); the answer."""
    port = urllib.parse.urlsplit(stack.api_url).port
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port or 80), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        if close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer, time.monotonic() - started


def parsed(answer: bytes) -> tuple[int, dict[str, Any]]:
    """The status and the problem document of a raw HTTP answer; fails on anything else,
    an empty answer (the connection closed unanswered) included."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    assert headers.get("content-type") == "application/problem+json", answer[:500]
    return int(status_line.split()[1]), dict(json.loads(body))


def upload_head(link: dict[str, Any], content_type: str, length: str) -> str:
    path = urllib.parse.urlsplit(link["url"]).path
    return (
        f"POST {path} HTTP/1.1\r\nHost: inlet\r\nContent-Type: {content_type}\r\n"
        f"{length}\r\nConnection: close\r\n\r\n"
    )


def state(stack: Stack, link: dict[str, Any]) -> tuple[set[str], int]:
    used = stack.get(f"/v1/links/{link['id']}").json()["used"]
    return set(make_blob_store(stack.settings).iter_ids()), int(used)


def test_a_body_shorter_than_its_content_length_commits_nothing(stack: Stack) -> None:
    link = stack.new_link()
    before = state(stack, link)
    body, ctype = multipart([("images", "a.png", make_image("PNG", seed=41), "image/png")])

    head = upload_head(link, ctype, f"Content-Length: {len(body) + 1000}")
    answer, _ = raw_request(stack, head, body, close=True)

    status, problem = parsed(answer)
    assert status == 400
    assert problem["type"].endswith("body-incomplete"), problem
    assert "nothing was stored" in problem["detail"]
    assert state(stack, link) == before


def test_a_chunked_body_cut_off_commits_nothing_and_logs_no_traceback(stack: Stack) -> None:
    link = stack.new_link()
    before = state(stack, link)
    body, ctype = multipart([("images", "b.png", make_image("PNG", seed=42), "image/png")])
    half = body[: len(body) // 2]

    head = upload_head(link, ctype, "Transfer-Encoding: chunked")
    raw_request(stack, head, f"{len(half):x}\r\n".encode() + half + b"\r\n", close=True)

    assert state(stack, link) == before
    log = stack.api.tail(400)
    assert "upload aborted, nothing stored" in log
    assert "Traceback" not in log


def test_a_client_that_stops_sending_is_dropped_after_the_read_timeout(stack: Stack) -> None:
    link = stack.new_link()
    before = state(stack, link)
    body, ctype = multipart([("images", "c.png", make_image("PNG", seed=43), "image/png")])

    head = upload_head(link, ctype, f"Content-Length: {len(body)}")
    answer, waited = raw_request(stack, head, body[:100], close=False)

    assert answer.split(b"\r\n", 1)[0].endswith(b"408 Request Timeout")
    assert waited < READ_TIMEOUT + 10
    assert state(stack, link) == before
