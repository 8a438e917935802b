"""The public rendition, as the workers make, record and delete it (real Redis and S3)."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from inlet.metadata import extract_metadata
from inlet.outcomes import Refusal
from inlet.stores.renditions import WITHHELD
from inlet.verification import Rejection
from search import service
from tasks import pipeline
from tasks.context import Context
from tasks.renditions import ensure_rendition
from tasks.verify import reject
from tests.images import GPS_XMP, make_image, make_located_image
from tests.tasks.conftest import store

UPLOADED = "2026-05-01T10:00:00.000+00:00"


def stored(ctx: Context, data: bytes, fmt: str = "JPEG") -> str:
    image_id = hashlib.sha256(data).hexdigest()
    store(ctx.blobs, image_id, data, fmt, UPLOADED)
    return image_id


def public_bytes(ctx: Context, image_id: str) -> bytes:
    blob = ctx.renditions.store.open(image_id)
    try:
        return blob.read()
    finally:
        blob.close()


def test_verification_makes_and_records_the_rendition_once(ctx: Context) -> None:
    image_id = stored(ctx, make_located_image("JPEG", seed=41))
    pipeline.index_image(ctx, image_id)
    public_hash = ctx.renditions.public_hash(image_id)
    public = public_bytes(ctx, image_id)
    assert public_hash == hashlib.sha256(public).hexdigest() != image_id
    assert "location" not in extract_metadata(io.BytesIO(public), len(public))
    # The index keeps the location for admins.
    doc = service.get_image(ctx.es, ctx.names, image_id)
    assert doc is not None
    assert doc["location"] == {"lat": 51.5, "lon": -0.12}
    # Once: a second run finds the record and writes nothing.
    ctx.renditions.store.delete(image_id)
    pipeline.index_image(ctx, image_id)
    assert ctx.renditions.public_hash(image_id) == public_hash
    assert not ctx.renditions.store.exists(image_id)


def test_an_image_without_a_location_is_its_own_rendition(ctx: Context) -> None:
    image_id = stored(ctx, make_image("PNG", seed=42), "PNG")
    pipeline.index_image(ctx, image_id)
    assert ctx.renditions.public_hash(image_id) == image_id
    assert not ctx.renditions.store.exists(image_id)  # no second object


def test_an_image_stored_before_renditions_gets_one_from_reconcile(ctx: Context) -> None:
    image_id = stored(ctx, make_located_image("PNG", seed=43), "PNG")
    pipeline.index_image(ctx, image_id)
    ctx.renditions.delete(image_id)  # as if it had been indexed before renditions existed
    queued: list[str] = []
    assert pipeline.reconcile(ctx, queued.append) == 1
    assert queued == [image_id]
    pipeline.index_image(ctx, image_id)
    assert ctx.renditions.public_hash(image_id) not in (None, image_id)
    assert pipeline.reconcile(ctx, queued.append) == 0


def test_a_location_it_cannot_remove_withholds_the_image(ctx: Context) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(
        buf, format="JPEG", xmp=GPS_XMP.replace(b"</exif:GPSAltitude>", b"")
    )
    image_id = stored(ctx, buf.getvalue())
    info = ctx.blobs.head(image_id)
    assert ensure_rendition(ctx, image_id, info) == WITHHELD
    assert ctx.renditions.public_hash(image_id) == WITHHELD
    assert not ctx.renditions.store.exists(image_id)


def test_rejecting_or_deleting_an_image_deletes_its_rendition(ctx: Context) -> None:
    for seed, end in ((44, "reject"), (45, "delete")):
        image_id = stored(ctx, make_located_image("JPEG", seed=seed))
        pipeline.index_image(ctx, image_id)
        assert ctx.renditions.store.exists(image_id)
        if end == "reject":
            reject(ctx, image_id, Rejection(Refusal.UNDECODABLE, "truncated"))
        else:
            pipeline.delete_image(ctx, image_id)
        assert ctx.renditions.public_hash(image_id) is None
        assert not ctx.renditions.store.exists(image_id)
