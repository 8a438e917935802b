"""The reconcile job rebuilds the dedup SET from the store and marks it complete."""

from __future__ import annotations

from tasks import pipeline
from tasks.context import Context
from tests.tasks.test_pipeline import stored_image


def test_reconcile_puts_every_stored_image_back_and_marks_the_index_complete(
    ctx: Context,
) -> None:
    kept = stored_image(ctx, seed=21)
    forgotten = stored_image(ctx, seed=22)
    hashes = ctx.hashes
    hashes.add(kept)
    # What a Redis that lost data looks like: an image stored, the SET without it.
    hashes.discard(forgotten)
    unknown = "c" * 64
    assert (hashes.known(kept), hashes.known(forgotten), hashes.known(unknown)) == (
        True,
        None,
        None,
    )
    pipeline.reconcile(ctx, lambda image_id: None)
    assert (hashes.known(kept), hashes.known(forgotten), hashes.known(unknown)) == (
        True,
        True,
        False,
    )
    # Redis loses the SET, marker and all: a miss asks the store again.
    ctx.redis.delete(hashes.key)
    assert hashes.known(unknown) is None
