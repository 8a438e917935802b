"""The Falcon application factory: collaborators are injected, or built from settings."""

from __future__ import annotations

import logging
from typing import Any

import falcon
from elasticsearch import Elasticsearch
from falcon.media.multipart import MultipartParseOptions

from api import errors
from api.middleware import SecurityHeaders
from api.openapi import OpenAPIResource
from api.resources.health import HealthResource, ReadyResource
from api.resources.images import ImageResource
from api.resources.links import LinkResource, LinksResource
from api.resources.metadata import (
    DeleteImage,
    FailuresResource,
    ImageSearchResource,
    MetadataResource,
    StatsResource,
)
from api.resources.pages import UploadPageResource
from api.resources.uploads import UploadsResource
from api.resources.uploads_self import UploadsSelfResource
from inlet.blobstore import BlobStore
from inlet.clients import make_blob_store, make_redis
from inlet.dedup import HashIndex
from inlet.dispatch import CeleryDispatcher, Dispatcher
from inlet.history import UploadHistory
from inlet.ingest import Ingestor
from inlet.links import LinkStore
from inlet.settings import Settings
from search import service
from search.client import make_client
from search.errors import SearchError
from search.indices import ensure_indices, index_names

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    redis: Any = None,
    blobs: BlobStore | None = None,
    dispatcher: Dispatcher | None = None,
    es: Elasticsearch | None = None,
) -> falcon.App[Any, Any]:
    redis = redis if redis is not None else make_redis(settings)
    blobs = blobs if blobs is not None else make_blob_store(settings)
    es = es if es is not None else make_client(settings)
    if dispatcher is None:
        from tasks.celery_app import create_celery

        dispatcher = CeleryDispatcher(create_celery(settings))
    _prepare(blobs, es, settings)
    names = index_names(settings.index_prefix)

    links = LinkStore(redis, settings.redis_prefix)
    hashes = HashIndex(redis, settings.redis_prefix)
    ingestor = Ingestor(
        blobs=blobs,
        hashes=hashes,
        links=links,
        dispatcher=dispatcher,
        max_image_bytes=settings.max_image_bytes,
        max_image_pixels=settings.max_image_pixels,
    )

    app = falcon.App(middleware=[SecurityHeaders()])
    _configure_media(app, settings)
    errors.install(app)

    app.add_route("/healthz", HealthResource())
    checks = {"redis": redis.ping, "s3": blobs.ping, "search": lambda: service.ping(es)}
    app.add_route("/readyz", ReadyResource(checks))
    app.add_route("/openapi.json", OpenAPIResource())
    app.add_route("/v1/links", LinksResource(settings, links))
    app.add_route("/v1/links/{link_id}", LinkResource(settings, links))
    _add_upload_routes(app, settings, links, ingestor, redis)
    delete = DeleteImage(settings, blobs, hashes, dispatcher)
    app.add_route("/v1/images", ImageSearchResource(settings, es, names))
    app.add_route("/v1/images/{image_id}", ImageResource(blobs, delete))
    app.add_route("/v1/images/{image_id}/metadata", MetadataResource(es, names, blobs))
    app.add_route("/v1/stats", StatsResource(settings, es, names))
    app.add_route("/v1/failures", FailuresResource(settings, redis))
    return app


def _add_upload_routes(
    app: falcon.App[Any, Any], settings: Settings, links: LinkStore, ingestor: Ingestor, redis: Any
) -> None:
    """Everything a link holder uses: uploads, the link's own state, the upload page."""
    history = UploadHistory(redis, settings.redis_prefix)
    uploads = UploadsResource(settings, links, ingestor, history)
    app.add_route("/v1/uploads", uploads)
    app.add_route("/v1/uploads/{token}", uploads, suffix="token")
    app.add_route("/v1/uploads/self", UploadsSelfResource(settings, links, history))
    page = UploadPageResource()
    app.add_route("/u", page)
    app.add_route("/u/{asset}", page, suffix="asset")


def _configure_media(app: falcon.App[Any, Any], settings: Settings) -> None:
    options = MultipartParseOptions()
    # Plain form fields may accompany the files; bound the total all the same.
    options.max_body_part_count = settings.max_files_per_request * 2 + 16
    handler = falcon.media.MultipartFormHandler(options)
    app.req_options.media_handlers[falcon.MEDIA_MULTIPART] = handler
    app.req_options.strip_url_path_trailing_slash = True


def _prepare(blobs: BlobStore, es: Elasticsearch, settings: Settings) -> None:
    # Start even when a backend is still coming up; /readyz reports it meanwhile.
    try:
        blobs.ensure_bucket()
    except (ConnectionError, OSError) as exc:
        log.warning("could not ensure the bucket exists yet: %s", exc)
    try:
        ensure_indices(es, settings.index_prefix)
    except (ConnectionError, OSError, SearchError) as exc:
        log.warning("could not ensure the search indices exist yet: %s", exc)
