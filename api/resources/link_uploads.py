"""``GET /v1/links/{id}/uploads``: what came in through one link, newest first.

Read from the uploads index, each upload joined with a summary of its image (one
``mget``); the state says whether the image is indexed (``ready``), stored and still
being verified or indexed (``pending``), or gone (``deleted``). Uploads of images that
failed verification are removed from the index, so they never show here.
"""

from __future__ import annotations

from typing import Any

import falcon
from elasticsearch import Elasticsearch

from api import params
from api.auth import admin_only
from api.errors import Problem
from inlet.links import LinkNotFound
from inlet.settings import Settings
from inlet.stores.blobstore import BlobStore
from inlet.stores.links import LinkStore
from inlet.verification import States
from search import service
from search.indices import IndexNames


def no_link(link_id: str) -> Problem:
    shown = link_id if len(link_id) <= 64 else link_id[:64] + "…"
    return Problem(404, f"no link with id {shown!r}", slug="not-found")


@falcon.before(admin_only)
class LinkUploadsResource:
    def __init__(
        self,
        settings: Settings,
        links: LinkStore,
        es: Elasticsearch,
        names: IndexNames,
        *,
        blobs: BlobStore,
        states: States,
    ) -> None:
        self.settings = settings
        self.links = links
        self.es = es
        self.names = names
        self.blobs = blobs
        self.states = states

    def on_get(self, req: falcon.Request, resp: falcon.Response, link_id: str) -> None:
        try:
            self.links.get(link_id)
        except LinkNotFound:
            raise no_link(link_id) from None
        size = params.parse_page_size(req.get_param("limit"))
        cursor = req.get_param("cursor")
        after = params.decode_cursor(cursor) if cursor else None
        docs, next_after = service.link_uploads(self.es, self.names, link_id, size, after)
        images = service.image_summaries(self.es, self.names, [d["image_id"] for d in docs])
        stored: dict[str, bool] = {}
        resp.media = {
            "uploads": [self._row(doc, images, stored) for doc in docs],
            "next_cursor": params.encode_cursor(next_after) if next_after else None,
        }

    def _row(
        self, doc: dict[str, Any], images: dict[str, dict[str, Any]], stored: dict[str, bool]
    ) -> dict[str, Any]:
        image_id = doc["image_id"]
        image = images.get(image_id)
        if image is not None:
            state = "ready"
        else:
            if image_id not in stored:
                stored[image_id] = self.blobs.exists(image_id)
            state = self.states.state(image_id).value if stored[image_id] else "deleted"
        return {
            "event_id": doc["event_id"],
            "image_id": image_id,
            "filename": doc.get("filename"),
            "uploaded_at": doc["uploaded_at"],
            "duplicate": doc["duplicate"],
            "format": doc.get("format"),
            "sender": doc.get("sender"),
            "state": state,
            "image": {k: v for k, v in image.items() if k != "id"} if image else None,
        }
