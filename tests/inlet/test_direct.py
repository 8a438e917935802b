"""Offering direct uploads: quota, parts, resume (in-memory fakes of our own ports)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from inlet.direct import Declared, DirectUpload, DirectUploads, Offer, Policy
from inlet.direct_expiry import expire_direct_uploads
from inlet.links import Link, LinkNotFound
from inlet.outcomes import Refusal, Refused
from inlet.verification import Rejection
from tests.fakes import FakeQuota, FakeStates

MiB = 1024 * 1024
NOW = datetime.now(UTC)
ORIGIN = "https://photos.example"


@dataclass(frozen=True)
class Signed:
    url: str
    headers: dict[str, str]


@dataclass
class FakeStaging:
    started: list[str] = field(default_factory=list)
    held: dict[str, dict[int, int]] = field(default_factory=dict)

    def start(self, upload_id: str, content_type: str) -> str:
        self.started.append(upload_id)
        return "s3-" + upload_id

    def sign_part(
        self,
        origin: str,
        upload_id: str,
        s3_id: str,
        *,
        number: int,
        length: int,
        sha256_hex: str,
        now: datetime,
        expires: int,
    ) -> Signed:
        url = f"{origin}/b/incoming/{upload_id}?partNumber={number}&uploadId={s3_id}"
        return Signed(url, {"Content-Length": str(length), "x-amz-checksum-sha256": sha256_hex})

    def held_sizes(self, upload_id: str, s3_id: str) -> dict[int, int]:
        return dict(self.held.get(upload_id, {}))


@dataclass
class FakeBook:
    uploads: dict[tuple[str, str, str], DirectUpload] = field(default_factory=dict)

    def save(self, upload: DirectUpload) -> None:
        self.uploads[upload.link_id, upload.sender, upload.sha256] = upload

    def find(self, link_id: str, sender: str, sha256: str) -> DirectUpload | None:
        return self.uploads.get((link_id, sender, sha256))


class World:
    def __init__(self, max_images: int | None = 10) -> None:
        self.staging, self.book = FakeStaging(), FakeBook()
        self.quota, self.states = FakeQuota(), FakeStates()
        self.link = Link("L1", 0, int(time.time()) + 3600, max_images, 0, False)
        self.direct = DirectUploads(
            staging=self.staging,
            book=self.book,
            quota=self.quota,
            states=self.states,
            policy=Policy(
                part_size=5 * MiB, url_ttl=900, upload_ttl=86400, max_image_bytes=50 * MiB
            ),
        )

    def offer(self, item: Declared, sender: str = "s1") -> Offer | Refused:
        return self.direct.offer(self.link, sender, item, origin=ORIGIN, now=NOW)


def declared(size: int = 11 * MiB, parts: int = 3) -> Declared:
    hashes = [hashlib.sha256(bytes([i])).hexdigest() for i in range(parts)]
    return Declared("ab" * 32, "cat.png", size, "image/png", hashes)


def test_a_new_file_reserves_its_quota_and_gets_one_signed_put_per_part() -> None:
    world = World()
    offer = world.offer(declared())
    assert isinstance(offer, Offer)
    assert [(p.number, p.offset, p.length, p.done) for p in offer.parts] == [
        (1, 0, 5 * MiB, False),
        (2, 5 * MiB, 5 * MiB, False),
        (3, 10 * MiB, MiB, False),
    ]
    assert all(p.url.startswith(ORIGIN) and p.headers["Content-Length"] for p in offer.parts)
    assert world.quota.used == {"L1": 1}
    assert world.quota.used_bytes == {"L1": 11 * MiB}
    # Never past the link's expiry.
    assert offer.upload.expires_at == world.link.expires_at


def test_asking_again_resumes_the_same_upload_with_done_parts_and_no_second_reservation() -> None:
    world = World()
    first = world.offer(declared())
    assert isinstance(first, Offer)
    world.staging.held[first.upload.upload_id] = {1: 5 * MiB, 2: 5 * MiB - 1}

    again = world.offer(declared())

    assert isinstance(again, Offer)
    assert again.upload == first.upload
    assert [p.done for p in again.parts] == [True, False, False]  # part 2 is short: again
    assert again.parts[0].url == ""
    assert world.quota.used == {"L1": 1}
    assert len(world.staging.started) == 1


def test_another_sender_gets_an_upload_of_their_own() -> None:
    world = World()
    mine, theirs = world.offer(declared()), world.offer(declared(), sender="s2")
    assert isinstance(mine, Offer)
    assert isinstance(theirs, Offer)
    assert mine.upload.upload_id != theirs.upload.upload_id


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (declared(size=0, parts=1), Refusal.EMPTY),
        (declared(size=50 * MiB + 1, parts=11), Refusal.TOO_LARGE),
    ],
)
def test_sizes_out_of_bounds_are_refused_and_reserve_nothing(
    item: Declared, reason: Refusal
) -> None:
    world = World()
    refused = world.offer(item)
    assert isinstance(refused, Refused)
    assert refused.reason is reason
    assert world.quota.used == {}
    assert world.staging.started == []


def test_a_used_up_quota_is_refused_before_anything_starts() -> None:
    world = World(max_images=0)
    refused = world.offer(declared())
    assert isinstance(refused, Refused)
    assert refused.reason is Refusal.QUOTA_USED_UP
    assert world.staging.started == []


def test_rejected_bytes_are_refused_but_a_hash_mismatch_is_not() -> None:
    world = World()
    world.states.rejected["ab" * 32] = Rejection(Refusal.UNDECODABLE, "truncated")
    refused = world.offer(declared())
    assert isinstance(refused, Refused)
    assert refused.reason is Refusal.UNDECODABLE
    world.states.rejected["ab" * 32] = Rejection(Refusal.HASH_MISMATCH, "other bytes")
    assert isinstance(world.offer(declared()), Offer)


def test_part_hashes_that_do_not_match_the_plan_are_a_caller_error() -> None:
    with pytest.raises(ValueError, match="parts_sha256"):
        World().offer(declared(parts=2))


@dataclass
class ExpiryBook:
    uploads: dict[str, DirectUpload] = field(default_factory=dict)
    queue: dict[str, float] = field(default_factory=dict)
    aborted: list[str] = field(default_factory=list)

    def expired(self, now: float, limit: int = 1000) -> list[str]:
        return [u for u, at in self.queue.items() if at <= now][:limit]

    def get(self, upload_id: str) -> DirectUpload | None:
        return self.uploads.get(upload_id)

    def claim(self, upload_id: str) -> bool:
        return self.queue.pop(upload_id, None) is not None

    def forget(self, upload: DirectUpload) -> None:
        self.uploads.pop(upload.upload_id, None)

    def abort(self, upload_id: str, s3_id: str) -> None:
        self.aborted.append(upload_id)


@dataclass
class FakeLinks:
    links: dict[str, Link]
    released: list[tuple[str, int]] = field(default_factory=list)

    def get(self, link_id: str) -> Link:
        if link_id not in self.links:
            raise LinkNotFound(link_id)
        return self.links[link_id]

    def release(self, link: Link, size: int) -> None:
        self.released.append((link.id, size))


@pytest.mark.parametrize("link_gone", [False, True])
def test_expired_uploads_are_aborted_and_released_once(link_gone: bool) -> None:
    world = World()
    offer = world.offer(declared())
    assert isinstance(offer, Offer)
    upload = offer.upload
    book = ExpiryBook({upload.upload_id: upload}, {upload.upload_id: upload.expires_at})
    links = FakeLinks({} if link_gone else {"L1": world.link})

    assert expire_direct_uploads(book, book, links, upload.expires_at - 1) == 0
    assert expire_direct_uploads(book, book, links, upload.expires_at) == 1
    assert book.aborted == [upload.upload_id]
    assert links.released == ([] if link_gone else [("L1", 11 * MiB)])
    assert book.uploads == {}
    assert expire_direct_uploads(book, book, links, upload.expires_at + 60) == 0
    assert len(links.released) == (0 if link_gone else 1)
