"""The Falcon application factory: pure wiring of injected or settings-built
collaborators. Building an app touches no network; :func:`prepare_backends`
(called by the WSGI entry point) creates the bucket and the indices."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import falcon
from elasticsearch import Elasticsearch
from falcon.media.multipart import MultipartParseOptions
from redis import Redis

from api import errors
from api.admission import UploadAdmission
from api.auth import AdminTokenCheck
from api.converters import ImageIdConverter
from api.middleware import NoTokensInURLs, RequestId, RequestMetrics, SecurityHeaders
from api.openapi import OpenAPIResource
from api.resources.console import ConsoleConfigResource, ConsoleResource
from api.resources.direct import COMPLETE_PATH, Backends, Direct, DirectCompleteResource
from api.resources.failures import FailuresResource
from api.resources.health import HealthResource, ReadyResource
from api.resources.images import ImageResource, MetadataResource
from api.resources.link_uploads import LinkUploadsResource
from api.resources.links import LinkResource, LinksResource
from api.resources.pages import SharedAssetsResource, UploadPageResource
from api.resources.search import ImageSearchResource
from api.resources.stats import StatsResource
from api.resources.upload_check import UploadCheckResource
from api.resources.uploads import UploadsResource
from api.resources.uploads_self import UploadsSelfResource
from api.static_files import StaticFiles
from inlet.dispatch import Dispatcher
from inlet.ingest import Ingestor
from inlet.settings import Settings
from inlet.stores.admin_tokens import AdminTokens
from inlet.stores.blobstore import BlobStore
from inlet.stores.clients import make_blob_store, make_redis
from inlet.stores.deadletter import DeadLetters
from inlet.stores.dedup import HashIndex
from inlet.stores.history import UploadHistory
from inlet.stores.links import LinkStore
from inlet.stores.outbox import Outbox
from inlet.stores.renditions import Renditions, public_store
from inlet.stores.verification import ImageStates
from search import service
from search.client import make_client
from search.errors import SearchError
from search.indices import ensure_indices, index_names

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    redis: Redis | None = None,
    blobs: BlobStore | None = None,
    dispatcher: Dispatcher | None = None,
    es: Elasticsearch | None = None,
) -> falcon.App[Any, Any]:
    redis = redis if redis is not None else make_redis(settings)
    blobs = blobs if blobs is not None else make_blob_store(settings)
    es = es if es is not None else make_client(settings)
    dispatcher = dispatcher if dispatcher is not None else _celery_dispatcher(settings, redis)
    names = index_names(settings.index_prefix)
    links = LinkStore(redis, settings.redis_prefix)
    hashes = HashIndex(redis, settings.redis_prefix)
    states = ImageStates(redis, settings.redis_prefix)
    renditions = Renditions(redis, settings.redis_prefix, public_store(blobs))
    history = UploadHistory(redis, settings.redis_prefix)
    ingestor = _ingestor(
        settings,
        blobs=blobs,
        hashes=hashes,
        links=links,
        states=states,
        dispatcher=dispatcher,
        history=history,
    )

    app = _bare_app(settings)
    tokens = AdminTokens(redis, settings.redis_prefix, settings.admin_token_max_ttl)
    app.add_middleware(AdminTokenCheck(tokens))

    _service_routes(app, settings, redis, blobs, es)
    _link_routes(app, settings, links=links, es=es, blobs=blobs, states=states)
    backends = Backends(redis, blobs, links, hashes, states, dispatcher, history)
    _add_upload_routes(app, settings, ingestor, backends)
    app.add_route("/v1/images", ImageSearchResource(settings, es, names))
    app.add_route(
        "/v1/images/{image_id:image_id}",
        ImageResource(settings, blobs, hashes, states, dispatcher, renditions=renditions),
    )
    app.add_route(
        "/v1/images/{image_id:image_id}/metadata",
        MetadataResource(settings, es, names, blobs, states),
    )
    app.add_route("/v1/stats", StatsResource(settings, es, names, links))
    _pages(app, settings)
    return app


def _celery_dispatcher(settings: Settings, redis: Redis) -> Dispatcher:
    from tasks.celery_app import create_celery
    from tasks.dispatch import CeleryDispatcher

    return CeleryDispatcher(create_celery(settings), Outbox(redis, settings.redis_prefix))


def _service_routes(
    app: falcon.App[Any, Any], settings: Settings, redis: Redis, blobs: BlobStore, es: Elasticsearch
) -> None:
    """Health, the API's description and the failed tasks: the operator's routes."""
    checks: dict[str, Callable[[], object]] = {
        "redis": redis.ping,
        "s3": blobs.ping,
        "search": lambda: service.ping(es),
    }
    app.add_route("/healthz", HealthResource())
    app.add_route("/readyz", ReadyResource(checks))
    app.add_route("/openapi.json", OpenAPIResource())
    failures = DeadLetters(redis, settings.redis_prefix)
    app.add_route("/v1/failures", FailuresResource(settings, failures))


def _ingestor(
    settings: Settings,
    *,
    blobs: BlobStore,
    hashes: HashIndex,
    links: LinkStore,
    states: ImageStates,
    dispatcher: Dispatcher,
    history: UploadHistory,
) -> Ingestor:
    return Ingestor(
        blobs=blobs,
        hashes=hashes,
        links=links,
        states=states,
        dispatcher=dispatcher,
        max_image_bytes=settings.max_image_bytes,
        max_image_pixels=settings.max_image_pixels,
        max_image_frames=settings.max_image_frames,
        history=history,
    )


def _add_upload_routes(
    app: falcon.App[Any, Any],
    settings: Settings,
    ingestor: Ingestor,
    b: Backends,
) -> None:
    """Everything a link holder uses: uploads, the link's own state (the page: _pages)."""
    links, states, history = b.links, b.states, b.history
    direct = Direct.build(settings, b)
    uploads = UploadsResource(settings, links, ingestor, direct)
    if direct is not None:
        app.add_route(COMPLETE_PATH, DirectCompleteResource(settings, links, direct))
    app.add_route("/v1/uploads", uploads)
    app.add_route("/v1/uploads/{token}", uploads, suffix="token")
    app.add_route("/v1/uploads/self", UploadsSelfResource(settings, links, history, states))
    app.add_route("/v1/uploads/check", UploadCheckResource(settings, links))


