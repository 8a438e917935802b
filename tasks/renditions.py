"""Making an image's public rendition, once, in the worker that verified it.

The rendition is the original with its location removed (:mod:`inlet.location`). It is
checked with the same reader that indexes metadata before it is recorded: a location
still readable there, or one the stripper could not remove, withholds the image from
the public rather than serve it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
from typing import IO

from inlet.blobs import BlobInfo
from inlet.location import strip_location
from inlet.stores.renditions import WITHHELD
from tasks.context import Context, extract_in_worker

log = logging.getLogger(__name__)

_LOCATION_FIELDS = ("location", "altitude")


def ensure_rendition(
    ctx: Context, image_id: str, info: BlobInfo, source: IO[bytes] | None = None
) -> str:
    """The public hash of ``image_id``, making and recording the rendition if there is
    none yet. ``source``: the original's bytes when the caller has them already."""
    renditions = ctx.renditions
    recorded = renditions.public_hash(image_id)
    if recorded is not None:
        return recorded
    data = _read(ctx, image_id, source)
    removal = strip_location(data)
    public = removal.data
    if not removal.complete or _still_located(public):
        log.warning("image %s: its location could not be removed; withheld", image_id)
        renditions.record(image_id, WITHHELD)
        return WITHHELD
    digest = hashlib.sha256(public).hexdigest() if removal.changed else image_id
    if removal.changed:
        renditions.store.put(
            image_id,
            io.BytesIO(public),
            content_type=info.content_type,
            metadata={"format": info.metadata.get("format", "")},
        )
        log.info("image %s: location removed, public copy %s", image_id, digest)
    renditions.record(image_id, digest)
    return digest


def _read(ctx: Context, image_id: str, source: IO[bytes] | None) -> bytes:
    if source is not None:
        source.seek(0)
        return source.read()
    buf = io.BytesIO()
    blob = ctx.blobs.open(image_id)
    try:
        shutil.copyfileobj(blob, buf, 256 * 1024)
    finally:
        blob.close()
    return buf.getvalue()


def _still_located(data: bytes) -> bool:
    # The reader itself, not ctx.extract (which tests and benchmarks replace to watch
    # or slow the indexing): the same parser that indexes a location must find none.
    found = extract_in_worker(io.BytesIO(data), len(data))
    return any(field in found for field in _LOCATION_FIELDS)
