"""Index settings and strict mappings for the two indices.

Strict mappings make a misspelt or unexpected field an error at write time instead
of a silently added field that Kibana then shows next to the real one. The builders
in :mod:`search.documents` drop unknown keys, so only a bug reaches that error.

A new field is added compatibly: :func:`search.indices.ensure_indices` puts the
current properties onto an existing index, which the server accepts for new fields
(documents written before simply lack them). Any other change (a type, an analyzer)
needs a new version in :mod:`search.indices` (and a reindex), because an existing
field keeps the mapping it was created with.
"""

from __future__ import annotations

from typing import Any

DATE_FORMAT = "strict_date_optional_time||epoch_millis"

# Camera strings are short; anything longer is junk that should not bloat the terms
# dictionary (it stays in _source).
KEYWORD_IGNORE_ABOVE = 256
ERROR_IGNORE_ABOVE = 1024
# inlet.ingest.clean_filename keeps at most 255 characters.
FILENAME_IGNORE_ABOVE = 256

# One shard keeps terms aggregations exact (counts and the tie order of top cameras)
# and is plenty for one document per image. Replicas where there is a second node,
# none (so health stays green) on a single-node server.
INDEX_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "auto_expand_replicas": "0-1",
}


def _keyword(ignore_above: int = KEYWORD_IGNORE_ABOVE) -> dict[str, Any]:
    return {"type": "keyword", "ignore_above": ignore_above}


def _date(*, exif: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "date", "format": DATE_FORMAT}
    if exif:
        field["ignore_malformed"] = True
    return field


def _exif(kind: str) -> dict[str, Any]:
    # Values read from EXIF are whatever the camera wrote: a malformed one is left
    # unindexed (it stays in _source) rather than rejecting the whole document.
    return {"type": kind, "ignore_malformed": True}


IMAGE_PROPERTIES: dict[str, Any] = {
    "id": {"type": "keyword"},
    "format": _keyword(),
    "mime_type": _keyword(),
    "width": {"type": "integer"},
    "height": {"type": "integer"},
    "orientation": _exif("short"),
    "size_bytes": {"type": "long"},
    "make": _keyword(),
    "model": _keyword(),
    "lens": _keyword(),
    "taken_at": _date(exif=True),
    "location": _exif("geo_point"),
    "altitude": _exif("float"),
    "iso": _exif("integer"),
    "f_number": _exif("float"),
    "exposure_time": _exif("float"),
    "focal_length": _exif("float"),
    "metadata_error": _keyword(ERROR_IGNORE_ABOVE),
    "uploaded_at": _date(),
}

UPLOAD_PROPERTIES: dict[str, Any] = {
    "event_id": {"type": "keyword"},
    "image_id": {"type": "keyword"},
    "link_id": {"type": "keyword"},
    "uploaded_at": _date(),
    "duplicate": {"type": "boolean"},
    "format": _keyword(),
    # Added after v1 was created; ensure_indices adds it to an existing index.
    "filename": _keyword(FILENAME_IGNORE_ABOVE),
    # The sender's opaque label (a prefix of the hash of its id); added after v1 too.
    "sender": {"type": "keyword"},
}

IMAGES_MAPPING: dict[str, Any] = {"dynamic": "strict", "properties": IMAGE_PROPERTIES}
UPLOADS_MAPPING: dict[str, Any] = {"dynamic": "strict", "properties": UPLOAD_PROPERTIES}