def _bare_app(settings: Settings) -> falcon.App[Any, Any]:
    """The app with its middleware, media handling, converters and error handlers."""
    # Request ids and metrics first, so that refusals by the others carry an id and count.
    middleware: list[Any] = [
        RequestId(),
        RequestMetrics(),
        SecurityHeaders(),
        NoTokensInURLs(),
        UploadAdmission(
            settings.max_uploads_in_flight,
            threads=settings.gunicorn_threads,
            max_wait=settings.upload_queue_wait,
        ),
    ]
    app = falcon.App(middleware=middleware)
    _configure(app, settings)
    errors.install(app)
    return app


def _link_routes(
    app: falcon.App[Any, Any],
    settings: Settings,
    *,
    links: LinkStore,
    es: Elasticsearch,
    blobs: BlobStore,
    states: ImageStates,
) -> None:
    names = index_names(settings.index_prefix)
    app.add_route("/v1/links", LinksResource(settings, links))
    app.add_route("/v1/links/{link_id}", LinkResource(settings, links))
    uploads = LinkUploadsResource(settings, links, es, names, blobs=blobs, states=states)
    app.add_route("/v1/links/{link_id}/uploads", uploads)


def _pages(app: falcon.App[Any, Any], settings: Settings) -> None:
    """The upload page, the admin console (and the settings it reads), and the module of
    helpers both import; their files read once per process and kept."""
    files = StaticFiles()
    page = UploadPageResource(files)
    app.add_route("/u", page)
    app.add_route("/u/{asset}", page, suffix="asset")
    console = ConsoleResource(files)
    app.add_route("/admin", console)
    app.add_route("/admin/{asset}", console, suffix="asset")
    app.add_route("/admin/vendor/{asset}", console, suffix="vendor")
    app.add_route("/shared/{asset}", SharedAssetsResource(files))
    app.add_route("/v1/console", ConsoleConfigResource(settings))


def _configure(app: falcon.App[Any, Any], settings: Settings) -> None:
    options = MultipartParseOptions()
    # Plain form fields may accompany the files; bound the total all the same.
    options.max_body_part_count = settings.max_files_per_request * 2 + 16
    handler = falcon.media.MultipartFormHandler(options)
    app.req_options.media_handlers[falcon.MEDIA_MULTIPART] = handler
    app.req_options.strip_url_path_trailing_slash = True
    app.router_options.converters["image_id"] = ImageIdConverter


def prepare_backends(settings: Settings, blobs: BlobStore, es: Elasticsearch) -> None:
    """Create the bucket and the search indices if they are missing.

    A backend still coming up is logged, not fatal: the API starts and ``/readyz``
    reports it meanwhile.
    """
    try:
        blobs.ensure_bucket()
    except (ConnectionError, OSError) as exc:
        log.warning("could not ensure the bucket exists yet: %s", exc)
    try:
        ensure_indices(es, settings.index_prefix)
    except (ConnectionError, OSError, SearchError) as exc:
        log.warning("could not ensure the search indices exist yet: %s", exc)
