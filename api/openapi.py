"""The OpenAPI 3.1 description of the API, served at /openapi.json.

A test compares its paths and methods with the app's routes, so it cannot drift.
"""

from __future__ import annotations

from typing import Any

import falcon

from api import openapi_console, schemas
from api.openapi_images import IMAGE_PATHS
from api.openapi_links import LINK_HOLDER_PATHS, REDIRECT_TO_PAGE, SENDER_PARAM
from api.openapi_parts import ADMIN, PROBLEM, json_response, op, path_param, query_param

_UPLOAD_RESPONSES = {
    "201": json_response({"$ref": "#/components/schemas/UploadResult"}, "Every file was accepted"),
    "207": json_response({"$ref": "#/components/schemas/UploadResult"}, "Some files were accepted"),
    "400": PROBLEM,
    "401": PROBLEM,
    "403": PROBLEM,
    "410": PROBLEM,
    "404": {**PROBLEM, "description": "By-hash only: no listed image is stored; send bytes"},
    "413": {
        **PROBLEM,
        "description": "A file over MAX_IMAGE_BYTES, or (front proxy) a body over PROXY_MAX_BODY",
    },
    "415": PROBLEM,
    "422": PROBLEM,
    "503": {
        **PROBLEM,
        "description": "Try again after Retry-After: overloaded (the upload would wait "
        "longer than UPLOAD_QUEUE_WAIT for one of MAX_UPLOADS_IN_FLIGHT slots; Retry-After "
        "is that estimate), the image store or Redis unavailable (after the store failed "
        "once, the request's remaining files are refused at once, store-unavailable), or "
        "(front proxy) the API did not answer",
    },
}

PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {"get": op("Liveness", {"200": json_response({"type": "object"})})},
    "/readyz": {
        "get": op(
            "Readiness of Redis, the blob store and the search server",
            {"200": json_response({"type": "object"}), "503": PROBLEM},
        )
    },
    "/openapi.json": {"get": op("This document", {"200": json_response({"type": "object"})})},
    "/v1/links": {
        "post": op(
            "Create an expiring upload link",
            {
                "201": json_response(
                    {
                        "allOf": [
                            schemas.LINK,
                            {
                                "type": "object",
                                "properties": {
                                    "url": {"type": "string", "format": "uri"},
                                    "page_url": {
                                        "type": "string",
                                        "format": "uri",
                                        "description": "The upload page, token in the fragment",
                                    },
                                    "token": {"type": "string"},
                                },
                            },
                        ]
                    },
                    "Created",
                ),
                "400": PROBLEM,
                "401": PROBLEM,
                "403": PROBLEM,
                "422": PROBLEM,
            },
            security=ADMIN,
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": schemas.LINK_REQUEST}},
            },
        )
    },
    "/v1/links/{link_id}": {
        "parameters": [path_param("link_id", "The link's id")],
        "get": op(
            "A link's state",
            {"200": json_response(schemas.LINK), "401": PROBLEM, "403": PROBLEM, "404": PROBLEM},
            security=ADMIN,
        ),
        "delete": op(
            "Revoke a link",
            {"200": json_response(schemas.LINK), "401": PROBLEM, "403": PROBLEM, "404": PROBLEM},
            security=ADMIN,
        ),
    },
    "/v1/uploads": {
        "post": op(
            "Upload images with the link token in the Authorization header",
            _UPLOAD_RESPONSES,
            security=[{"linkToken": []}],
            parameters=[SENDER_PARAM],
            requestBody=schemas.UPLOAD_BODY,
        )
    },
    "/v1/uploads/{token}": {
        "parameters": [path_param("token", "The upload link's token")],
        "post": op(
            "Upload images through a link",
            _UPLOAD_RESPONSES,
            parameters=[SENDER_PARAM],
            requestBody=schemas.UPLOAD_BODY,
        ),
        "get": REDIRECT_TO_PAGE,
    },
    **LINK_HOLDER_PATHS,
    "/v1/images": {
        "get": op(
            "Search image metadata (cursor-paginated)",
            {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "images": {"type": "array", "items": schemas.METADATA},
                            "next_cursor": {"type": ["string", "null"]},
                        },
                    }
                ),
                "400": PROBLEM,
                "401": PROBLEM,
                "403": PROBLEM,
            },
            security=ADMIN,
            parameters=[
                query_param("make", "Camera make, exact"),
                query_param("model", "Camera model, exact"),
                query_param("format", "Pillow format name, e.g. JPEG"),
                query_param("taken_from", "Captured at or after (RFC 3339 or date)"),
                query_param("taken_to", "Captured at or before"),
                query_param("uploaded_from", "Uploaded at or after"),
                query_param("uploaded_to", "Uploaded at or before"),
                query_param("near", "lat,lon"),
                query_param("radius_km", "Radius around near", {"type": "number"}),
                query_param("limit", "Page size (1-100)", {"type": "integer"}),
                query_param("cursor", "next_cursor of the previous page"),
            ],
        )
    },
    **IMAGE_PATHS,
    "/v1/failures": {
        "get": op(
            "Tasks that failed for good (dead letters), newest first",
            {
                "200": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "failures": {"type": "array", "items": {"type": "object"}},
                            "total": {
                                "type": "integer",
                                "description": "failures recorded since the start",
                            },
                        },
                    }
                ),
                "400": PROBLEM,
                "401": PROBLEM,
                "403": PROBLEM,
            },
            security=ADMIN,
            parameters=[query_param("limit", "At most this many (1-1000)", {"type": "integer"})],
        )
    },
    "/v1/stats": {
        "get": op(
            "Statistics: formats, top cameras, uploads per day",
            {
                "200": json_response(schemas.STATS),
                "400": PROBLEM,
                "401": PROBLEM,
                "403": PROBLEM,
                "404": PROBLEM,
            },
            security=ADMIN,
            parameters=[
                query_param("tz", "IANA time zone for uploads_per_day (default UTC)"),
                query_param("link_id", "Only the images and uploads of this link"),
            ],
        )
    },
}

