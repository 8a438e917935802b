"""The JSON body of a by-hash upload: `{"images": [{"sha256": "...", "filename": "..."}]}`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import falcon

from api.errors import Problem

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ITEM_FIELDS = {"sha256", "filename", "size", "content_type", "parts_sha256"}
_ACCEPTED = ", ".join(sorted(_ITEM_FIELDS))
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]{1,64}/[A-Za-z0-9!#$&^_.+-]{1,64}")
# A 50 MiB file in 5 MiB parts has 10; the limit only bounds what a body may make us parse.
MAX_PARTS = 10_000
# Per listed image: a hash, a filename of up to 255 characters (escaped) and JSON framing,
# and room for a few part hashes.
BYTES_PER_ITEM = 4096


@dataclass(frozen=True)
class ByHash:
    """One file as the client declares it; ``size`` set asks for a direct upload."""

    sha256: str
    filename: str | None
    size: int | None = None
    content_type: str = "application/octet-stream"
    parts_sha256: list[str] = field(default_factory=list)


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


def read_by_hash(req: falcon.Request, max_files: int) -> list[ByHash]:
    """The declared files in request order, or a 4xx problem naming the field."""
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


def _item(index: int, item: Any) -> ByHash:
    where = f"images[{index}]"
    if not isinstance(item, dict):
        raise _invalid(where, "must be an object with sha256 and filename")
    unknown = sorted(set(item) - _ITEM_FIELDS)
    if unknown:
        raise _invalid(f"{where}.{unknown[0]}", f"unknown field; accepted: {_ACCEPTED}")
    digest = item.get("sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
        raise _invalid(f"{where}.sha256", "must be the SHA-256 of the file as 64 hex digits")
    filename = item.get("filename")
    if filename is not None and not isinstance(filename, str):
        raise _invalid(f"{where}.filename", "must be a string")
    size = item.get("size")
    if size is not None and (type(size) is not int or size < 0):
        raise _invalid(f"{where}.size", "must be the file's size in bytes, an integer ≥ 0")
    return ByHash(digest.lower(), filename, size, _content_type(where, item), _parts(where, item))


def _content_type(where: str, item: dict[str, Any]) -> str:
    value = item.get("content_type", "application/octet-stream")
    if not isinstance(value, str) or not _CONTENT_TYPE.fullmatch(value):
        raise _invalid(f"{where}.content_type", "must be a media type like image/jpeg")
    return value.lower()


def _parts(where: str, item: dict[str, Any]) -> list[str]:
    value = item.get("parts_sha256", [])
    detail = "must be an array of the SHA-256 (64 hex digits) of each part, in order"
    if not isinstance(value, list) or len(value) > MAX_PARTS:
        raise _invalid(f"{where}.parts_sha256", detail)
    if not all(isinstance(v, str) and _SHA256.fullmatch(v.lower()) for v in value):
        raise _invalid(f"{where}.parts_sha256", detail)
    return [v.lower() for v in value]
