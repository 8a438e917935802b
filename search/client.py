"""Build the search client for Elasticsearch 8/9 and OpenSearch-API servers.

The official ``elasticsearch`` client sends versioned media types
(``application/vnd.elasticsearch+json; compatible-with=9``) and insists on an
``X-Elastic-Product: Elasticsearch`` response header. OpenSearch (and osmem-server,
which the tests run against) answers the media types with HTTP 406, and real
OpenSearch does not send the product header; an Elasticsearch 8 server refuses
``compatible-with=9``. All of this is handled in the transport, below the client,
once ``GET /`` has said which server it is: plain JSON and a vouched-for product
header for OpenSearch, the server's own major version for Elasticsearch.

Why the flavour is detected lazily, in the transport, rather than in :func:`make_client`:
the API must be able to start while the search server is down and report it in
``/readyz``. An eager ``GET /`` in ``make_client`` would either crash start-up or
have to guess a flavour and stick with it. Instead the transport asks ``GET /`` before
its first real request, remembers the answer once it has one, and asks again on
the next request if the server could not be reached. Clients copied with
``Elasticsearch.options()`` share the transport and so the answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from elastic_transport import HttpHeaders, SerializationError, Transport, TransportApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import Elasticsearch

from inlet.settings import Settings

log = logging.getLogger(__name__)

# A stalled search server costs a request about 10 s (two tries of 5 s), then 503;
# every request Inlet sends is small (one document, one page, one _msearch).
REQUEST_TIMEOUT = 5.0
MAX_RETRIES = 1

# "application/vnd.elasticsearch+json; compatible-with=9" -> "application/json", and the
# same for x-ndjson (bulk, msearch).
_COMPAT_MEDIA_TYPE = re.compile(
    r"application/vnd\.elasticsearch\+([\w.-]+)\s*;\s*compatible-with=\d+"
)
_COMPAT_VERSION = re.compile(r"compatible-with=\d+")
_MEDIA_HEADERS = ("accept", "content-type")
_PLAIN_JSON = "application/json"
# Elasticsearch understands compatible media types since 7.11.
MIN_COMPAT_MAJOR = 7


class Flavour(Enum):
    ELASTICSEARCH = "elasticsearch"
    OPENSEARCH = "opensearch"


@dataclass(frozen=True)
class Server:
    """What ``GET /`` said: the flavour and, for Elasticsearch, the major version."""

    flavour: Flavour
    major: int | None = None
    # True when GET / did not say (403 without the monitor privilege, or no JSON).
    assumed: bool = False

    def media_type(self, value: str) -> str:
        """``value`` as this server accepts it.

        OpenSearch wants plain types. Elasticsearch accepts the compatible types for
        its own major version (and the one before), so an 8.x server is asked for
        ``compatible-with=8`` rather than the client's 9, which it would refuse.
        """
        if self.flavour is Flavour.OPENSEARCH:
            return plain_media_type(value)
        if self.major is not None and self.major >= MIN_COMPAT_MAJOR:
            return _COMPAT_VERSION.sub(f"compatible-with={self.major}", value)
        return value


# Until GET / says otherwise: the client's native behaviour, corrected by a 406.
_ASSUMED = Server(Flavour.ELASTICSEARCH, assumed=True)


def server_from_root(body: Any) -> Server:
    """The server from the body of ``GET /``.

    Elasticsearch has no ``version.distribution``; OpenSearch and osmem say "opensearch".
    """
    version = body.get("version") if isinstance(body, dict) else None
    if not isinstance(version, dict):
        return Server(Flavour.ELASTICSEARCH)
    if version.get("distribution") == "opensearch":
        return Server(Flavour.OPENSEARCH)
    number = str(version.get("number", ""))
    major = number.split(".", 1)[0]
    return Server(Flavour.ELASTICSEARCH, int(major) if major.isdigit() else None)


def plain_media_type(value: str) -> str:
    return _COMPAT_MEDIA_TYPE.sub(r"application/\1", value)


def _is_compat(headers: HttpHeaders) -> bool:
    return any("vnd.elasticsearch" in (headers.get(name) or "") for name in _MEDIA_HEADERS)


class FlavourAwareTransport(Transport):
    """The client's transport, speaking to each server in the media types it accepts.

    Built on the transport's public API (``Transport``, passed to the client as
    ``transport_class``): every request the client sends, and every copy made by
    ``.options()``, goes through :meth:`perform_request`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # None until a GET / has been answered. A race between threads only means a
        # second, harmless GET /.
        self.server: Server | None = None

    def perform_request(
        self,
        method: str,
        target: str,
        *,
        body: Any | None = None,
        headers: Mapping[str, Any] | DefaultType = DEFAULT,
        **options: Any,
    ) -> TransportApiResponse:
        given = HttpHeaders() if isinstance(headers, DefaultType) else HttpHeaders(headers)
        if self.server is None:
            self.server = self._detect(given, options.get("request_timeout", DEFAULT))
        server = self.server or _ASSUMED
        response = self._send(server, method, target, body=body, headers=given, options=options)
        if response.meta.status == 406 and server.assumed and _is_compat(given):
            # Only OpenSearch refuses the compatible types this way; it ends up here if
            # it would not say what it is.
            log.warning("search server refused compatible media types: OpenSearch")
            self.server = server = Server(Flavour.OPENSEARCH)
            response = self._send(server, method, target, body=body, headers=given, options=options)
        vouch = server.flavour is Flavour.OPENSEARCH
        if vouch and "x-elastic-product" not in response.meta.headers:
            # The official client refuses a 2xx without this header, which OpenSearch
            # does not send; the client has no public switch for that check. Vouching
            # here, once GET / (or a 406) has shown the server is OpenSearch, covers
            # every copy made by .options() too; any other server must send it.
            response.meta.headers["X-Elastic-Product"] = "Elasticsearch"
        return response

    def _send(
        self,
        server: Server,
        method: str,
        target: str,
        *,
        body: Any | None,
        headers: HttpHeaders,
        options: dict[str, Any],
    ) -> TransportApiResponse:
        headers = headers.copy()
        for name in _MEDIA_HEADERS:
            if name in headers:
                headers[name] = server.media_type(headers[name])
        return super().perform_request(method, target, body=body, headers=headers, **options)

    def _detect(self, headers: HttpHeaders, request_timeout: Any) -> Server | None:
        """Ask ``GET /`` which server this is; None if there is no answer to remember.

        The request's own headers carry the credentials, so the probe reuses them with
        a plain JSON Accept that every flavour understands. Connection errors propagate:
        the request could not have succeeded either.
        """
        probe = headers.copy()
        probe["accept"] = _PLAIN_JSON
        probe.pop("content-type", None)
        try:
            meta, root = super().perform_request(
                "GET", "/", headers=probe, request_timeout=request_timeout
            )
        except SerializationError:
            return _ASSUMED  # not JSON: nothing to learn from it
        if meta.status >= 500:
            # Starting up or overloaded: ask again next time.
            return None
        if not 200 <= meta.status < 300:
            # E.g. a user without the monitor privilege. Elasticsearch is the client's
            # native behaviour; a 406 later corrects this for OpenSearch.
            log.warning("search server answered GET / with %s; assuming Elasticsearch", meta.status)
            return _ASSUMED
        server = server_from_root(root)
        log.info("search server at %s:%s is %s", meta.node.host, meta.node.port, server)
        return server


def make_client(settings: Settings) -> Elasticsearch:
    """A client for ``settings.elasticsearch_url``; makes no request."""
    auth: dict[str, Any] = {}
    if settings.elasticsearch_username:
        auth["basic_auth"] = (settings.elasticsearch_username, settings.elasticsearch_password)
    return Elasticsearch(
        settings.elasticsearch_url,
        transport_class=FlavourAwareTransport,
        request_timeout=REQUEST_TIMEOUT,
        retry_on_timeout=True,
        max_retries=MAX_RETRIES,
        **auth,
    )
