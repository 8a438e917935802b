"""The JSON body of a by-hash upload: `{"images": [{"sha256": "...", "filename": "..."}]}`."""

from __future__ import annotations

import json
import re
from typing import Any

import falcon

from api.errors import Problem

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ITEM_FIELDS = {"sha256", "filename"}
# Per listed image: a hash, a filename of up to 255 characters (escaped) and JSON framing.
BYTES_PER_ITEM = 2048


def is_json(req: falcon.Request) -> bool:
    media = (req.content_type or "").split(";")[0].strip().lower()
    return media == falcon.MEDIA_JSON


def _invalid(field: str, detail: str, status: int = 422) -> Problem:
    return Problem(
        status,
        f"{field}: {detail}",
        slug="invalid-field",
        title="Invalid request body",
        field=field,
    )


def read_by_hash(req: falcon.Request, max_files: int) -> list[tuple[str, str | None]]:
    """(sha256, filename) pairs in request order, or a 4xx problem naming the field."""
    limit = max_files * BYTES_PER_ITEM + 1024
    if req.content_length is not None and req.content_length > limit:
        raise Problem(413, f"a by-hash body may be at most {limit} bytes", slug="too-large")
    raw = req.bounded_stream.read(limit + 1)
    if len(raw) > limit:
        raise Problem(413, f"a by-hash body may be at most {limit} bytes", slug="too-large")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}", slug="invalid-json") from None
    if not isinstance(body, dict) or set(body) != {"images"}:
        raise _invalid("images", 'the body must be {"images": [{"sha256": …, "filename": …}]}')
    images = body["images"]
    if not isinstance(images, list) or not images:
        raise _invalid("images", "must be a non-empty array")
    if len(images) > max_files:
        raise _invalid("images", f"at most {max_files} images per request", status=413)
    return [_item(i, item) for i, item in enumerate(images)]


def _item(index: int, item: Any) -> tuple[str, str | None]:
    where = f"images[{index}]"
    if not isinstance(item, dict):
        raise _invalid(where, "must be an object with sha256 and filename")
    unknown = sorted(set(item) - _ITEM_FIELDS)
    if unknown:
        raise _invalid(f"{where}.{unknown[0]}", "unknown field; accepted: filename, sha256")
    digest = item.get("sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
        raise _invalid(f"{where}.sha256", "must be the SHA-256 of the file as 64 hex digits")
    filename = item.get("filename")
    if filename is not None and not isinstance(filename, str):
        raise _invalid(f"{where}.filename", "must be a string")
    return digest.lower(), filename
