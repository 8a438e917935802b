"""Beat aborts the multipart uploads nobody completed (real S3: moto)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from inlet.blobs import key_for
from inlet.direct import Declared, DirectUploads, Offer, Policy
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.keys import Keys
from inlet.stores.multipart import IncompleteUploads
from tasks import jobs, pipeline
from tasks.celery_app import create_celery
from tasks.context import Context

LATER = timedelta(days=2)
MiB = 1024 * 1024


def started(blobs: S3BlobStore, image_id: str) -> str:
    """An upload left as the API leaves one when it is killed after its first part."""
    key = key_for(image_id)
    upload_id: str = blobs.client._create_multipart_upload(
        blobs.bucket, key, {"Content-Type": "image/png"}
    )
    blobs.client._upload_part(blobs.bucket, key, b"x" * (5 * 1024 * 1024), None, upload_id, 1)
    return upload_id


def pending(blobs: S3BlobStore) -> set[str]:
    return {u.upload_id for u in IncompleteUploads(blobs.client, blobs.bucket)}


def test_an_old_incomplete_upload_is_aborted_and_a_young_one_kept(ctx: Context) -> None:
    assert isinstance(ctx.blobs, S3BlobStore)
    upload_id = started(ctx.blobs, "ab" * 32)

    assert pipeline.abort_incomplete_uploads(ctx) == 0  # first seen now
    assert upload_id in pending(ctx.blobs)
    assert pipeline.abort_incomplete_uploads(ctx, now=datetime.now(UTC) + LATER / 4) == 0
    assert upload_id in pending(ctx.blobs)

    now = datetime.now(UTC) + LATER
    assert pipeline.abort_incomplete_uploads(ctx, now=now) == 1
    assert upload_id not in pending(ctx.blobs)
    assert not ctx.blobs.exists("ab" * 32)
    # Idempotent: a second run finds nothing left to abort, and forgets what it saw.
    assert pipeline.abort_incomplete_uploads(ctx, now=now) == 0
    assert ctx.redis.hlen(Keys(ctx.settings.redis_prefix).incomplete_uploads()) == 0


def test_aborting_an_upload_already_gone_is_no_error(ctx: Context) -> None:
    assert isinstance(ctx.blobs, S3BlobStore)
    uploads = IncompleteUploads(ctx.blobs.client, ctx.blobs.bucket)
    upload_id = started(ctx.blobs, "cd" * 32)
    [gone] = [u for u in uploads if u.upload_id == upload_id]
    uploads.abort(gone)
    uploads.abort(gone)
    assert upload_id not in pending(ctx.blobs)


def test_beat_schedules_the_abort(settings: Settings) -> None:
    entry = create_celery(settings).conf.beat_schedule["abort-incomplete-uploads"]
    assert entry["task"] == jobs.abort_incomplete_uploads.name
    assert entry["schedule"] == float(settings.reconcile_interval)


def test_a_direct_upload_past_its_expiry_is_aborted_and_its_quota_given_back(
    ctx: Context,
) -> None:
    link = ctx.links.create(int(time.time()) + 3600, 5, max_bytes=10 * MiB)
    staging = ctx.staged_uploads
    assert staging is not None
    policy = Policy(part_size=5 * MiB, url_ttl=60, upload_ttl=60, max_image_bytes=50 * MiB)
    direct = DirectUploads(
        staging=staging, book=ctx.direct_uploads, quota=ctx.links, states=ctx.states,
        policy=policy,
    )  # fmt: skip
    item = Declared("ab" * 32, "a.png", 100, "image/png", ["cd" * 32])
    offer = direct.offer(link, "s1", item, origin="http://h", now=datetime.now(UTC))
    assert isinstance(offer, Offer)
    assert (ctx.links.get(link.id).used, ctx.links.get(link.id).used_bytes) == (1, 100)

    assert pipeline.abort_incomplete_uploads(ctx) == 0  # not expired yet
    assert ctx.links.get(link.id).used == 1
    pipeline.abort_incomplete_uploads(ctx, now=datetime.now(UTC) + LATER)

    assert (ctx.links.get(link.id).used, ctx.links.get(link.id).used_bytes) == (0, 0)
    assert isinstance(ctx.blobs, S3BlobStore)
    assert offer.upload.s3_id not in pending(ctx.blobs)
    assert ctx.direct_uploads.get(offer.upload.upload_id) is None
