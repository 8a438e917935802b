"""Pure functions that turn what the pipeline knows into index documents.

The indices have strict mappings (:mod:`search.mappings`), so these builders keep
only known fields and JSON-safe values: a document is never rejected because
metadata extraction found something unexpected.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeGuard

from search.mappings import FILENAME_IGNORE_ABOVE, IMAGE_PROPERTIES

# A sender label is 12 hex digits; the bound only keeps a stray event small.
SENDER_LABEL_MAX = 64

log = logging.getLogger(__name__)

# Fields of an image document that come from the extracted metadata; the others are
# set here.
IMAGE_METADATA_FIELDS = frozenset(IMAGE_PROPERTIES) - {"id", "uploaded_at"}


def isoformat_utc(moment: datetime) -> str:
    """``2024-05-01T12:00:00.000Z``: UTC, millisecond precision like the date fields."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: give it a time zone")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _timestamp(value: str | datetime) -> str:
    return isoformat_utc(value) if isinstance(value, datetime) else value


def image_document(
    image_id: str,
    metadata: Mapping[str, Any],
    uploaded_at: str | datetime,
) -> dict[str, Any]:
    """The images-index document for one unique image (its ``_id`` is ``image_id``).

    ``metadata`` uses the mapping's field names; unknown keys, ``None`` and values
    that cannot be JSON (bytes, NaN) are dropped. ``location`` is a ``{"lat", "lon"}``
    mapping or a ``(lat, lon)`` pair, stored as the mapping: a bare list would be read
    by the server as ``[lon, lat]``.
    """
    doc: dict[str, Any] = {"id": image_id}
    for key, raw in metadata.items():
        if key not in IMAGE_METADATA_FIELDS:
            log.debug("image %s: dropping unknown metadata field %r", image_id, key)
            continue
        value = _location(raw) if key == "location" else _scalar(raw)
        if value is not None:
            doc[key] = value
    doc["uploaded_at"] = _timestamp(uploaded_at)
    return doc


def upload_document(  # noqa: PLR0917 - the callers' agreed, positional signature
    event_id: str,
    image_id: str,
    link_id: str,
    uploaded_at: str | datetime,
    duplicate: bool,
    format: str | None = None,
    filename: str | None = None,
    *,
    sender: str | None = None,
) -> dict[str, Any]:
    """The uploads-index document for one accepted file (its ``_id`` is ``event_id``).

    The filename is the uploader's and untrusted: kept only as a bounded string.
    """
    doc: dict[str, Any] = {
        "event_id": event_id,
        "image_id": image_id,
        "link_id": link_id,
        "uploaded_at": _timestamp(uploaded_at),
        "duplicate": duplicate,
    }
    if format is not None:
        doc["format"] = format
    if isinstance(filename, str) and filename:
        doc["filename"] = filename[: FILENAME_IGNORE_ABOVE - 1]
    if isinstance(sender, str) and sender:
        doc["sender"] = sender[:SENDER_LABEL_MAX]
    return doc


def _scalar(value: Any) -> Any:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        # EXIF times usually have no offset; the server reads those as UTC, which is
        # also what isoformat() without one says.
        return isoformat_utc(value) if value.tzinfo else value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    return None


def _location(value: Any) -> dict[str, float] | None:
    if isinstance(value, Mapping):
        lat, lon = value.get("lat"), value.get("lon")
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        lat, lon = value
    else:
        return None
    if not (_is_number(lat) and _is_number(lon)):
        return None
    point = {"lat": float(lat), "lon": float(lon)}
    if not (-90 <= point["lat"] <= 90 and -180 <= point["lon"] <= 180):
        # Also false for NaN.
        return None
    return point


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
