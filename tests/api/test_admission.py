"""Uploads past the slots wait their turn for a bounded time; past the bound, or when
the waiting room is full, 503 with a Retry-After derived from the queue."""

from __future__ import annotations

import io
import threading
from typing import Any

import falcon
from falcon import testing
from prometheus_client import REGISTRY

from api import errors
from api.admission import UploadAdmission, WaitingRoom
from tests.http import assert_problem


class SlowUploads:
    def __init__(self) -> None:
        self.inside = threading.Semaphore(0)
        self.release = threading.Event()
        self.served = 0

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.inside.release()
        self.release.wait(10)
        self.served += 1
        resp.status = falcon.HTTP_201


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


def client_for(admission: UploadAdmission) -> tuple[testing.TestClient, SlowUploads]:
    uploads = SlowUploads()
    app: falcon.App[Any, Any] = falcon.App(middleware=[admission])
    errors.install(app)
    app.add_route("/v1/uploads", uploads)
    app.add_route("/healthz", Health())
    return testing.TestClient(app), uploads


def in_background(call: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(call()))
    thread.start()
    return thread, out


def waits_over_a_quarter_second() -> float:
    name = "inlet_upload_queue_wait_seconds"
    total = REGISTRY.get_sample_value(f"{name}_count") or 0.0
    return total - (REGISTRY.get_sample_value(f"{name}_bucket", {"le": "0.25"}) or 0.0)


def test_an_upload_past_the_slots_waits_for_one_and_is_served() -> None:
    client, uploads = client_for(UploadAdmission(1, threads=8, max_wait=10))
    slow_before = waits_over_a_quarter_second()
    first, first_out = in_background(lambda: client.simulate_post("/v1/uploads"))
    assert uploads.inside.acquire(timeout=5)
    second, second_out = in_background(lambda: client.simulate_post("/v1/uploads"))
    try:
        # The second waits (it is not inside) while health is answered.
        assert not uploads.inside.acquire(timeout=0.3)
        assert client.simulate_get("/healthz").status_code == 200
    finally:
        uploads.release.set()
        first.join(10)
        second.join(10)
    assert [first_out[0].status_code, second_out[0].status_code] == [201, 201]
    assert uploads.served == 2
    # The second's wait (over 0.3 s) is on record.
    assert waits_over_a_quarter_second() == slow_before + 1


def test_a_wait_past_the_bound_is_a_503_with_retry_after() -> None:
    client, uploads = client_for(UploadAdmission(1, threads=8, max_wait=1))
    holder, held = in_background(lambda: client.simulate_post("/v1/uploads"))
    try:
        assert uploads.inside.acquire(timeout=5)
        refused = client.simulate_post("/v1/uploads")  # waits 1 s, then gives up
        assert_problem(refused, 503, "try again")
        assert int(refused.headers["retry-after"]) >= 1
    finally:
        uploads.release.set()
        holder.join(10)
    assert held[0].status_code == 201
    # The slot was given back, and the refused upload left no place behind.
    assert client.simulate_post("/v1/uploads").status_code == 201


def test_a_full_waiting_room_refuses_at_once() -> None:
    # Two threads, one slot: the other thread is kept for everything else.
    client, uploads = client_for(UploadAdmission(1, threads=2, max_wait=60))
    overloaded = {"outcome": "overloaded", "reason": ""}
    before = REGISTRY.get_sample_value("inlet_upload_outcomes_total", overloaded) or 0.0
    holder, _ = in_background(lambda: client.simulate_post("/v1/uploads"))
    try:
        assert uploads.inside.acquire(timeout=5)
        body = io.BytesIO(b"x" * 300_000)
        refused = client.simulate_post(
            "/v1/uploads", extras={"wsgi.input": body}, headers={"Content-Length": "300000"}
        )
        assert_problem(refused, 503)
        assert int(refused.headers["retry-after"]) >= 1
        # Its body was read before the answer: closing a connection with unread bytes
        # resets it, and the proxy would report a reset as a 502.
        assert body.tell() == 300_000
        assert REGISTRY.get_sample_value("inlet_upload_outcomes_total", overloaded) == before + 1
        assert client.simulate_get("/healthz").status_code == 200
    finally:
        uploads.release.set()
        holder.join(10)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_estimate_comes_from_the_queue_and_the_recent_hold_times() -> None:
    clock = Clock()
    room = WaitingRoom(slots=2, room=10, max_wait=5, clock=clock)
    for held in (4.0, 4.0):
        entered = room.enter()
        assert entered is not None
        clock.now += held
        room.leave(entered)
    assert room.mean_hold == 4.0
    holders = [room.enter(), room.enter()]
    assert None not in holders
    # Two ahead at most per slot-time: the 1st and 2nd in line wait ~4 s, the 3rd ~8 s.
    assert (room.estimate(1), room.estimate(2), room.estimate(3)) == (4.0, 4.0, 8.0)
    assert room.retry_after() == 4
    waiters = [threading.Thread(target=room.enter) for _ in range(2)]
    for waiter in waiters:
        waiter.start()
    while room.waiting < 2:
        threading.Event().wait(0.01)
    # A third in line would wait ~8 s, past the 5 s bound: refused at once.
    assert room.enter() is None
    assert room.retry_after() == 8
    for _ in range(2):
        clock.now += 1.0
        room.leave(100.0)
    for waiter in waiters:
        waiter.join(5)
    assert room.waiting == 0


class Unauthorized:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        raise falcon.HTTPUnauthorized(title="no such link")


def test_an_upload_refused_before_its_body_was_read_has_it_read_before_the_answer() -> None:
    app: falcon.App[Any, Any] = falcon.App(middleware=[UploadAdmission(3, threads=8, max_wait=10)])
    errors.install(app)
    app.add_route("/v1/uploads", Unauthorized())
    body = io.BytesIO(b"x" * 300_000)

    refused = testing.TestClient(app).simulate_post(
        "/v1/uploads", extras={"wsgi.input": body}, headers={"Content-Length": "300000"}
    )

    assert refused.status_code == 401
    assert body.tell() == 300_000