PATHS["/v1/links"]["get"] = openapi_console.LINKS_GET
PATHS.update(openapi_console.PATHS)
# The front proxy's own answers (docker/nginx/inlet.conf.template), on every operation.
_PROXY = {
    "502": {**PROBLEM, "description": "Front proxy: the API is not answering (Retry-After)"},
    "504": {**PROBLEM, "description": "Front proxy: the API took too long (Retry-After)"},
    "429": {
        **PROBLEM,
        "description": "Front proxy: too many requests or connections from this address "
        "(PROXY_RATE_LIMIT, PROXY_RATE_BURST, PROXY_CONN_LIMIT; Retry-After)",
    },
}
# Under /v1/uploads the proxy answers an API that did not answer with 503, never 502.
_PROXY_UPLOADS = {
    "503": {**PROBLEM, "description": "Front proxy: the API did not answer (Retry-After)"},
    "504": _PROXY["504"],
}
for _path, _item in PATHS.items():
    _proxy = _PROXY_UPLOADS if _path.startswith("/v1/uploads") else _PROXY
    for _name, _operation in _item.items():
        if _name != "parameters":
            _operation["responses"] = {**_proxy, **_operation["responses"]}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Inlet",
        "version": "1.0.0",
        "description": "Self-hosted image intake: expiring upload links, content-addressed "
        "storage, metadata search and statistics. Errors are application/problem+json, "
        "also those of the front proxy: 400 (unreadable request), 401 and 403 (an upload "
        "whose token GET /v1/uploads/check refuses, before its body is read), 413 (body "
        "over PROXY_MAX_BODY for uploads, PROXY_MAX_API_BODY elsewhere), 414 (request line "
        "over 8 KiB), 429 (too many requests from one address), 431 (a header over 8 KiB), "
        "502 and 504 (the API not answering; under /v1/uploads 503, never 502). Image "
        'bytes come with Content-Disposition inline; filename="<id>.<extension>", nosniff, '
        "Referrer-Policy no-referrer and a "
        "CSP with sandbox and frame-ancestors 'none'.",
    },
    "paths": PATHS,
    "components": schemas.COMPONENTS,
}


class OpenAPIResource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = DOCUMENT
