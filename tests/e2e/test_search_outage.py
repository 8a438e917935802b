"""The search server goes away during uploads: uploads still succeed, and every
image is indexed once it is back (by retries, and by `python -m api reindex` for
what the lost server forgot)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack import servers
from devstack.servers import Backends
from tests.e2e.conftest import Stack, eventually, start_stack, stop_stack
from tests.http import multipart
from tests.images import make_image

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def outage(backends: Backends) -> Iterator[tuple[Stack, servers.Service]]:
    if backends.search is None:
        pytest.skip("ELASTICSEARCH_URL is external: this test stops its own search server")
    search = servers.search_service(backends.workdir / "outage-search").start()
    stack = start_stack(backends, search_url=search.url)
    try:
        yield stack, search
    finally:
        stop_stack(stack)
        search.stop()


def upload(stack: Stack, *seeds: int) -> list[str]:
    link = stack.new_link()
    parts = [("images", f"{s}.png", make_image("PNG", seed=s), "image/png") for s in seeds]
    body, ctype = multipart(parts)
    result = requests.post(link["url"], data=body, headers={"Content-Type": ctype}, timeout=60)
    assert result.status_code == 201, result.text
    return [entry["id"] for entry in result.json()["images"]]


def totals(stack: Stack) -> dict[str, Any]:
    result = stack.get("/v1/stats")
    return dict(result.json()["totals"]) if result.status_code == 200 else {}


def test_uploads_survive_a_search_outage(outage: tuple[Stack, servers.Service]) -> None:
    stack, search = outage
    upload(stack, 1)
    eventually(lambda: totals(stack) == {"images": 1, "uploads": 1})

    search.kill()
    during = upload(stack, 2, 3, 4)
    assert len(during) == 3
    down = stack.get("/v1/stats")
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    ready = stack.session.get(f"{stack.url}/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"]["search"] == "down"

    search.start()  # same port, and empty: an in-memory server forgets everything
    eventually(lambda: totals(stack) == {"images": 3, "uploads": 3}, timeout=60)

    # The first image's document was lost with the old server; reconcile finds it.
    reindex = subprocess.run(
        [sys.executable, "-m", "api", "reindex"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=servers.REPO,
    )
    assert reindex.returncode == 0, reindex.stderr
    assert "queued 1 image" in reindex.stderr
    eventually(lambda: totals(stack)["images"] == 4, timeout=60)
    for image_id in during:
        meta = stack.session.get(f"{stack.url}/v1/images/{image_id}/metadata", timeout=10)
        assert meta.status_code == 200
        assert meta.json()["format"] == "PNG"
