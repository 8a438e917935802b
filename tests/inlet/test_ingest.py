"""Ingest's rules on in-memory fakes: staging, dedup, quota and hand-off."""

from __future__ import annotations

import hashlib
import io
import time
from typing import IO, Any

import pytest

from inlet.ingest import Ingestor, Staged
from inlet.links import Link
from inlet.outcomes import Accepted, Refusal, Refused
from inlet.senders import Sender
from inlet.verification import Rejection
from tests.fakes import (
    FakeBlobStore,
    FakeDispatcher,
    FakeHashes,
    FakeHistory,
    FakeQuota,
    FakeStates,
)
from tests.images import make_image

LIMIT = 64 * 1024


class Parts:
    """The fakes of one ingest and a link to upload through."""

    def __init__(self, max_images: int | None = None, max_bytes: int | None = None) -> None:
        self.blobs = FakeBlobStore()
        self.hashes = FakeHashes()
        self.quota = FakeQuota()
        self.dispatcher = FakeDispatcher()
        self.states = FakeStates()
        self.history = FakeHistory()
        now = int(time.time())
        self.link = Link("link1", now, now + 3600, max_images, 0, False, max_bytes=max_bytes)
        self.ingestor = Ingestor(
            blobs=self.blobs,
            hashes=self.hashes,
            links=self.quota,
            states=self.states,
            dispatcher=self.dispatcher,
            max_image_bytes=LIMIT,
            max_image_pixels=1_000_000,
            history=self.history,
        )

    def upload(self, *files: tuple[str, bytes]) -> list[Accepted | Refused]:
        staged = [self.ingestor.stage(io.BytesIO(data), name) for name, data in files]
        return self.ingestor.commit(self.link, staged)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_new_image_is_stored_indexed_and_counted_once() -> None:
    parts = Parts()
    data = make_image("PNG", seed=1)

    [result] = parts.upload(("a.png", data))

    assert result == Accepted("a.png", sha(data), duplicate=False)
    assert parts.blobs.objects[sha(data)][1].metadata["format"] == "PNG"
    assert parts.hashes.hashes == {sha(data)}
    assert parts.quota.used == {"link1": 1}
    [event] = parts.dispatcher.events
    assert (event.image_id, event.link_id, event.duplicate) == (sha(data), "link1", False)
    assert parts.dispatcher.indexed == [sha(data)]


SENDER = Sender.parse("a-sender-id-of-22-chars")


def test_the_sender_label_is_carried_on_every_event() -> None:
    parts = Parts()
    new, known = make_image("PNG", seed=11), make_image("PNG", seed=12)
    parts.upload(("known.png", known))
    staged = [parts.ingestor.stage(io.BytesIO(new), "new.png")]
    parts.ingestor.commit(parts.link, staged, sender=SENDER)
    parts.ingestor.commit_known(parts.link, [(sha(known), "again.png")], sender=SENDER)
    assert [e.sender for e in parts.dispatcher.events] == ["", SENDER.label, SENDER.label]


def test_the_senders_list_gets_each_accepted_upload_with_its_events_own_time() -> None:
    parts = Parts(max_images=3)
    new, known = make_image("PNG", seed=13), make_image("PNG", seed=14)
    parts.upload(("known.png", known))
    staged = [parts.ingestor.stage(io.BytesIO(data), name) for name, data in [("n.png", new)]]
    staged.append(parts.ingestor.stage(io.BytesIO(b""), "empty.png"))
    parts.ingestor.commit(parts.link, staged, sender=SENDER)
    by_hash = [(sha(known), "again.png"), (sha(b"unknown"), "u.png"), (sha(new), "over.png")]
    parts.ingestor.commit_known(parts.link, by_hash, sender=SENDER)

    # The first upload had no sender id: it is in no one's list.
    entries = parts.history.entries[("link1", SENDER.digest)]
    assert [(e.id, e.filename, e.duplicate) for e in entries] == [
        (sha(new), "n.png", False),
        (sha(known), "again.png", True),
    ]  # neither the empty file, nor the unknown hash, nor the one over the quota
    events = parts.dispatcher.events[1:]
    assert [e.uploaded_at for e in entries] == [e.uploaded_at for e in events]


