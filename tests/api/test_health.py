from __future__ import annotations

import threading
import time
from typing import Any

import falcon
from falcon import testing

from api import errors
from api.app import create_app
from api.resources.health import ReadyResource
from devstack.servers import free_port
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore, make_s3_client
from tests.http import assert_problem


def test_healthz(client: testing.TestClient) -> None:
    assert client.simulate_get("/healthz").json == {"status": "ok"}


def test_readyz_when_everything_answers(client: testing.TestClient) -> None:
    result = client.simulate_get("/readyz")
    assert result.status_code == 200
    assert set(result.json["checks"].values()) == {"ok"}


def test_readyz_names_what_is_down(settings: Settings, redis_client: Any) -> None:
    dead = S3BlobStore(
        make_s3_client(f"http://127.0.0.1:{free_port()}", "k", "s", "us-east-1"), "dead-store"
    )
    client = testing.TestClient(create_app(settings, redis=redis_client, blobs=dead))
    doc = assert_problem(client.simulate_get("/readyz"), 503, "s3")
    assert doc["checks"]["s3"] == "down"
    assert doc["checks"]["redis"] == "ok"
    assert client.simulate_get("/healthz").status_code == 200


def test_unknown_route_and_method_are_problems(client: testing.TestClient) -> None:
    assert_problem(client.simulate_get("/nope"), 404)
    assert_problem(client.simulate_put("/v1/links"), 405)


def test_readyz_answers_in_time_when_a_backend_stalls() -> None:
    stalled = threading.Event()
    checks = {"fast": lambda: None, "stalled": lambda: stalled.wait(30)}
    app = falcon.App()
    errors.install(app)
    app.add_route("/readyz", ReadyResource(checks, timeout=0.5))
    started = time.monotonic()
    try:
        doc = assert_problem(testing.TestClient(app).simulate_get("/readyz"), 503, "stalled")
    finally:
        stalled.set()
    assert time.monotonic() - started < 2
    assert doc["checks"] == {"fast": "ok", "stalled": "down"}


class Backend:
    """A readiness check that counts how often the backend is asked."""

    def __init__(self) -> None:
        self.asked = 0
        self.up = True

    def __call__(self) -> None:
        self.asked += 1
        if not self.up:
            raise ConnectionError("refused")


def test_readyz_answers_from_a_result_at_most_a_second_old() -> None:
    backend = Backend()
    now = [100.0]
    app = falcon.App()
    errors.install(app)
    app.add_route("/readyz", ReadyResource({"redis": backend}, clock=lambda: now[0]))
    client = testing.TestClient(app)
    for _ in range(50):
        assert client.simulate_get("/readyz").status_code == 200
    assert backend.asked == 1
    backend.up = False
    now[0] += 0.9
    assert client.simulate_get("/readyz").status_code == 200
    now[0] += 0.2  # the result is 1.1 s old: asked again, and the answer follows
    assert_problem(client.simulate_get("/readyz"), 503, "redis")
    assert backend.asked == 2
    backend.up = True
    now[0] += 1.1
    assert client.simulate_get("/readyz").json["checks"] == {"redis": "ok"}
    assert backend.asked == 3


def test_readyz_callers_during_a_check_share_its_result() -> None:
    release = threading.Event()
    backend = Backend()

    def slow() -> None:
        release.wait(5)
        backend()

    app = falcon.App()
    errors.install(app)
    app.add_route("/readyz", ReadyResource({"search": slow}, timeout=5))
    client = testing.TestClient(app)
    answers: list[int] = []
    callers = [
        threading.Thread(target=lambda: answers.append(client.simulate_get("/readyz").status_code))
        for _ in range(8)
    ]
    for caller in callers:
        caller.start()
    release.set()
    for caller in callers:
        caller.join(10)
    assert answers == [200] * 8
    assert backend.asked == 1
