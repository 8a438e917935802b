"""``GET /v1/images``: search image documents, one cursor-paginated page at a time."""

from __future__ import annotations

import falcon
from elasticsearch import Elasticsearch

from api import params
from api.auth import admin_only
from inlet.settings import Settings
from search import service
from search.indices import IndexNames


@falcon.before(admin_only)
class ImageSearchResource:
    def __init__(self, settings: Settings, es: Elasticsearch, names: IndexNames) -> None:
        self.settings = settings
        self.es = es
        self.names = names

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        filters = params.parse_image_filters(req.params, extra=params.PAGE_PARAMS)
        size = params.parse_page_size(req.get_param("limit"))
        cursor = req.get_param("cursor")
        after = params.decode_cursor(cursor) if cursor else None
        items, next_after = service.search_images(self.es, self.names, filters, size, after)
        next_cursor = params.encode_cursor(next_after) if next_after is not None else None
        resp.media = {"images": items, "next_cursor": next_cursor}