def test_what_was_committed_joins_the_list_even_when_a_later_file_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parts = Parts()
    first, second = make_image("PNG", seed=15), make_image("PNG", seed=16)
    staged = [
        parts.ingestor.stage(io.BytesIO(d), n) for n, d in [("1.png", first), ("2.png", second)]
    ]
    monkeypatch.setattr(parts.blobs, "put", _fails_second(parts.blobs.put))

    with pytest.raises(RuntimeError):
        parts.ingestor.commit(parts.link, staged, sender=SENDER)

    entries = parts.history.entries[("link1", SENDER.digest)]
    assert [e.filename for e in entries] == ["1.png"]
    assert parts.quota.used == {"link1": 1}  # the failed one gave its quota back


def _fails_second(put: Any) -> Any:
    calls = []

    def put_or_fail(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the store broke")
        return put(*args, **kwargs)

    return put_or_fail


def test_the_upload_time_is_the_same_on_the_object_and_the_event() -> None:
    parts = Parts()
    data = make_image("JPEG", seed=2)

    parts.upload(("a.jpg", data))

    stored_at = parts.blobs.objects[sha(data)][1].metadata["uploaded-at"]
    assert parts.dispatcher.events[0].uploaded_at == stored_at


def test_a_duplicate_costs_no_put_and_no_indexing() -> None:
    parts = Parts()
    data = make_image("GIF", seed=3)
    parts.upload(("first.gif", data))

    [again] = parts.upload(("again.gif", data))

    assert again == Accepted("again.gif", sha(data), duplicate=True)
    assert parts.blobs.puts == 1
    assert parts.dispatcher.indexed == [sha(data)]
    assert [e.duplicate for e in parts.dispatcher.events] == [False, True]


def test_the_same_bytes_twice_in_one_request_are_stored_once() -> None:
    parts = Parts()
    data = make_image("PNG", seed=4)

    results = parts.upload(("a.png", data), ("b.png", data))

    assert [r.duplicate for r in results if isinstance(r, Accepted)] == [False, True]
    assert parts.blobs.puts == 1


def test_a_hash_in_the_set_without_an_object_is_stored_again() -> None:
    parts = Parts()
    data = make_image("PNG", seed=5)
    parts.hashes.hashes.add(sha(data))  # the SET is an index, not the truth

    [result] = parts.upload(("a.png", data))

    assert isinstance(result, Accepted)
    assert sha(data) in parts.blobs.objects


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", Refusal.EMPTY),
        (b"plain text, no image", Refusal.NOT_AN_IMAGE),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, Refusal.UNDECODABLE),
        (make_image("PNG", size=(1001, 1000)), Refusal.TOO_MANY_PIXELS),
        (b"\xff" * (LIMIT + 1), Refusal.TOO_LARGE),
    ],
)
def test_refused_files_change_nothing(data: bytes, reason: Refusal) -> None:
    parts = Parts()

    [result] = parts.upload(("x", data))

    assert isinstance(result, Refused)
    assert result.reason is reason
    assert (parts.blobs.objects, parts.hashes.hashes, parts.quota.used) == ({}, set(), {})
    assert parts.dispatcher.events == []


def test_the_quota_refuses_what_exceeds_it() -> None:
    parts = Parts(max_images=1)
    first, second = make_image("PNG", seed=6), make_image("PNG", seed=7)

    results = parts.upload(("1.png", first), ("2.png", second))

    assert isinstance(results[0], Accepted)
    assert isinstance(results[1], Refused)
    assert results[1].reason is Refusal.QUOTA_USED_UP
    assert sha(second) not in parts.blobs.objects


def test_a_store_outage_gives_the_quota_back() -> None:
    parts = Parts(max_images=5)
    data = make_image("PNG", seed=8)
    staged = parts.ingestor.stage(io.BytesIO(data), "a.png")
    assert isinstance(staged, Staged)
    parts.blobs.down = True

    [result] = parts.ingestor.commit(parts.link, [staged])

    assert isinstance(result, Refused)
    assert result.reason is Refusal.STORE_UNAVAILABLE
    assert (parts.quota.used, parts.quota.used_bytes) == ({"link1": 0}, {"link1": 0})
    assert parts.dispatcher.events == []


class CountingStore(FakeBlobStore):
    """A store that fails, counting every attempt to write to it."""

    def __init__(self) -> None:
        super().__init__(down=True)
        self.attempts = 0

    def put(self, image_id: str, fileobj: IO[bytes], **kw: Any) -> None:
        self.attempts += 1
        super().put(image_id, fileobj, **kw)


