"""A bounded number of uploads per process; beyond it, 503 at once."""

from __future__ import annotations

import threading
from typing import Any

import falcon
from falcon import testing

from api import errors
from api.admission import UploadAdmission
from tests.http import assert_problem


class SlowUploads:
    def __init__(self) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.inside.set()
        self.release.wait(10)
        resp.status = falcon.HTTP_201


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


def test_uploads_past_the_bound_get_503_and_the_rest_is_served() -> None:
    uploads = SlowUploads()
    app: falcon.App[Any, Any] = falcon.App(middleware=[UploadAdmission(1)])
    errors.install(app)
    app.add_route("/v1/uploads", uploads)
    app.add_route("/healthz", Health())
    client = testing.TestClient(app)
    first: list[testing.Result] = []
    holder = threading.Thread(target=lambda: first.append(client.simulate_post("/v1/uploads")))
    holder.start()
    try:
        assert uploads.inside.wait(5)
        refused = client.simulate_post("/v1/uploads")
        assert_problem(refused, 503, "try again")
        assert refused.headers["retry-after"] == "2"
        assert client.simulate_get("/healthz").status_code == 200
    finally:
        uploads.release.set()
        holder.join(10)
    assert first[0].status_code == 201
    # The slot was given back, also after the refusal.
    assert client.simulate_post("/v1/uploads").status_code == 201
