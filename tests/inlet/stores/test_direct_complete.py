"""A direct upload from offer to commit: parts PUT to moto on signed URLs (real S3 and
Redis for the store side; our own fakes for quota, dispatch and history)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from inlet import parts
from inlet.blobs import StoreUnavailable
from inlet.direct import Declared, DirectUploads, Offer, Policy
from inlet.direct_complete import Completer, Incomplete, NotFound
from inlet.links import Link
from inlet.outcomes import Accepted, Refusal, Refused, State
from inlet.presign import Credentials
from inlet.senders import Sender
from inlet.settings import Settings
from inlet.stores.blobstore import S3BlobStore
from inlet.stores.direct import StagedUploads
from inlet.stores.direct_state import DirectUploadState
from tests.fakes import FakeDispatcher, FakeHashes, FakeHistory, FakeQuota, FakeStates
from tests.images import make_image

MiB = 1024 * 1024
PART = 5 * MiB


class Flow:
    def __init__(self, settings: Settings, blob_store: S3BlobStore, redis: Any) -> None:
        creds = Credentials(settings.s3_access_key, settings.s3_secret_key, settings.s3_region)
        self.origin = settings.s3_endpoint
        self.staging = StagedUploads(
            blob_store.client, blob_store.bucket, creds, settings.s3_endpoint
        )
        self.book = DirectUploadState(redis, settings.redis_prefix)
        self.quota, self.states, self.hashes = FakeQuota(), FakeStates(), FakeHashes()
        self.dispatcher, self.blobs = FakeDispatcher(), blob_store
        self.link = Link("L1", 0, int(time.time()) + 3600, 10, 0, False)
        policy = Policy(part_size=PART, url_ttl=300, upload_ttl=3600, max_image_bytes=50 * MiB)
        self.direct = DirectUploads(
            staging=self.staging, book=self.book, quota=self.quota, states=self.states,
            policy=policy,
        )  # fmt: skip
        self.completer = Completer(
            book=self.book, staging=self.staging, quota=self.quota, hashes=self.hashes,
            blobs=blob_store, states=self.states, dispatcher=self.dispatcher,
            history=FakeHistory(), part_size=PART, max_image_pixels=10_000_000,
        )  # fmt: skip

    def offer(self, data: bytes, sender: str = "s1") -> Offer:
        hashes = [
            hashlib.sha256(data[p.offset : p.offset + p.length]).hexdigest()
            for p in parts.plan(len(data), PART)
        ]
        item = Declared(hashlib.sha256(data).hexdigest(), "a.png", len(data), "image/png", hashes)
        offer = self.direct.offer(self.link, sender, item, origin=self.origin, now=_now())
        assert isinstance(offer, Offer)
        return offer

    def send(self, offer: Offer, data: bytes, numbers: set[int] | None = None) -> None:
        for part in offer.parts:
            if part.done or (numbers is not None and part.number not in numbers):
                continue
            chunk = data[part.offset : part.offset + part.length]
            answer = requests.put(part.url, data=chunk, headers=part.headers, timeout=10)
            assert answer.status_code == 200, answer.text

    def complete(self, offer: Offer, link: Link | None = None, sender: Sender | None = None) -> Any:
        by = sender or Sender(offer.upload.sender)
        return self.completer.complete(link or self.link, by, offer.upload.upload_id, _now())


def _now() -> datetime:
    return datetime.now(UTC)


def big_png() -> bytes:
    return make_image("PNG", size=(16, 16)) + b"\0" * (6 * MiB)  # two parts


def stored_bytes(blob_store: S3BlobStore, image_id: str) -> bytes:
    stream = blob_store.open(image_id)
    try:
        return stream.read()
    finally:
        stream.close()


def test_parts_sent_then_completed_are_the_image_pending_and_counted(
    settings: Settings, blob_store: S3BlobStore, redis_client: Any
) -> None:
    flow = Flow(settings, blob_store, redis_client)
    data = big_png()
    offer = flow.offer(data)
    flow.send(offer, data, {1})
    assert flow.complete(offer) == Incomplete([2])

    resumed = flow.offer(data)
    assert [p.done for p in resumed.parts] == [True, False]
    flow.send(resumed, data)
    accepted = flow.complete(offer)

    assert isinstance(accepted, Accepted)
    assert (accepted.duplicate, accepted.state) == (False, State.PENDING)
    assert stored_bytes(blob_store, accepted.image_id) == data
    assert blob_store.head(accepted.image_id).metadata.get("format") == "PNG"
    assert [e.image_id for e in flow.dispatcher.events] == [accepted.image_id]
    assert flow.quota.used == {"L1": 1}
    assert flow.complete(offer) == NotFound()  # once


def test_the_same_bytes_from_two_senders_are_stored_once(
    settings: Settings, blob_store: S3BlobStore, redis_client: Any
) -> None:
    flow = Flow(settings, blob_store, redis_client)
    data = make_image("PNG", seed=77)
    first, second = flow.offer(data, "s1"), flow.offer(data, "s2")
    flow.send(first, data)
    flow.send(second, data)
    results = [flow.complete(first), flow.complete(second)]
    assert [r.duplicate for r in results] == [False, True]
    assert flow.dispatcher.indexed == [results[0].image_id]


def test_another_links_completion_finds_nothing(
    settings: Settings, blob_store: S3BlobStore, redis_client: Any
) -> None:
    flow = Flow(settings, blob_store, redis_client)
    data = make_image("PNG", seed=78)
    offer = flow.offer(data)
    flow.send(offer, data)
    other = Link("L2", 0, int(time.time()) + 3600, 10, 0, False)
    assert flow.complete(offer, other) == NotFound()
    assert isinstance(flow.complete(offer), Accepted)


def test_bytes_that_are_no_image_are_refused_and_give_their_quota_back(
    settings: Settings, blob_store: S3BlobStore, redis_client: Any
) -> None:
    flow = Flow(settings, blob_store, redis_client)
    data = b"plain text, not an image"
    offer = flow.offer(data)
    flow.send(offer, data)
    refused = flow.complete(offer)
    assert isinstance(refused, Refused)
    assert refused.reason is Refusal.NOT_AN_IMAGE
    assert flow.quota.used == {"L1": 0}
    assert not blob_store.exists(hashlib.sha256(data).hexdigest())
    assert flow.dispatcher.events == []


def test_another_senders_completion_finds_nothing(
    settings: Settings, blob_store: S3BlobStore, redis_client: Any
) -> None:
    flow = Flow(settings, blob_store, redis_client)
    data = make_image("PNG", seed=79)
    offer = flow.offer(data, "s1")
    flow.send(offer, data)
    assert flow.complete(offer, sender=Sender("s2")) == NotFound()
    assert isinstance(flow.complete(offer), Accepted)


class FailingStore:
    """The store goes away between the parts and their completion."""

    def __init__(self, staging: StagedUploads) -> None:
        self.staging = staging

    def __getattr__(self, name: str) -> Any:
        return getattr(self.staging, name)

    def complete_held(self, upload_id: str, s3_id: str) -> None:
        raise StoreUnavailable("store timed out")


def test_a_store_failure_while_completing_gives_the_quota_back(
    settings: Settings, blob_store: S3BlobStore, redis_client: Any
) -> None:
    flow = Flow(settings, blob_store, redis_client)
    data = make_image("PNG", seed=80)
    offer = flow.offer(data)
    flow.send(offer, data)
    flow.completer.staging = FailingStore(flow.staging)
    with pytest.raises(StoreUnavailable):
        flow.complete(offer)
    assert flow.quota.used == {"L1": 0}
    assert flow.complete(offer) == NotFound()  # spent: asking again by hash starts anew
    assert flow.dispatcher.events == []
