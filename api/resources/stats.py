"""``GET /v1/stats``: formats, cameras, uploads per day, in one search round trip."""

from __future__ import annotations

import falcon
from elasticsearch import Elasticsearch

from api import params
from api.auth import admin_only
from inlet.settings import Settings
from search import queries, service
from search.indices import IndexNames


@falcon.before(admin_only)
class StatsResource:
    def __init__(self, settings: Settings, es: Elasticsearch, names: IndexNames) -> None:
        self.settings = settings
        self.es = es
        self.names = names

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        tz = params.parse_timezone(req.get_param("tz") or "UTC")
        today = queries.local_today(tz)
        resp.media = service.fetch_stats(self.es, self.names, today, tz)
