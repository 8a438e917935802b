"""The worker holds stored bytes to the SHA-256 they were sent as (real Redis and S3)."""

from __future__ import annotations

import hashlib

from inlet.outcomes import Refusal, State
from tasks.context import Context
from tasks.verify import verified
from tests.images import make_image
from tests.tasks.conftest import store

UPLOADED = "2026-05-01T10:00:00.000+00:00"


def test_bytes_that_do_not_hash_to_their_id_are_rejected_and_removed(ctx: Context) -> None:
    right, wrong = make_image("PNG", seed=51), make_image("PNG", seed=52)
    image_id = hashlib.sha256(right).hexdigest()
    store(ctx.blobs, image_id, wrong, "PNG", UPLOADED)
    ctx.hashes.add(image_id)

    assert not verified(ctx, image_id, ctx.blobs.head(image_id))

    assert ctx.states.state(image_id) is State.REJECTED
    rejection = ctx.states.rejection(image_id)
    assert rejection is not None
    assert rejection.reason is Refusal.HASH_MISMATCH
    assert not ctx.blobs.exists(image_id)
    assert image_id not in ctx.hashes


def test_the_right_bytes_stored_afterwards_become_ready(ctx: Context) -> None:
    right, wrong = make_image("PNG", seed=53), make_image("PNG", seed=54)
    image_id = hashlib.sha256(right).hexdigest()
    store(ctx.blobs, image_id, wrong, "PNG", UPLOADED)
    assert not verified(ctx, image_id, ctx.blobs.head(image_id))

    ctx.states.forget_mismatch(image_id)  # as storing the right bytes does (Ingestor)
    store(ctx.blobs, image_id, right, "PNG", UPLOADED)

    assert verified(ctx, image_id, ctx.blobs.head(image_id))
    assert ctx.states.state(image_id) is State.READY
