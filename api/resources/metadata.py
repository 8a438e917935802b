from __future__ import annotations

from typing import Any

import falcon
from elasticsearch import Elasticsearch

from api.auth import require_admin
from api.errors import Problem
from inlet import deadletter
from inlet.blobstore import BlobStore, is_image_id
from inlet.dedup import HashIndex
from inlet.dispatch import Dispatcher
from inlet.settings import Settings
from search import queries, service
from search.indices import IndexNames


def _invalid(exc: queries.InvalidFilter) -> Problem:
    return Problem(400, str(exc), slug="invalid-parameter", parameter=exc.param)


class MetadataResource:
    def __init__(self, es: Elasticsearch, names: IndexNames, blobs: BlobStore) -> None:
        self.es = es
        self.names = names
        self.blobs = blobs

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        if not is_image_id(image_id):
            raise Problem(404, "image ids are 64 lowercase hex digits (SHA-256)", slug="not-found")
        doc = service.get_image(self.es, self.names, image_id)
        if doc is not None:
            resp.media = doc
            return
        if self.blobs.exists(image_id):
            resp.status = falcon.HTTP_202
            resp.set_header("Retry-After", "1")
            resp.media = {"id": image_id, "status": "processing"}
            return
        raise Problem(404, f"no image with id {image_id}", slug="not-found")


class _AdminSearch:
    def __init__(self, settings: Settings, es: Elasticsearch, names: IndexNames) -> None:
        self.settings = settings
        self.es = es
        self.names = names


class ImageSearchResource(_AdminSearch):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        require_admin(req, self.settings.secret_key)
        params = req.params
        try:
            filters = queries.parse_image_filters(params, extra=("limit", "cursor"))
            size = queries.parse_page_size(req.get_param("limit"))
            items, cursor = service.search_images(
                self.es, self.names, filters, size, req.get_param("cursor") or None
            )
        except queries.InvalidFilter as exc:
            raise _invalid(exc) from None
        resp.media = {"images": items, "next_cursor": cursor}


class StatsResource(_AdminSearch):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        require_admin(req, self.settings.secret_key)
        try:
            tz = queries.parse_timezone(req.get_param("tz") or "UTC")
        except queries.InvalidFilter as exc:
            raise _invalid(exc) from None
        today = queries.local_today(tz)
        resp.media = service.fetch_stats(self.es, self.names, today, tz)


class DeleteImage:
    """Removes the blob and the dedup entry now; the index follows in a task."""

    def __init__(
        self, settings: Settings, blobs: BlobStore, hashes: HashIndex, dispatcher: Dispatcher
    ) -> None:
        self.settings = settings
        self.blobs = blobs
        self.hashes = hashes
        self.dispatcher = dispatcher

    def __call__(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        require_admin(req, self.settings.secret_key)
        if not is_image_id(image_id) or not self.blobs.exists(image_id):
            raise Problem(404, f"no image with id {image_id}", slug="not-found")
        # The SET entry goes first: the SET only ever claims less than the store holds,
        # and an upload that finds the hash missing simply stores the bytes again.
        self.hashes.discard(image_id)
        self.blobs.delete(image_id)
        self.dispatcher.image_deleted(image_id)
        resp.status = falcon.HTTP_204


class FailuresResource:
    def __init__(self, settings: Settings, redis: Any) -> None:
        self.settings = settings
        self.redis = redis

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        require_admin(req, self.settings.secret_key)
        limit = req.get_param_as_int("limit", min_value=1, max_value=1000, default=100)
        resp.media = {"failures": deadletter.entries(self.redis, self.settings.redis_prefix, limit)}
