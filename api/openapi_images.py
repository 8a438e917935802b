"""OpenAPI: ``/v1/images/{id}`` (the public rendition; an admin's original) and its
metadata (no location without an admin token)."""

from __future__ import annotations

from typing import Any

from api import schemas
from api.openapi_parts import ADMIN, PROBLEM, json_response, op, path_param, query_param

# Anyone, or an admin: the security requirement is optional.
ANYONE_OR_ADMIN: list[dict[str, list[str]]] = [{}, *ADMIN]

_REJECTED = {
    **PROBLEM,
    "description": "The workers rejected the image (state: rejected, reason): never served",
}
_ORIGINAL = query_param(
    "original",
    "true: the stored bytes, GPS and all (SHA-256 = id), for an admin token only. "
    "Otherwise everyone, admins included, gets the public rendition: the same pixels "
    "without any location (EXIF GPS, XMP GPS properties), under its own ETag.",
    {"type": "boolean", "default": False},
)
_BYTES_RESPONSES: dict[str, Any] = {
    "304": {"description": "Not modified (If-None-Match matched the ETag of what is served)"},
    "401": {**PROBLEM, "description": "original=true without a valid admin token"},
    "403": {
        **PROBLEM,
        "description": "original=true with an upload-link token; or image-withheld: its "
        "location could not be removed, so only an admin's original=true serves it",
    },
    "404": PROBLEM,
    "410": _REJECTED,
    "503": {
        **PROBLEM,
        "description": "image-not-ready (Retry-After): stored, but its public rendition is "
        "still being made by a worker; or a backend is unavailable",
    },
}

IMAGE_PATHS: dict[str, dict[str, Any]] = {
    "/v1/images/{image_id}": {
        "parameters": [path_param("image_id", "SHA-256 of the image bytes as uploaded")],
        "get": op(
            "The image without its location, or an admin's original (Range, If-None-Match)",
            {
                "200": {"description": "The image", "content": {"image/*": {}}},
                "206": {"description": "Part of the image"},
                **_BYTES_RESPONSES,
                "416": PROBLEM,
            },
            security=ANYONE_OR_ADMIN,
            parameters=[_ORIGINAL],
        ),
        "head": op(
            "The headers GET would answer with",
            {"200": {"description": "OK"}, **_BYTES_RESPONSES},
            security=ANYONE_OR_ADMIN,
            parameters=[_ORIGINAL],
        ),
        "delete": op(
            "Delete an image: original, public rendition, dedup entry and metadata",
            {"204": {"description": "Deleted"}, "401": PROBLEM, "403": PROBLEM, "404": PROBLEM},
            security=ADMIN,
        ),
    },
    "/v1/images/{image_id}/metadata": {
        "parameters": [path_param("image_id", "SHA-256 of the image bytes")],
        "get": op(
            "Extracted metadata; location and altitude only with an admin token",
            {
                "200": json_response(schemas.METADATA),
                "202": json_response(
                    {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "status": {"const": "processing"},
                            "state": {"enum": ["pending", "ready"]},
                        },
                    },
                    "Stored; being verified (pending) or indexed (ready)",
                ),
                "401": {**PROBLEM, "description": "A token was sent that is not a valid one"},
                "403": {**PROBLEM, "description": "A token was sent that is not an admin's"},
                "404": PROBLEM,
                "410": _REJECTED,
                "503": PROBLEM,
            },
            security=ANYONE_OR_ADMIN,
        ),
    },
}
