"""Small in-memory fakes of Inlet's own interfaces, for unit tests of the domain.

Each keeps the contract its real counterpart documents (the blob store raises
FileNotFoundError for a missing id, the hash index answers "new" once), so a test
of the code using them says something about the real thing too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from inlet.blobs import BlobInfo, StoreUnavailable
from inlet.dispatch import UploadEvent
from inlet.history import UploadEntry
from inlet.links import Link, Shortfall
from inlet.outcomes import Refusal, State
from inlet.senders import Sender
from inlet.stores.blobstore import BlobStream
from inlet.verification import Rejection


@dataclass
class FakeBlobStore:
    objects: dict[str, tuple[bytes, BlobInfo]] = field(default_factory=dict)
    down: bool = False
    puts: int = 0

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("the fake store is down")

    def ensure_bucket(self) -> None:
        self._check()

    def put(
        self, image_id: str, fileobj: IO[bytes], *, content_type: str, metadata: dict[str, str]
    ) -> None:
        self._check()
        fileobj.seek(0)
        data = fileobj.read()
        self.puts += 1
        self.objects[image_id] = (data, BlobInfo(len(data), content_type, dict(metadata)))

    def head(self, image_id: str) -> BlobInfo:
        self._check()
        if image_id not in self.objects:
            raise FileNotFoundError(image_id)
        return self.objects[image_id][1]

    def exists(self, image_id: str) -> bool:
        return image_id in self.objects

    def open(self, image_id: str, *, byte_range: str | None = None) -> BlobStream:
        raise NotImplementedError("not needed by the domain tests")

    def delete(self, image_id: str) -> None:
        self._check()
        self.objects.pop(image_id, None)

    def presigned_get(self, image_id: str, expires: int) -> str:
        raise NotImplementedError("not needed by the domain tests")

    def iter_ids(self) -> Iterator[str]:
        yield from list(self.objects)

    def ping(self) -> None:
        self._check()


@dataclass
class FakeHashes:
    hashes: set[str] = field(default_factory=set)

    def add(self, image_id: str) -> bool:
        new = image_id not in self.hashes
        self.hashes.add(image_id)
        return new

    def __contains__(self, image_id: object) -> bool:
        return image_id in self.hashes

    def discard(self, image_id: str) -> None:
        self.hashes.discard(image_id)


@dataclass
class FakeQuota:
    used: dict[str, int] = field(default_factory=dict)
    used_bytes: dict[str, int] = field(default_factory=dict)
    images: dict[str, set[str]] = field(default_factory=dict)

    def reserve(self, link: Link, size: int) -> Shortfall | None:
        taken = self.used.get(link.id, 0)
        if link.max_images is not None and taken >= link.max_images:
            return Shortfall()
        taken_bytes = self.used_bytes.get(link.id, 0)
        if link.max_bytes is not None and taken_bytes + size > link.max_bytes:
            return Shortfall(bytes_left=max(0, link.max_bytes - taken_bytes))
        self.used[link.id] = taken + 1
        self.used_bytes[link.id] = taken_bytes + size
        return None

    def release(self, link: Link, size: int) -> None:
        self.used[link.id] -= 1
        self.used_bytes[link.id] -= size

    def record_image(self, link: Link, image_id: str) -> None:
        self.images.setdefault(link.id, set()).add(image_id)


@dataclass
class FakeHistory:
    """Each (link, sender digest)'s entries, in the order they were recorded."""

    entries: dict[tuple[str, str], list[UploadEntry]] = field(default_factory=dict)

    def record(self, link: Link, sender: Sender | None, entries: list[UploadEntry]) -> None:
        if sender is not None and entries:
            self.entries.setdefault((link.id, sender.digest), []).extend(entries)


@dataclass
class FakeDispatcher:
    events: list[UploadEvent] = field(default_factory=list)
    indexed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    wanted: list[str] = field(default_factory=list)

    def upload_accepted(self, event: UploadEvent, *, index_image: bool) -> None:
        self.events.append(event)
        if index_image:
            self.indexed.append(event.image_id)

    def image_deleted(self, image_id: str) -> None:
        self.deleted.append(image_id)

    def rendition_wanted(self, image_id: str) -> None:
        self.wanted.append(image_id)


@dataclass
class FakeStates:
    ready: set[str] = field(default_factory=set)
    rejected: dict[str, Rejection] = field(default_factory=dict)

    def state(self, image_id: str) -> State:
        if image_id in self.rejected:
            return State.REJECTED
        return State.READY if image_id in self.ready else State.PENDING

    def rejection(self, image_id: str) -> Rejection | None:
        return self.rejected.get(image_id)

    def forget_mismatch(self, image_id: str) -> None:
        rejection = self.rejected.get(image_id)
        if rejection is not None and rejection.reason is Refusal.HASH_MISMATCH:
            del self.rejected[image_id]
