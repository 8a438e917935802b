from __future__ import annotations

import re
from collections.abc import Callable

import falcon

from api.errors import Problem
from inlet.blobstore import BlobStore, RangeNotSatisfiable, is_image_id

# Content-addressed bytes never change, so caches may keep them forever.
IMMUTABLE = "public, max-age=31536000, immutable"
CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
Responder = Callable[[falcon.Request, falcon.Response, str], None]


def etag_for(image_id: str) -> str:
    return f'"{image_id}"'


def if_none_match(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def single_range(header: str | None) -> str | None:
    """The Range header to forward, or None to serve the whole object.

    RFC 9110 lets a server ignore a Range it does not support; multi-range and
    malformed headers get the full 200 response.
    """
    if not header:
        return None
    match = _SINGLE_RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    start, end = match.groups()
    if start and end and int(end) < int(start):
        return None
    return header.strip()


class ImageResource:
    def __init__(self, blobs: BlobStore, delete: Responder) -> None:
        self.blobs = blobs
        self.delete = delete

    def on_delete(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        self.delete(req, resp, image_id)

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        if not is_image_id(image_id):
            raise Problem(404, "image ids are 64 lowercase hex digits (SHA-256)", slug="not-found")
        etag = etag_for(image_id)
        resp.etag = etag
        resp.cache_control = [IMMUTABLE]
        resp.set_header("Content-Security-Policy", CSP)
        resp.set_header("Accept-Ranges", "bytes")
        if if_none_match(req.get_header("If-None-Match"), etag):
            resp.status = falcon.HTTP_304
            return
        byte_range = single_range(req.get_header("Range"))
        try:
            blob = self.blobs.open(image_id, byte_range=byte_range)
        except FileNotFoundError:
            raise Problem(404, f"no image with id {image_id}", slug="not-found") from None
        except RangeNotSatisfiable:
            size = self.blobs.head(image_id).size
            raise Problem(
                416,
                f"the range {byte_range} lies outside the image's {size} bytes",
                slug="range-not-satisfiable",
                headers={"Content-Range": f"bytes */{size}"},
            ) from None
        resp.content_type = blob.content_type
        resp.content_length = blob.size
        if byte_range and blob.content_range:
            resp.status = falcon.HTTP_206
            resp.set_header("Content-Range", blob.content_range)
        resp.stream = blob.iter_chunks()

    def on_head(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        if not is_image_id(image_id):
            raise Problem(404, "image ids are 64 lowercase hex digits (SHA-256)", slug="not-found")
        info = self.blobs.head(image_id)
        resp.etag = etag_for(image_id)
        resp.cache_control = [IMMUTABLE]
        resp.content_type = info.content_type
        resp.content_length = info.size
