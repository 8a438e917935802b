"""What the tasks do, as plain functions of a :class:`~tasks.context.Context`.

Tests call these directly, without a broker. Every write carries an explicit
document id, so running any of them twice leaves the index as once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any, BinaryIO, cast

from inlet.blobs import BlobInfo
from inlet.direct_expiry import expire_direct_uploads
from inlet.dispatch import UploadEvent
from inlet.outcomes import State
from inlet.stores.locks import RunLock
from inlet.stores.rangefile import RangeFile, blob_range_reader
from search.documents import image_document, upload_document
from tasks import metrics
from tasks.context import Context
from tasks.renditions import ensure_rendition
from tasks.verify import verified

log = logging.getLogger(__name__)

RECONCILE_BATCH = 500
TIME_LIMIT_NOTE = "metadata extraction exceeded its time limit"


def index_image(ctx: Context, image_id: str) -> dict[str, Any] | None:
    """Verify, extract and index one stored image; None when it is no longer stored
    or was rejected."""
    try:
        info = ctx.blobs.head(image_id)
    except FileNotFoundError:
        log.info("image %s is no longer stored; nothing to index", image_id)
        return None
    if not verified(ctx, image_id, info):
        return None
    # Made with the verification; here only for images stored before renditions were.
    ensure_rendition(ctx, image_id, info)
    reader = RangeFile(blob_range_reader(ctx.blobs, image_id), info.size)
    started = time.perf_counter()
    metadata = ctx.extract(cast(BinaryIO, reader), info.size)
    metrics.observe_extraction(metadata, time.perf_counter() - started)
    return _index(ctx, image_id, info, metadata)


def index_without_metadata(ctx: Context, image_id: str, note: str) -> dict[str, Any] | None:
    """Index what the upload already established when extraction cannot finish."""
    try:
        info = ctx.blobs.head(image_id)
    except FileNotFoundError:
        return None
    return _index(ctx, image_id, info, {"size_bytes": info.size, "metadata_error": note})


def _index(ctx: Context, image_id: str, info: BlobInfo, metadata: dict[str, Any]) -> dict[str, Any]:
    # The upload validated the format and stored it with the object: a fallback when
    # extraction could not identify the bytes.
    metadata.setdefault("format", info.metadata.get("format"))
    metadata.setdefault("mime_type", info.content_type)
    uploaded_at = info.metadata.get("uploaded-at") or datetime.now(UTC).isoformat()
    doc = image_document(image_id, metadata, uploaded_at)
    ctx.index_image(doc)
    return doc


def record_upload(ctx: Context, event: dict[str, Any]) -> dict[str, Any] | None:
    """Index one upload event; None when its image was rejected (it never counts)."""
    if ctx.states.state(event["image_id"]) is State.REJECTED:
        log.info("upload %s is of a rejected image; not counted", event["event_id"])
        ctx.outbox.done(event["event_id"])
        return None
    doc = upload_document(
        event["event_id"],
        event["image_id"],
        event["link_id"],
        event["uploaded_at"],
        bool(event["duplicate"]),
        event.get("format"),
        event.get("filename"),
        sender=event.get("sender"),
    )
    ctx.record_upload(doc)
    # Indexed: the replay job need not send it again.
    ctx.outbox.done(event["event_id"])
    return doc


def delete_image(ctx: Context, image_id: str) -> None:
    # The API deleted the rendition already; again here, after any job that was making
    # one while the original went.
    ctx.renditions.delete(image_id)
    ctx.delete_image(image_id)


def unindexed_images(ctx: Context, lock: RunLock) -> Iterator[str]:
    """Stored images that have no document or no public rendition yet, in batches.

    On the way, every stored image goes back into the dedup SET (a Redis that lost
    data forgot some), and once the whole store was listed the SET is marked complete:
    the API then answers an unknown id from Redis alone, without asking the store.
    """
    ids = ctx.blobs.iter_ids()
    hashes = ctx.hashes
    while batch := list(islice(ids, RECONCILE_BATCH)):
        lock.renew()
        hashes.add_many(batch)
        found = ctx.indexed_ids(batch)
        unrendered = set(ctx.renditions.missing(batch))
        yield from (i for i in batch if i not in found or i in unrendered)
    hashes.mark_complete()


def reconcile(ctx: Context, queue: Callable[[str], object]) -> int | None:
    """Queue a metadata job for every stored image missing from the index or without
    a public rendition (an image stored before renditions existed, a Redis that lost
    its records).

    Returns how many were queued. One run at a time (beat's, a slow one still going,
    ``python -m api reindex``): a run that finds another under way skips, and returns
    None.
    """
    lock = ctx.reconcile_lock()
    if not lock.acquire():
        log.info("reconcile: another run is under way; skipping this one")
        return None
    queued = 0
    try:
        for image_id in unindexed_images(ctx, lock):
            queue(image_id)
            queued += 1
    finally:
        lock.release()
    if queued:
        log.warning("reconcile: queued %d stored image(s) missing from the index", queued)
    return queued


def replay_outbox(ctx: Context, send: Callable[[UploadEvent], object]) -> int:
    """Send again every upload event accepted a while ago and not yet indexed.

    "A while" is the replay interval: an event younger than that may still be on its
    way through a healthy broker.
    """
    due = ctx.outbox.due(older_than=ctx.settings.outbox_replay_interval)
    for event in due:
        send(event)
    if due:
        log.warning("replay: sent %d upload event(s) again from the outbox", len(due))
    return len(due)


def abort_incomplete_uploads(ctx: Context, now: datetime | None = None) -> int:
    """Abort every incomplete multipart upload seen for INCOMPLETE_UPLOAD_MAX_AGE, and
    first every direct upload past its expiry, giving its quota back.

    Nothing refers to one once it is that old: the API completes what it starts within a
    request. Returns how many were aborted.
    """
    uploads, staging = ctx.incomplete_uploads, ctx.staged_uploads
    if uploads is None or staging is None:
        return 0
    at = (now or datetime.now(UTC)).timestamp()
    released = expire_direct_uploads(ctx.direct_uploads, staging, ctx.links, at)
    if released:
        log.warning("gave back the quota of %d direct upload(s) never completed", released)
    listed = list(uploads)
    first_seen = ctx.upload_sightings.first_seen({u.upload_id for u in listed}, at)
    max_age = ctx.settings.incomplete_upload_max_age
    stale = [u for u in listed if at - first_seen.get(u.upload_id, at) >= max_age]
    for upload in stale:
        uploads.abort(upload)
    ctx.upload_sightings.forget([u.upload_id for u in stale])
    if stale:
        log.warning("aborted %d incomplete multipart upload(s)", len(stale))
    return len(stale)
