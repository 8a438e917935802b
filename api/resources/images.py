"""``/v1/images/{id}``: the stored bytes (GET, HEAD, DELETE) and their metadata."""

from __future__ import annotations

import re

import falcon
from elasticsearch import Elasticsearch

from api.auth import admin_only
from api.errors import Problem
from inlet.blobstore import BlobStore, RangeNotSatisfiable
from inlet.dedup import HashIndex
from inlet.deletion import delete_image
from inlet.dispatch import Dispatcher
from inlet.formats import CLIENT_HINTS
from inlet.outcomes import State
from inlet.settings import Settings
from inlet.verification import ImageStates, States
from search import service
from search.indices import IndexNames

# Content-addressed bytes never change, so caches may keep them forever.
IMMUTABLE = "public, max-age=31536000, immutable"
# Opened on its own, an image (a polyglot too: a JPEG with HTML or a ZIP behind it)
# runs nothing, loads nothing, sits in no frame and names no referrer. The front proxy
# sends the same (docker/nginx/inlet.conf.template, location /_store/).
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
)
_EXTENSIONS = {mime: exts[0][1:] for exts, mimes in CLIENT_HINTS.values() for mime in mimes}
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# The front proxy sends the signed GET at once; a minute covers clock skew, not reuse.
PRESIGN_SECONDS = 60


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


def _no_image(image_id: str, states: States) -> Problem:
    """404, or 410 for an image that failed verification, with the reason."""
    rejection = states.rejection(image_id)
    if rejection is None:
        return Problem(404, f"no image with id {image_id}", slug="not-found")
    return Problem(
        410,
        f"image {image_id} was rejected: {rejection.detail}",
        slug="image-rejected",
        state=State.REJECTED.value,
        reason=rejection.reason.value,
    )


def _immutable_headers(resp: falcon.Response, image_id: str) -> None:
    """The headers GET and HEAD share, set before anything can fail."""
    resp.etag = etag_for(image_id)
    resp.cache_control = [IMMUTABLE]
    resp.set_header("Content-Security-Policy", CSP)
    resp.set_header("Referrer-Policy", "no-referrer")
    resp.set_header("Accept-Ranges", "bytes")


def _content_headers(resp: falcon.Response, image_id: str, content_type: str) -> None:
    """Type and file name: never the uploaded name, only the id and the stored type."""
    resp.content_type = content_type
    extension = _EXTENSIONS.get(content_type.partition(";")[0].strip().lower(), "bin")
    resp.set_header("Content-Disposition", f'inline; filename="{image_id}.{extension}"')


class ImageResource:
    def __init__(
        self,
        settings: Settings,
        blobs: BlobStore,
        hashes: HashIndex,
        states: ImageStates,
        dispatcher: Dispatcher,
    ) -> None:
        self.settings = settings
        self.blobs = blobs
        self.hashes = hashes
        self.states = states
        self.dispatcher = dispatcher

    def _not_modified(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> bool:
        """A matching If-None-Match: 304 from the id alone, no backend asked."""
        if not if_none_match(req.get_header("If-None-Match"), etag_for(image_id)):
            return False
        _immutable_headers(resp, image_id)
        resp.status = falcon.HTTP_304
        return True

    def _accel_redirect(self, resp: falcon.Response, image_id: str) -> bool:
        """Behind the front proxy: decide, and let the proxy stream the bytes.

        The answer comes from Redis (the dedup SET; the rejection marker) and only
        when Redis does not know the id, and the SET is not known to be complete, from
        the store: an unknown id costs Redis, not a request to the store. The proxy's
        internal location adds the image headers, serves ranges and keeps its cache:
        a deleted or rejected image never gets here.
        """
        prefix = self.settings.accel_redirect_prefix
        if not prefix:
            return False
        known = self.hashes.known(image_id)
        if known is False or (
            known is None
            and (self.states.rejection(image_id) is not None or not self.blobs.exists(image_id))
        ):
            raise _no_image(image_id, self.states)
        signed = self.blobs.presigned_get(image_id, PRESIGN_SECONDS)
        resp.set_header("X-Accel-Redirect", f"{prefix}/{image_id}{signed}")
        return True

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        if self._not_modified(req, resp, image_id) or self._accel_redirect(resp, image_id):
            return
        _immutable_headers(resp, image_id)
        byte_range = single_range(req.get_header("Range"))
        try:
            blob = self.blobs.open(image_id, byte_range=byte_range)
        except FileNotFoundError:
            raise _no_image(image_id, self.states) from None
        except RangeNotSatisfiable:
            size = self.blobs.head(image_id).size
            raise Problem(
                416,
                f"the range {byte_range} lies outside the image's {size} bytes",
                slug="range-not-satisfiable",
                headers={"Content-Range": f"bytes */{size}"},
            ) from None
        _content_headers(resp, image_id, blob.content_type)
        resp.content_length = blob.size
        if byte_range and blob.content_range:
            resp.status = falcon.HTTP_206
            resp.set_header("Content-Range", blob.content_range)
        resp.stream = blob.iter_chunks()

    def on_head(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        if self._not_modified(req, resp, image_id) or self._accel_redirect(resp, image_id):
            return
        _immutable_headers(resp, image_id)
        try:
            info = self.blobs.head(image_id)
        except FileNotFoundError:
            raise _no_image(image_id, self.states) from None
        _content_headers(resp, image_id, info.content_type)
        resp.content_length = info.size

    @falcon.before(admin_only)
    def on_delete(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        try:
            delete_image(image_id, blobs=self.blobs, hashes=self.hashes, dispatcher=self.dispatcher)
        except FileNotFoundError:
            raise _no_image(image_id, self.states) from None
        resp.status = falcon.HTTP_204


class MetadataResource:
    def __init__(
        self, es: Elasticsearch, names: IndexNames, blobs: BlobStore, states: States
    ) -> None:
        self.es = es
        self.names = names
        self.blobs = blobs
        self.states = states

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        doc = service.get_image(self.es, self.names, image_id)
        if doc is not None:
            resp.media = doc
            return
        if self.blobs.exists(image_id):
            resp.status = falcon.HTTP_202
            resp.set_header("Retry-After", "1")
            state = self.states.state(image_id).value
            resp.media = {"id": image_id, "status": "processing", "state": state}
            return
        raise _no_image(image_id, self.states)
