"""``/v1/images/{id}``: the stored bytes (GET, HEAD, DELETE) and their metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass

import falcon
from elasticsearch import Elasticsearch

from api.auth import admin_only
from api.conditional import if_none_match
from api.errors import Problem
from inlet.blobs import RangeNotSatisfiable
from inlet.deletion import delete_image
from inlet.dispatch import Dispatcher
from inlet.formats import CLIENT_HINTS
from inlet.outcomes import State
from inlet.settings import Settings
from inlet.stores.blobstore import BlobStore
from inlet.stores.dedup import HashIndex
from inlet.stores.renditions import WITHHELD, Renditions
from inlet.stores.verification import ImageStates
from inlet.verification import States
from search import service
from search.indices import IndexNames

# Content-addressed bytes never change, so caches may keep them forever; an admin's
# original is theirs alone, so no shared cache may keep it.
IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE = "private, max-age=31536000, immutable"
# Metadata fields only an admin sees: where the image was taken.
ADMIN_ONLY = frozenset({"location", "altitude"})
# A worker makes a missing rendition in seconds.
NOT_READY_RETRY = 2
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


def _immutable_headers(resp: falcon.Response, served: Served) -> None:
    """The headers GET and HEAD share, set before anything can fail."""
    resp.etag = etag_for(served.digest)
    resp.cache_control = [PRIVATE if served.original else IMMUTABLE]
    resp.set_header("Content-Security-Policy", CSP)
    resp.set_header("Accept-Ranges", "bytes")
    resp.set_header("Referrer-Policy", "no-referrer")


def _content_headers(resp: falcon.Response, image_id: str, content_type: str) -> None:
    """Type and file name: never the uploaded name, only the id and the stored type."""
    resp.content_type = content_type
    extension = _EXTENSIONS.get(content_type.partition(";")[0].strip().lower(), "bin")
    resp.set_header("Content-Disposition", f'inline; filename="{image_id}.{extension}"')


@dataclass(frozen=True)
class Served:
    """Which bytes an image request gets: the public rendition, or an admin's original."""

    store: BlobStore
    digest: str  # SHA-256 of those bytes: the ETag, and the front proxy's cache key
    original: bool


class ImageResource:
    """``GET``/``HEAD`` serve the public rendition (the location removed) to everyone,
    admins included; ``?original=true`` serves the stored bytes, to admins only."""

    def __init__(
        self,
        settings: Settings,
        blobs: BlobStore,
        hashes: HashIndex,
        states: ImageStates,
        dispatcher: Dispatcher,
        *,
        renditions: Renditions,
    ) -> None:
        self.settings = settings
        self.blobs = blobs
        self.hashes = hashes
        self.states = states
        self.dispatcher = dispatcher
        self.renditions = renditions

    def _served(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> Served:
        if req.get_param_as_bool("original", default=False):
            admin_only(req, resp, self, {})
            return Served(self.blobs, image_id, original=True)
        digest = self.renditions.public_hash(image_id)
        if digest is None:
            raise self._not_yet(image_id)
        if digest == WITHHELD:
            raise Problem(
                403,
                f"the location of image {image_id} could not be removed, so it is not served "
                "publicly; an admin can fetch the original with ?original=true",
                slug="image-withheld",
            )
        store = self.blobs if digest == image_id else self.renditions.store
        return Served(store, digest, original=False)

    def _not_yet(self, image_id: str) -> Problem:
        """No public rendition: never the original in its place. A pending image gets
        one from the job its upload queued; a verified one without (stored before
        renditions existed) from a job queued here, once a minute at most."""
        if not self._stored(image_id):
            return _no_image(image_id, self.states)
        ready = self.states.state(image_id) is State.READY
        if ready and self.renditions.wanted(image_id):
            self.dispatcher.rendition_wanted(image_id)
        return Problem(
            503,
            f"image {image_id} is being checked; it is served once its location is removed",
            slug="image-not-ready",
            headers={"Retry-After": str(NOT_READY_RETRY)},
        )

    def _stored(self, image_id: str) -> bool:
        """From Redis (the dedup SET; the rejection marker), and only when Redis does
        not know the id, and the SET is not known to be complete, from the store: an
        unknown id costs Redis, not a request to the store."""
        known = self.hashes.known(image_id)
        if known is not None:
            return known
        return self.states.rejection(image_id) is None and self.blobs.exists(image_id)

    def _not_modified(self, req: falcon.Request, resp: falcon.Response, served: Served) -> bool:
        """A matching If-None-Match: 304 from the hash alone, no store asked."""
        if not if_none_match(req.get_header("If-None-Match"), etag_for(served.digest)):
            return False
        _immutable_headers(resp, served)
        resp.status = falcon.HTTP_304
        return True

    def _accel_redirect(self, resp: falcon.Response, image_id: str, served: Served) -> bool:
        """Behind the front proxy: decide, and let the proxy stream the bytes.

        The proxy's internal location adds the image headers, serves ranges and keeps
        its cache, keyed by the served bytes' hash: a deleted or rejected image never
        gets here.
        """
        prefix = self.settings.accel_redirect_prefix
        if not prefix:
            return False
        if not self._stored(image_id):
            raise _no_image(image_id, self.states)
        signed = served.store.presigned_get(image_id, PRESIGN_SECONDS)
        resp.set_header("X-Accel-Redirect", f"{prefix}/{served.digest}{signed}")
        return True

    def _begin(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> Served | None:
        """What to serve, or None when the answer (304, X-Accel-Redirect) is complete."""
        served = self._served(req, resp, image_id)
        if self._not_modified(req, resp, served) or self._accel_redirect(resp, image_id, served):
            return None
        if not served.original and not self._stored(image_id):
            raise _no_image(image_id, self.states)
        _immutable_headers(resp, served)
        return served

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        served = self._begin(req, resp, image_id)
        if served is None:
            return
        byte_range = single_range(req.get_header("Range"))
        try:
            blob = served.store.open(image_id, byte_range=byte_range)
        except FileNotFoundError:
            raise _no_image(image_id, self.states) from None
        except RangeNotSatisfiable:
            size = served.store.head(image_id).size
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
        served = self._begin(req, resp, image_id)
        if served is None:
            return
        try:
            info = served.store.head(image_id)
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
        self.renditions.delete(image_id)
        resp.status = falcon.HTTP_204


class MetadataResource:
    """Everyone gets the metadata without where the image was taken; an admin token
    (``Authorization: Bearer``) gets the location and altitude too."""

    def __init__(
        self,
        settings: Settings,
        es: Elasticsearch,
        names: IndexNames,
        blobs: BlobStore,
        states: States,
    ) -> None:
        self.settings = settings
        self.es = es
        self.names = names
        self.blobs = blobs
        self.states = states

    def on_get(self, req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
        # A token that is presented must be a valid admin token: never a silent downgrade.
        admin = req.get_header("Authorization") is not None
        if admin:
            admin_only(req, resp, self, {})
        doc = service.get_image(self.es, self.names, image_id)
        if doc is not None:
            resp.media = doc if admin else {k: v for k, v in doc.items() if k not in ADMIN_ONLY}
            return
        if self.blobs.exists(image_id):
            resp.status = falcon.HTTP_202
            resp.set_header("Retry-After", "1")
            state = self.states.state(image_id).value
            resp.media = {"id": image_id, "status": "processing", "state": state}
            return
        raise _no_image(image_id, self.states)
