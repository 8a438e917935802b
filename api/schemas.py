"""JSON schemas of request and response bodies, for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from api.openapi_links import BY_HASH_SCHEMA
from inlet.outcomes import Refusal
from inlet.settings import MAX_LINK_BYTES

LINK_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "expires_in": {"type": "integer", "minimum": 1},
        "expires_at": {"type": "string", "format": "date-time"},
        "max_images": {
            "type": ["integer", "null"],
            "minimum": 1,
            "description": "Most images; left out: LINK_DEFAULT_MAX_IMAGES; null: no limit",
        },
        "max_bytes": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": MAX_LINK_BYTES,
            "description": "Most bytes of all images received, a duplicate counted at its "
            "size; left out: LINK_DEFAULT_MAX_BYTES; null: no limit",
        },
        "label": {
            "type": ["string", "null"],
            "maxLength": 100,
            "description": "A short name, trimmed; no control characters",
        },
    },
}

LINK = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "expires_at": {"type": "string", "format": "date-time"},
        "max_images": {"type": ["integer", "null"]},
        "used": {"type": "integer"},
        "max_bytes": {"type": ["integer", "null"], "description": "null: no byte limit"},
        "used_bytes": {"type": "integer", "description": "Bytes of the images received"},
        "revoked": {"type": "boolean"},
        "expired": {"type": "boolean"},
        "state": {
            "type": "string",
            "enum": ["active", "expired", "revoked", "used_up"],
            "description": "used_up: no image or no byte of the quotas is left",
        },
        "label": {"type": ["string", "null"], "maxLength": 100},
    },
}
LINK_UPLOAD = {
    "type": "object",
    "properties": {
        "event_id": {"type": "string"},
        "image_id": {"type": "string"},
        "filename": {"type": ["string", "null"]},
        "uploaded_at": {"type": "string", "format": "date-time"},
        "duplicate": {"type": "boolean"},
        "format": {"type": ["string", "null"]},
        "sender": {
            "type": ["string", "null"],
            "description": "An opaque label of the sender (X-Inlet-Sender): the same for "
            "every upload of one sender, null when the upload carried none",
        },
        "state": {
            "type": "string",
            "enum": ["ready", "processing", "deleted"],
            "description": "indexed; stored but not indexed yet; no longer stored",
        },
        "image": {
            "description": "format, camera and size of the indexed image",
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "format": {"type": "string"},
                        "mime_type": {"type": "string"},
                        "make": {"type": "string"},
                        "model": {"type": "string"},
                        "width": {"type": "integer"},
                        "height": {"type": "integer"},
                    },
                },
                {"type": "null"},
            ],
        },
    },
}
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "images": {
                        "type": "array",
                        "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                    }
                },
            }
        },
        "application/json": {"schema": BY_HASH_SCHEMA},
    },
}
METADATA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "format": {"type": "string"},
        "mime_type": {"type": "string"},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "orientation": {"type": "integer"},
        "size_bytes": {"type": "integer"},
        "make": {"type": "string"},
        "model": {"type": "string"},
        "lens": {"type": "string"},
        "taken_at": {"type": "string"},
        "location": {
            "type": "object",
            "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
            "description": "Admins only (anonymous /metadata leaves it out)",
        },
        "altitude": {"type": "number", "description": "Admins only, as location"},
        "iso": {"type": "integer"},
        "f_number": {"type": "number"},
        "exposure_time": {"type": "number"},
        "focal_length": {"type": "number"},
        "metadata_error": {"type": "string"},
        "uploaded_at": {"type": "string", "format": "date-time"},
    },
}
COUNTED = {"type": "integer", "minimum": 0}
STATS = {
    "type": "object",
    "properties": {
        "most_popular_format": {
            "oneOf": [{"$ref": "#/components/schemas/Format"}, {"type": "null"}]
        },
        "formats": {"type": "array", "items": {"$ref": "#/components/schemas/Format"}},
        "top_cameras": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "properties": {
                    "make": {"type": ["string", "null"]},
                    "model": {"type": "string"},
                    "count": COUNTED,
                },
            },
        },
        "unknown_camera": COUNTED,
        "uploads_per_day": {
            "type": "array",
            "minItems": 30,
            "maxItems": 30,
            "items": {
                "type": "object",
                "properties": {"date": {"type": "string", "format": "date"}, "count": COUNTED},
            },
        },
        "totals": {
            "type": "object",
            "properties": {"images": COUNTED, "uploads": COUNTED},
        },
    },
}

_PART = {
    "type": "object",
    "required": ["number", "offset", "length", "method", "url", "headers", "done"],
    "properties": {
        "number": {"type": "integer", "description": "1, 2, … in the file's order"},
        "offset": {"type": "integer"},
        "length": {"type": "integer"},
        "method": {"const": "PUT"},
        "url": {
            "type": "string",
            "description": "Signed (S3 SigV4 query), on the public origin, valid UPLOAD_URL_TTL "
            "seconds; empty when done",
        },
        "headers": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Send exactly these (the signature covers them): Content-Length "
            "and x-amz-checksum-sha256 (base64 SHA-256 of the part)",
        },
        "done": {"type": "boolean", "description": "The store already holds this part"},
    },
}
DIRECT_UPLOAD = {
    "type": "object",
    "description": "A direct upload: PUT each part not done to its url with its headers, then "
    "POST complete with the link token",
    "required": ["id", "part_size", "parts", "complete", "expires_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "part_size": {"type": "integer"},
        "parts": {"type": "array", "items": _PART},
        "complete": {"type": "string", "description": "URL to POST once every part is sent"},
        "expires_at": {"type": "string", "format": "date-time"},
    },
}

COMPONENTS: dict[str, Any] = {
    "securitySchemes": {
        "adminToken": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "An admin token from `python -m api token --name NAME` (its `sub` is the "
                "admin's name). An expired or revoked token, or one living longer than "
                "ADMIN_TOKEN_MAX_TTL, gets 401; 503 with Retry-After while revocations "
                "cannot be checked."
            ),
        },
        "linkToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    },
    "responses": {
        "Problem": {
            "description": "RFC 9457 problem details",
            "content": {
                "application/problem+json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string"},
                            "title": {"type": "string"},
                            "status": {"type": "integer"},
                            "detail": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
    "schemas": {
        "Format": {
            "type": "object",
            "properties": {
                "format": {"type": "string"},
                "mime_type": {"type": "string"},
                "count": COUNTED,
            },
        },
        "UploadResult": {
            "type": "object",
            "properties": {
                "images": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "filename": {"type": "string"},
                            "id": {"type": "string"},
                            "duplicate": {"type": "boolean"},
                            "state": {
                                "enum": ["pending", "ready", "upload"],
                                "description": "upload: the bytes are to be sent directly "
                                "(by-hash with size; see upload)",
                            },
                            "url": {"type": "string"},
                            "upload": DIRECT_UPLOAD,
                            "error": {
                                "type": "object",
                                "properties": {
                                    "status": {"type": "integer"},
                                    "reason": {
                                        "type": "string",
                                        "enum": [r.value for r in Refusal],
                                    },
                                    "detail": {"type": "string"},
                                },
                            },
                        },
                    },
                }
            },
        },
    },
}
