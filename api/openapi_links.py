"""OpenAPI parts for link holders: the upload page, /v1/uploads/self, by-hash uploads."""

from __future__ import annotations

from typing import Any

from api.auth import SENDER_HEADER
from api.openapi_parts import LINK_TOKEN, static_asset
from api.openapi_parts import PROBLEM as _PROBLEM
from inlet.senders import PATTERN

SENDER_PARAM: dict[str, Any] = {
    "name": SENDER_HEADER,
    "in": "header",
    "required": False,
    "description": "The sender: a random id (at least 128 bits, base64url) the client makes "
    "once per link and keeps, sent with every upload and with GET /v1/uploads/self. Each "
    "sender sees only the uploads sent with its id; other holders of the same link, and "
    "callers without the header, do not see them. Without it an upload is accepted but "
    "listed to no link holder (admins see every upload). Keep it like a password: only its "
    "hash is stored. A malformed value is refused with 400 (type invalid-header).",
    "schema": {"type": "string", "pattern": PATTERN},
}

BY_HASH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "By-hash upload: each listed image the store already holds is recorded as "
    "a duplicate upload of this link (quota, upload event, duplicate: true), counting its "
    "stored size against max_bytes. An unknown one, or a known one larger than the bytes "
    "left, is answered per item with error.status 404, meaning 'send the bytes' (multipart), "
    "and records nothing; declared with size, it is offered a direct upload instead "
    "(state: upload). Per-item answers, 201/207 rules and limits are those of multipart.",
    "required": ["images"],
    "additionalProperties": False,
    "properties": {
        "images": {
            "type": "array",
            "minItems": 1,
            "description": "At most MAX_FILES_PER_REQUEST items",
            "items": {
                "type": "object",
                "required": ["sha256"],
                "additionalProperties": False,
                "properties": {
                    "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                    "filename": {"type": "string"},
                    "size": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "The file's size in bytes: an unknown file is offered "
                        "a direct upload (state: upload) instead of error 404",
                    },
                    "content_type": {"type": "string", "description": "e.g. image/jpeg"},
                    "parts_sha256": {
                        "type": "array",
                        "items": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                        "description": "With size: the SHA-256 of each part_size-byte part "
                        "(GET /v1/uploads/self), the last shorter, in order",
                    },
                },
            },
        }
    },
}

_FORMATS = {
    "type": "object",
    "properties": {
        "formats": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "format": {"type": "string"},
                    "name": {"type": "string"},
                    "extensions": {"type": "array", "items": {"type": "string"}},
                    "mime_types": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "extensions": {"type": "array", "items": {"type": "string"}},
        "mime_types": {"type": "array", "items": {"type": "string"}},
    },
}
_SELF = {
    "type": "object",
    "properties": {
        "expires_at": {"type": "string", "format": "date-time"},
        "expires_in": {"type": "integer", "description": "Seconds left, by the server's clock"},
        "max_images": {"type": ["integer", "null"]},
        "used": {"type": "integer"},
        "remaining": {"type": ["integer", "null"], "description": "null: unlimited"},
        "max_bytes": {"type": ["integer", "null"], "description": "null: unlimited"},
        "used_bytes": {"type": "integer"},
        "remaining_bytes": {
            "type": ["integer", "null"],
            "description": "Bytes a file may still have to fit the link's quota; null: unlimited",
        },
        "max_image_bytes": {"type": "integer"},
        "max_files_per_request": {"type": "integer"},
        "part_size": {
            "type": "integer",
            "description": "Bytes per part of a direct upload (PART_SIZE, at least 5 MiB): a "
            "larger file is cut into parts of exactly this size, the last shorter",
        },
        "accepted": _FORMATS,
        "sender_known": {
            "type": "boolean",
            "description": f"Whether the request carried {SENDER_HEADER}; without it, "
            "uploads is always empty",
        },
        "uploads": {
            "type": "array",
            "description": f"The uploads this sender ({SENDER_HEADER}) sent through the link, "
            "oldest first (the most recent 1000); never another sender's, and empty without "
            "the header. used and remaining count every sender's uploads.",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "filename": {"type": "string"},
                    "state": {"type": "string", "enum": ["pending", "ready", "rejected"]},
                    "reason": {"type": "string", "description": "Why it was rejected"},
                    "duplicate": {"type": "boolean"},
                    "uploaded_at": {"type": "string", "format": "date-time"},
                },
            },
        },
    },
}
_HTML: dict[str, Any] = {"content": {"text/html": {}}}

LINK_HOLDER_PATHS: dict[str, dict[str, Any]] = {
    "/v1/uploads/self": {
        "get": {
            "summary": "The link's limits and accepted formats, and this sender's uploads",
            "security": LINK_TOKEN,
            "parameters": [SENDER_PARAM],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": _SELF}},
                },
                "400": _PROBLEM,
                "401": _PROBLEM,
                "403": _PROBLEM,
                "410": _PROBLEM,
            },
        }
    },
    "/v1/uploads/direct/{upload_id}/complete": {
        "post": {
            "summary": "Commit a direct upload once the store holds every part: the file's "
            "usual answer (201: id, duplicate, state pending)",
            "security": LINK_TOKEN,
            "parameters": [
                SENDER_PARAM,
                {
                    "name": "upload_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "201": {
                    "description": "Committed",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/UploadResult"}
                        }
                    },
                },
                "400": _PROBLEM,
                "401": _PROBLEM,
                "403": _PROBLEM,
                "404": {
                    **_PROBLEM,
                    "description": "No such upload under way for this link and sender "
                    "(never started, already completed, or expired)",
                },
                "409": {**_PROBLEM, "description": "Parts are missing (missing: numbers)"},
                "410": _PROBLEM,
                "413": _PROBLEM,
                "415": _PROBLEM,
                "422": _PROBLEM,
                "503": _PROBLEM,
            },
        }
    },
    "/v1/uploads/check": {
        "get": {
            "summary": "Would an upload with this token be taken? 204, or the 401, 403 or 410 "
            "the upload would get. The front proxy asks before reading an upload's body",
            "security": LINK_TOKEN,
            "responses": {
                "204": {"description": "The token opens a link that takes uploads"},
                "401": _PROBLEM,
                "403": _PROBLEM,
                "410": _PROBLEM,
            },
        }
    },
    "/u": {
        "get": {
            "summary": "The upload page; open it as /u/#<token> (page_url of a link)",
            "responses": {"200": {"description": "The page", **_HTML}},
        }
    },
    "/u/{asset}": static_asset(
        "The upload page's script, style sheet and icon", "app.js, app.css or icon.svg"
    ),
}

REDIRECT_TO_PAGE: dict[str, Any] = {
    "summary": "A browser (Accept: text/html) is redirected to the upload page",
    "responses": {
        "303": {"description": "See the upload page: Location is page_url"},
        "405": _PROBLEM,
    },
}
