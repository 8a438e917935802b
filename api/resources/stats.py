"""``GET /v1/stats``: formats, cameras, uploads per day, in one search round trip,
for everything or for the images and uploads of one link (``link_id``)."""

from __future__ import annotations

import falcon
from elasticsearch import Elasticsearch

from api import params
from api.auth import admin_only
from api.resources.link_uploads import no_link
from inlet.links import LinkNotFound
from inlet.settings import Settings
from inlet.stores.links import LinkStore
from search import queries, service
from search.indices import IndexNames
from search.scope import StatsScope


@falcon.before(admin_only)
class StatsResource:
    def __init__(
        self, settings: Settings, es: Elasticsearch, names: IndexNames, links: LinkStore
    ) -> None:
        self.settings = settings
        self.es = es
        self.names = names
        self.links = links

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        tz = params.parse_timezone(req.get_param("tz") or "UTC")
        link_id = req.get_param("link_id")
        scope = self._scope(link_id) if link_id is not None else None
        today = queries.local_today(tz)
        resp.media = service.fetch_stats(self.es, self.names, today, tz, scope)

    def _scope(self, link_id: str) -> StatsScope:
        try:
            self.links.get(link_id)
        except LinkNotFound:
            raise no_link(link_id) from None
        return StatsScope(link_id, tuple(self.links.image_ids(link_id)))
