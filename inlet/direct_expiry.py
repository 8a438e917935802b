"""Direct uploads never completed in time: aborted in the store, their quota given back.

Run by beat. The store's multipart upload is aborted first (idempotent: a second run, or
one already aborted, is no error), then the upload is claimed: completion claims it too,
and only the one claimer either commits it or gives its reservation back, so a quota is
never released twice nor released for an image that was counted.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from inlet.direct import DirectUpload
from inlet.links import Link, LinkNotFound


class ExpiringBook(Protocol):
    def expired(self, now: float, limit: int = 1000) -> list[str]: ...

    def get(self, upload_id: str) -> DirectUpload | None: ...

    def claim(self, upload_id: str) -> bool: ...

    def forget(self, upload: DirectUpload) -> None: ...


class Aborter(Protocol):
    def abort(self, upload_id: str, s3_id: str) -> None: ...


class LinkQuotas(Protocol):
    def get(self, link_id: str) -> Link: ...

    def release(self, link: Link, size: int) -> None: ...


def expire_direct_uploads(
    book: ExpiringBook, staging: Aborter, links: LinkQuotas, now: float
) -> int:
    """Abort and release every upload whose time ran out; how many were released."""
    released = 0
    for upload_id in book.expired(now):
        upload = book.get(upload_id)
        if upload is not None:
            staging.abort(upload.upload_id, upload.s3_id)
        if not book.claim(upload_id) or upload is None:
            continue  # completed meanwhile, or its record already gone
        # A link that is gone took its counters with it: nothing to give back.
        with contextlib.suppress(LinkNotFound):
            links.release(links.get(upload.link_id), upload.size)
        book.forget(upload)
        released += 1
    return released
