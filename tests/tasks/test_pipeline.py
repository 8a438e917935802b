"""The task bodies as plain functions, against the real S3 and search servers."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date
from typing import Any, cast

import pytest

from devstack.servers import free_port
from inlet.blobs import StoreUnavailable
from inlet.outcomes import State
from inlet.settings import Settings
from inlet.stores.blobstore import BlobStore, BlobStream
from search import service
from search.client import make_client
from search.errors import SearchUnavailable
from tasks import pipeline
from tasks.context import Context
from tests.images import make_exif, make_image
from tests.support import refresh
from tests.tasks.conftest import store

UPLOADED = "2026-05-01T10:00:00.000+00:00"


def stored_image(ctx: Context, seed: int = 1, **exif: object) -> str:
    data = make_image("JPEG", seed=seed, exif=make_exif(**exif))  # type: ignore[arg-type]
    image_id = hashlib.sha256(data).hexdigest()
    store(ctx.blobs, image_id, data, "JPEG", UPLOADED)
    return image_id


def test_index_image_extracts_and_indexes(ctx: Context) -> None:
    image_id = stored_image(
        ctx,
        make="Canon",
        model="Canon EOS R5",
        taken_at="2024:05:01 12:30:00",
        offset="+02:00",
        gps=(48.8584, 2.2945),
    )
    pipeline.index_image(ctx, image_id)
    doc = service.get_image(ctx.es, ctx.names, image_id)
    assert doc is not None
    assert doc["id"] == image_id
    assert doc["format"] == "JPEG"
    assert doc["mime_type"] == "image/jpeg"
    assert (doc["width"], doc["height"]) == (64, 48)
    assert doc["make"] == "Canon"
    assert doc["model"] == "Canon EOS R5"
    assert doc["taken_at"] == "2024-05-01T12:30:00+02:00"
    assert doc["location"]["lat"] == pytest.approx(48.8584, abs=1e-4)
    assert doc["location"]["lon"] == pytest.approx(2.2945, abs=1e-4)
    assert doc["uploaded_at"].startswith("2026-05-01T10:00:00")


def test_running_tasks_twice_changes_nothing(ctx: Context) -> None:
    image_id = stored_image(ctx, seed=2, make="Nikon", model="Z 6")
    pipeline.index_image(ctx, image_id)
    event = {
        "event_id": "e1",
        "image_id": image_id,
        "link_id": "l1",
        "uploaded_at": UPLOADED,
        "duplicate": False,
        "format": "JPEG",
    }
    pipeline.record_upload(ctx, event)
    refresh(ctx.es, ctx.names)
    before = (
        service.get_image(ctx.es, ctx.names, image_id),
        service.fetch_stats(ctx.es, ctx.names, date(2026, 5, 1), "UTC"),
    )
    pipeline.index_image(ctx, image_id)
    pipeline.record_upload(ctx, event)
    refresh(ctx.es, ctx.names)
    after = (
        service.get_image(ctx.es, ctx.names, image_id),
        service.fetch_stats(ctx.es, ctx.names, date(2026, 5, 1), "UTC"),
    )
    assert after == before
    assert after[1]["totals"] == {"images": 1, "uploads": 1}


def test_an_image_deleted_before_its_job_runs_is_skipped(ctx: Context) -> None:
    image_id = stored_image(ctx, seed=3)
    ctx.blobs.delete(image_id)
    assert pipeline.index_image(ctx, image_id) is None
    assert service.get_image(ctx.es, ctx.names, image_id) is None


def test_undecodable_metadata_still_indexes_what_the_upload_knew(ctx: Context) -> None:
    data = b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00\xff\xff" + b"\x00" * 64
    image_id = hashlib.sha256(data).hexdigest()
    store(ctx.blobs, image_id, data, "JPEG", UPLOADED)
    ctx.states.mark_ready(image_id)  # verified before: only the metadata is unreadable
    doc = pipeline.index_image(ctx, image_id)
    assert doc is not None
    assert doc["format"] == "JPEG"
    assert doc["size_bytes"] == len(data)
    assert doc["metadata_error"]


def test_reconcile_queues_exactly_the_unindexed_images(ctx: Context) -> None:
    indexed = stored_image(ctx, seed=4)
    missing = {stored_image(ctx, seed=5), stored_image(ctx, seed=6)}
    pipeline.index_image(ctx, indexed)
    queued: list[str] = []
    assert pipeline.reconcile(ctx, queued.append) == 2
    assert set(queued) == missing
    for image_id in queued:
        pipeline.index_image(ctx, image_id)
    assert pipeline.reconcile(ctx, queued.append) == 0


def test_search_outage_is_a_transient_error(ctx: Context, settings: Settings) -> None:
    image_id = stored_image(ctx, seed=7)
    down = settings.replace(elasticsearch_url=f"http://127.0.0.1:{free_port()}")
    broken = Context(settings=down, blobs=ctx.blobs, es=make_client(down), redis=ctx.redis)
    with pytest.raises(SearchUnavailable):
        pipeline.index_image(broken, image_id)


def test_delete_removes_the_document(ctx: Context) -> None:
    image_id = stored_image(ctx, seed=8)
    pipeline.index_image(ctx, image_id)
    pipeline.delete_image(ctx, image_id)
    pipeline.delete_image(ctx, image_id)
    assert service.get_image(ctx.es, ctx.names, image_id) is None


class StoreDownForReads:
    """The real store, except that reading an object fails as an outage does."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def __getattr__(self, name: str) -> Any:
        return getattr(self.blobs, name)

    def open(self, image_id: str, *, byte_range: str | None = None) -> BlobStream:
        raise StoreUnavailable("the store is not answering")


def test_a_store_outage_never_counts_toward_rejecting_an_image(ctx: Context) -> None:
    image_id = stored_image(ctx, seed=31)
    down = dataclasses.replace(ctx, blobs=cast(BlobStore, StoreDownForReads(ctx.blobs)))
    for _ in range(ctx.settings.verify_max_attempts + 2):
        with pytest.raises(StoreUnavailable):
            pipeline.index_image(down, image_id)

    doc = pipeline.index_image(ctx, image_id)

    assert doc is not None
    assert ctx.states.state(image_id) is State.READY
