"""``GET /v1/failures``: tasks that failed for good (dead letters), newest first."""

from __future__ import annotations

import falcon

from api.auth import admin_only
from inlet.settings import Settings
from inlet.stores.deadletter import DeadLetters


@falcon.before(admin_only)
class FailuresResource:
    def __init__(self, settings: Settings, failures: DeadLetters) -> None:
        self.settings = settings  # admin_only checks tokens with its key
        self.failures = failures

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        limit = req.get_param_as_int("limit", min_value=1, max_value=1000, default=100)
        resp.media = {"failures": self.failures.entries(limit), "total": self.failures.total()}
