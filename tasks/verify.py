"""Verifying a stored image in a worker: every pixel decoded, or the image rejected.

Runs inside a pool process whose address space is limited
(``WORKER_MEMORY_LIMIT``, set in :mod:`tasks.worker`) and under the task time
limits, so a decoder that runs away costs one process and one delivery. Deliveries
are counted: one that killed its process is retried, and after
``VERIFY_MAX_ATTEMPTS`` the image is rejected, so the queue keeps draining.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
from typing import IO

from celery.exceptions import SoftTimeLimitExceeded

from inlet.blobs import BlobInfo
from inlet.images import ImageRejected, verify
from inlet.outcomes import Refusal, State
from inlet.verification import Rejection
from tasks import metrics
from tasks.context import Context
from tasks.renditions import ensure_rendition

log = logging.getLogger(__name__)

SPOOL_MEMORY = 1024 * 1024


def verified(ctx: Context, image_id: str, info: BlobInfo) -> bool:
    """True when the image is (or now becomes) ready; False when it is rejected.

    Reading the bytes comes first and is not counted: a store outage is a transient
    error (the task retries), never a reason to reject an image. Only a delivery that
    started decoding and never came back (its process died) counts as an attempt.
    A sound image gets its public rendition from the bytes already read.
    """
    states = ctx.states
    state = states.state(image_id)
    if state is not State.PENDING:
        return state is State.READY
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
        rejection = _download(ctx, image_id, spool)
        if rejection is None:
            rejection = _decode_counted(ctx, image_id, info.metadata.get("format", ""), spool)
        if rejection is None:
            states.mark_ready(image_id)
            ensure_rendition(ctx, image_id, info, spool)
    if rejection is not None:
        reject(ctx, image_id, rejection)
        return False
    return True


def _download(ctx: Context, image_id: str, spool: IO[bytes]) -> Rejection | None:
    """Copy the object into ``spool``, hashing it; a rejection when the hash is not its id.

    Bytes sent straight to the store were never hashed by the API, and a store need not
    check the signed checksum (moto does not; a multipart object's is composite anyway),
    so this is where a client's declared SHA-256 is held to the bytes it sent.
    """
    digest = hashlib.sha256()
    blob = ctx.blobs.open(image_id)
    try:
        while chunk := blob.read(256 * 1024):
            digest.update(chunk)
            spool.write(chunk)
    finally:
        blob.close()
    if digest.hexdigest() == image_id:
        return None
    return Rejection(
        Refusal.HASH_MISMATCH, "the stored bytes do not hash to the SHA-256 they were sent as"
    )


def _decode_counted(ctx: Context, image_id: str, fmt: str, spool: IO[bytes]) -> Rejection | None:
    """Decode everything; the reason to reject the image, or None when it is sound."""
    states = ctx.states
    attempts = states.attempt(image_id)
    if attempts > ctx.settings.verify_max_attempts:
        detail = f"decoding it ended its worker process {attempts - 1} times"
        return Rejection(Refusal.UNDECODABLE, detail)
    try:
        verify(spool, fmt=fmt, max_frames=ctx.settings.verify_max_frames)
    except ImageRejected as exc:
        return Rejection(exc.reason, exc.detail)
    except MemoryError:
        return Rejection(
            Refusal.TOO_MANY_PIXELS, "decoding it needs more memory than a worker may use"
        )
    except SoftTimeLimitExceeded:
        return Rejection(Refusal.UNDECODABLE, "decoding it took longer than the task time limit")
    except BaseException:
        states.attempt_survived(image_id)  # the process lives: not a decoder crash
        raise
    return None


def reject(ctx: Context, image_id: str, rejection: Rejection) -> None:
    """Never served, never counted: bytes, hash, document and upload events go.

    The marker is written first: from then on uploads of these bytes are refused and
    upload events that arrive late are dropped (:func:`tasks.pipeline.record_upload`).
    """
    log.warning("image %s rejected: %s", image_id, rejection.detail)
    metrics.IMAGES_REJECTED.labels(reason=rejection.reason.value).inc()
    ctx.states.mark_rejected(image_id, rejection)
    ctx.hashes.discard(image_id)
    ctx.renditions.delete(image_id)
    with contextlib.suppress(FileNotFoundError):
        ctx.blobs.delete(image_id)
    ctx.delete_image(image_id)
    ctx.delete_uploads_of(image_id)
