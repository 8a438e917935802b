"""Verifying a stored image in a worker: every pixel decoded, or the image rejected.

Runs inside a pool process whose address space is limited
(``WORKER_MEMORY_LIMIT``, set in :mod:`tasks.worker`) and under the task time
limits, so a decoder that runs away costs one process and one delivery. Deliveries
are counted: one that killed its process is retried, and after
``VERIFY_MAX_ATTEMPTS`` the image is rejected, so the queue keeps draining.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile

from inlet.images import ImageRejected, verify
from inlet.outcomes import Refusal, State
from inlet.verification import Rejection
from tasks import metrics
from tasks.context import Context

log = logging.getLogger(__name__)

SPOOL_MEMORY = 1024 * 1024


def verified(ctx: Context, image_id: str, fmt: str) -> bool:
    """True when the image is (or now becomes) ready; False when it is rejected."""
    states = ctx.states
    state = states.state(image_id)
    if state is not State.PENDING:
        return state is State.READY
    attempts = states.attempt(image_id)
    if attempts > ctx.settings.verify_max_attempts:
        detail = f"decoding it ended its worker process {attempts - 1} times"
        reject(ctx, image_id, Rejection(Refusal.UNDECODABLE, detail))
        return False
    try:
        _decode_all(ctx, image_id, fmt)
    except ImageRejected as exc:
        reject(ctx, image_id, Rejection(exc.reason, exc.detail))
        return False
    except MemoryError:
        detail = "decoding it needs more memory than a worker may use"
        reject(ctx, image_id, Rejection(Refusal.TOO_MANY_PIXELS, detail))
        return False
    states.mark_ready(image_id)
    return True


def _decode_all(ctx: Context, image_id: str, fmt: str) -> None:
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
        blob = ctx.blobs.open(image_id)
        try:
            shutil.copyfileobj(blob, spool, 256 * 1024)
        finally:
            blob.close()
        verify(spool, fmt=fmt, max_frames=ctx.settings.verify_max_frames)


def reject(ctx: Context, image_id: str, rejection: Rejection) -> None:
    """Never served, never counted: bytes, hash, document and upload events go.

    The marker is written first: from then on uploads of these bytes are refused and
    upload events that arrive late are dropped (:func:`tasks.pipeline.record_upload`).
    """
    log.warning("image %s rejected: %s", image_id, rejection.detail)
    metrics.IMAGES_REJECTED.labels(reason=rejection.reason.value).inc()
    ctx.states.mark_rejected(image_id, rejection)
    ctx.hashes.discard(image_id)
    with contextlib.suppress(FileNotFoundError):
        ctx.blobs.delete(image_id)
    ctx.delete_image(image_id)
    ctx.delete_uploads_of(image_id)
