"""The floor for P3 (and for P4's 304s): the least a Falcon upload endpoint can do.

It parses the multipart body with the same Falcon handler and part limit as Inlet,
reads every part in Inlet's chunk size into SHA-256 and answers with the digests:
no spooling, no image check, no backends. Served by
`gunicorn --config python:api.gunicorn_conf bench.floor_app:app`, i.e. under exactly
Inlet's gunicorn settings.
"""

from __future__ import annotations

import hashlib
from typing import Any

import falcon
from falcon.media.multipart import MultipartParseOptions

CHUNK = 256 * 1024  # inlet.ingest.CHUNK
MAX_PARTS = 100 * 2 + 16  # Inlet's default MAX_FILES_PER_REQUEST, as api.app bounds it


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


class HashUploads:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        digests: list[dict[str, Any]] = []
        for part in req.get_media():
            if part.filename is None:
                continue
            digest = hashlib.sha256()
            size = 0
            while chunk := part.stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
            digests.append({"filename": part.filename, "id": digest.hexdigest(), "size": size})
        resp.status = falcon.HTTP_201
        resp.media = {"images": digests}


class Revalidate:
    """A conditional GET answered from the id alone, as Inlet answers it."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        etag = f'"{image_id}"'
        resp.etag = etag
        if req.get_header("If-None-Match") == etag:
            resp.status = falcon.HTTP_304
            return
        resp.media = {"id": image_id}


def create_app() -> falcon.App[Any, Any]:
    app = falcon.App()
    options = MultipartParseOptions()
    options.max_body_part_count = MAX_PARTS
    app.req_options.media_handlers[falcon.MEDIA_MULTIPART] = falcon.media.MultipartFormHandler(
        options
    )
    app.add_route("/healthz", Health())
    app.add_route("/uploads", HashUploads())
    app.add_route("/images/{image_id}", Revalidate())
    return app


app = create_app()
