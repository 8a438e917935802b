"""An API process killed mid-request: that request fails, nothing is half-committed,
and the master's replacement process serves the next one."""

from __future__ import annotations

import os
import signal
import socket
import time
import urllib.parse

import psutil
import pytest
import requests

from inlet.stores.clients import make_blob_store
from tests.e2e.conftest import Stack, eventually
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e


def finish(sock: socket.socket, rest: bytes) -> bytes:
    """Send the rest of the body; what comes back (nothing, on a dead connection)."""
    try:
        sock.sendall(rest)
        return sock.recv(1024)
    except OSError:
        return b""


def test_killing_the_api_mid_upload_commits_nothing(stack: Stack) -> None:
    link = stack.new_link()
    stored_before = set(make_blob_store(stack.settings).iter_ids())
    body, ctype = multipart([("images", "k.png", make_image("PNG", seed=951), "image/png")])
    path = urllib.parse.urlsplit(link["url"]).path
    api = urllib.parse.urlsplit(stack.api.url)
    assert stack.api.process is not None
    workers = psutil.Process(stack.api.process.pid).children()

    with socket.create_connection(
        (api.hostname or "127.0.0.1", api.port or 80), timeout=30
    ) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: inlet\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[: len(body) // 2])
        time.sleep(0.5)  # the request is being read by one of the workers
        for worker in workers:
            os.kill(worker.pid, signal.SIGKILL)
        assert finish(sock, body[len(body) // 2 :]) == b""  # no answer: the request died

    stack.session.close()  # its kept-alive connections died with the workers

    def healthy() -> bool:
        try:
            return requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200
        except requests.ConnectionError:
            return False

    eventually(healthy)
    assert stack.get(f"/v1/links/{link['id']}").json()["used"] == 0
    assert set(make_blob_store(stack.settings).iter_ids()) == stored_before
