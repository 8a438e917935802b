"""``GET /v1/failures``: tasks that failed for good (dead letters), newest first."""

from __future__ import annotations

import falcon
from redis import Redis

from api.auth import admin_only
from inlet import deadletter
from inlet.settings import Settings


@falcon.before(admin_only)
class FailuresResource:
    def __init__(self, settings: Settings, redis: Redis) -> None:
        self.settings = settings
        self.redis = redis

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        limit = req.get_param_as_int("limit", min_value=1, max_value=1000, default=100)
        prefix = self.settings.redis_prefix
        resp.media = {
            "failures": deadletter.entries(self.redis, prefix, limit),
            "total": deadletter.total(self.redis, prefix),
        }