def test_after_one_store_failure_the_rest_of_the_request_fails_at_once() -> None:
    parts = Parts(max_images=10)
    known = make_image("PNG", seed=20)
    parts.upload(("known.png", known))  # stored while the store was up
    store = CountingStore()
    store.objects = parts.blobs.objects
    parts.ingestor.blobs = store
    new = [make_image("PNG", seed=21 + n) for n in range(4)]
    staged = [parts.ingestor.stage(io.BytesIO(data), f"{n}.png") for n, data in enumerate(new)]
    store.down = False  # staging the known image reads its stored head
    staged.insert(2, parts.ingestor.stage(io.BytesIO(known), "known.png"))
    store.down = True

    results = parts.ingestor.commit(parts.link, staged)

    assert store.attempts == 1  # one timeout per request, not one per file
    refused = [r for r in results if isinstance(r, Refused)]
    assert [r.filename for r in refused] == ["0.png", "1.png", "2.png", "3.png"]
    assert {r.reason for r in refused} == {Refusal.STORE_UNAVAILABLE}
    # Bytes the store already holds need no write: still accepted, and counted alone.
    assert results[2] == Accepted("known.png", sha(known), duplicate=True)
    assert parts.quota.used == {"link1": 2}
    assert all(item.spool.closed for item in staged if isinstance(item, Staged))


def test_a_file_past_the_byte_quota_is_refused_and_a_smaller_one_still_fits() -> None:
    small = make_image("PNG", seed=9)
    large, other = (make_image("PNG", seed=n, size=(64, 64), noise=True) for n in (10, 12))
    assert min(len(large), len(other)) > len(small)
    parts = Parts(max_bytes=len(large) + len(small))

    results = parts.upload(("large.png", large), ("other.png", other), ("small.png", small))

    assert [type(r) for r in results] == [Accepted, Refused, Accepted]
    refused = results[1]
    assert isinstance(refused, Refused)
    assert refused.reason is Refusal.QUOTA_USED_UP
    assert f"{len(other)} bytes do not fit in the {len(small)} bytes left" in refused.detail
    assert sha(other) not in parts.blobs.objects
    assert parts.quota.used_bytes == {"link1": len(large) + len(small)}


def test_by_hash_counts_the_stored_size_and_a_known_image_too_large_asks_for_bytes() -> None:
    data = make_image("PNG", seed=11)
    parts = Parts(max_bytes=len(data) + 10)
    parts.upload(("a.png", data))
    other = Parts(max_bytes=len(data) * 2 - 1)
    other.blobs, other.hashes = parts.blobs, parts.hashes
    other.ingestor.blobs, other.ingestor.hashes = parts.blobs, parts.hashes

    first, second = other.ingestor.commit_known(other.link, [(sha(data), "a"), (sha(data), "b")])

    assert isinstance(first, Accepted)
    assert first.duplicate
    assert isinstance(second, Refused)
    assert second.reason is Refusal.UNKNOWN_HASH
    assert other.quota.used_bytes == {"link1": len(data)}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("bell\x07.png", "bell.png"),
        (None, ""),
        ("x" * 300 + ".jpg", "x" * 255),
    ],
)
def test_filenames_are_display_names_only(raw: str | None, clean: str) -> None:
    parts = Parts()
    data = make_image("PNG", seed=9)

    [result] = parts.ingestor.commit(parts.link, [parts.ingestor.stage(io.BytesIO(data), raw)])

    assert result.filename == clean


def test_a_hash_mismatch_does_not_refuse_the_right_bytes_and_goes_once_they_are_stored() -> None:
    parts = Parts()
    data = make_image("PNG", seed=31)
    mismatch = Rejection(Refusal.HASH_MISMATCH, "other bytes")
    parts.states.rejected[sha(data)] = mismatch

    [result] = parts.upload(("a.png", data))

    assert isinstance(result, Accepted)
    assert sha(data) in parts.blobs.objects
    assert parts.states.rejection(sha(data)) is None


def test_any_other_rejection_still_refuses_the_same_bytes() -> None:
    parts = Parts()
    data = make_image("PNG", seed=32)
    parts.states.rejected[sha(data)] = Rejection(Refusal.UNDECODABLE, "truncated")

    [result] = parts.upload(("a.png", data))

    assert isinstance(result, Refused)
    assert result.reason is Refusal.UNDECODABLE
    assert parts.blobs.objects == {}
