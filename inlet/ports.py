"""The interfaces through which the domain's rules use their stores.

Ingest, deletion and the answers about an image need a few operations of Redis and
the object store; each is named here as a Protocol, implemented in `inlet/stores/`
and faked in memory by the unit tests (tests/fakes.py).
"""

from __future__ import annotations

from typing import IO, Protocol

from inlet.blobs import BlobInfo
from inlet.history import UploadEntry
from inlet.links import Link, Shortfall
from inlet.senders import Sender


class Quota(Protocol):
    """The part of :class:`~inlet.stores.links.LinkStore` that ingest needs."""

    def reserve(self, link: Link, size: int) -> Shortfall | None: ...

    def release(self, link: Link, size: int) -> None: ...

    def record_image(self, link: Link, image_id: str) -> None: ...


class History(Protocol):
    """Each sender's own list of what they sent through a link."""

    def record(self, link: Link, sender: Sender | None, entries: list[UploadEntry]) -> None: ...


class Hashes(Protocol):
    """The dedup index as ingest and delete use it."""

    def add(self, image_id: str) -> bool: ...

    def __contains__(self, image_id: str) -> bool: ...

    def discard(self, image_id: str) -> None: ...


class Blobs(Protocol):
    """The part of the blob store that ingest and deletion need."""

    def put(
        self, image_id: str, fileobj: IO[bytes], *, content_type: str, metadata: dict[str, str]
    ) -> None: ...

    def head(self, image_id: str) -> BlobInfo: ...

    def exists(self, image_id: str) -> bool: ...

    def delete(self, image_id: str) -> None: ...
