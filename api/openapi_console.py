"""OpenAPI paths added for the admin console (merged into :mod:`api.openapi`)."""

from __future__ import annotations

from typing import Any

from api import schemas
from api.openapi_parts import ADMIN, PROBLEM, static_asset

_ADMIN_ERRORS = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM}
_PAGE = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Page size (1-100, default 50)",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "next_cursor of the previous page",
        "schema": {"type": "string"},
    },
]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _page_of(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return _json(
        {
            "type": "object",
            "properties": {
                key: {"type": "array", "items": item},
                "next_cursor": {"type": ["string", "null"]},
            },
        }
    )


LINKS_GET = {
    "summary": "The links, newest first (cursor-paginated)",
    "responses": {"200": _page_of("links", schemas.LINK), **_ADMIN_ERRORS},
    "security": ADMIN,
    "parameters": _PAGE,
}

PATHS: dict[str, dict[str, Any]] = {
    "/v1/links/{link_id}/uploads": {
        "parameters": [
            {
                "name": "link_id",
                "in": "path",
                "required": True,
                "description": "The link's id",
                "schema": {"type": "string"},
            }
        ],
        "get": {
            "summary": "The uploads made through a link, newest first (cursor-paginated)",
            "responses": {
                "200": _page_of("uploads", schemas.LINK_UPLOAD),
                **_ADMIN_ERRORS,
                "404": PROBLEM,
            },
            "security": ADMIN,
            "parameters": _PAGE,
        },
    },
    "/v1/console": {
        "get": {
            "summary": "The admin console's settings: Flower and Kibana addresses, if set, "
            "and the quotas of a link created without them",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "flower_url": {"type": ["string", "null"], "format": "uri"},
                            "kibana_url": {"type": ["string", "null"], "format": "uri"},
                            "link_defaults": {
                                "type": "object",
                                "description": "LINK_DEFAULT_MAX_IMAGES and "
                                "LINK_DEFAULT_MAX_BYTES; null: no limit",
                                "properties": {
                                    "max_images": {"type": ["integer", "null"]},
                                    "max_bytes": {"type": ["integer", "null"]},
                                },
                            },
                        },
                    }
                ),
                "401": PROBLEM,
                "403": PROBLEM,
            },
            "security": ADMIN,
        }
    },
    "/admin": {
        "get": {
            "summary": "The admin console (HTML); its scripts and styles live under /admin/",
            "responses": {"200": {"description": "The page", "content": {"text/html": {}}}},
        }
    },
    "/admin/{asset}": static_asset(
        "A script, style sheet or icon of the console", "app.js, charts.js, app.css or icon.svg"
    ),
    "/admin/vendor/{asset}": static_asset(
        "A vendored library of the console (api/static/vendor/README.md)",
        "chart.umd.min.js or qrcode.js",
    ),
    "/shared/{asset}": static_asset(
        "The module of helpers the upload page and the console both import", "dom.js"
    ),
}
