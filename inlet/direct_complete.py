"""Completing a direct upload: check the parts, commit the image like any other upload.

The one claimer of the upload (completion and expiry race for it) completes the store's
multipart upload, reads only the file's header from the store (a ranged read) to check it
is an accepted image, then SADDs its hash: the caller that adds it owns "new" and alone
copies the staging object to the image's key, so two completers of the same bytes end
with one object and one ``duplicate: false``, and a stored image is never overwritten.
Whether the bytes hash to the declared SHA-256 is left to the worker, which reads them
all anyway (:mod:`tasks.verify`); until then the image is pending, never served.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Protocol

from inlet.commit import Committed, record_committed
from inlet.direct import DirectUpload
from inlet.dispatch import Dispatcher
from inlet.images import ImageRejected, inspect
from inlet.links import Link
from inlet.outcomes import Accepted, Refused, State
from inlet.parts import plan
from inlet.ports import Blobs, Hashes, History, Quota
from inlet.senders import Sender
from inlet.verification import States


@dataclass(frozen=True)
class NotFound:
    """No such upload under way on this link (never started, completed, or expired)."""


@dataclass(frozen=True)
class Incomplete:
    missing: list[int]


class CompletionBook(Protocol):
    def get(self, upload_id: str) -> DirectUpload | None: ...

    def claim(self, upload_id: str) -> bool: ...

    def forget(self, upload: DirectUpload) -> None: ...


class CompletionStaging(Protocol):
    def held_sizes(self, upload_id: str, s3_id: str) -> dict[int, int]: ...

    def complete_held(self, upload_id: str, s3_id: str) -> None: ...

    def open_staged(self, upload_id: str, size: int) -> IO[bytes]: ...

    def promote(self, upload_id: str, image_id: str, metadata: dict[str, str]) -> None: ...

    def discard(self, upload_id: str) -> None: ...


@dataclass
class Completer:
    book: CompletionBook
    staging: CompletionStaging
    quota: Quota
    hashes: Hashes
    blobs: Blobs
    states: States
    dispatcher: Dispatcher
    history: History
    part_size: int
    max_image_pixels: int

    def complete(
        self, link: Link, sender: Sender | None, upload_id: str, now: datetime
    ) -> Accepted | Refused | NotFound | Incomplete:
        upload = self.book.get(upload_id)
        if upload is None or not _owned(upload, link, sender, now):
            return NotFound()
        held = self.staging.held_sizes(upload.upload_id, upload.s3_id)
        planned = plan(upload.size, self.part_size)
        missing = [p.number for p in planned if held.get(p.number) != p.length]
        if missing:
            return Incomplete(missing)
        if not self.book.claim(upload_id):
            return NotFound()
        try:
            return self._commit(link, sender, upload, now)
        finally:
            self.book.forget(upload)

    def _assemble(self, link: Link, upload: DirectUpload) -> IO[bytes]:
        """The completed object's header; a store failure gives the reservation back
        (the claim is spent: the client asks again by hash and starts a new upload)."""
        try:
            self.staging.complete_held(upload.upload_id, upload.s3_id)
            return self.staging.open_staged(upload.upload_id, upload.size)
        except BaseException:
            self.quota.release(link, upload.size)
            raise

    def _commit(
        self, link: Link, sender: Sender | None, upload: DirectUpload, now: datetime
    ) -> Accepted | Refused:
        head = self._assemble(link, upload)
        try:
            info = inspect(head, max_pixels=self.max_image_pixels)
        except ImageRejected as exc:
            self.staging.discard(upload.upload_id)
            self.quota.release(link, upload.size)
            return Refused(upload.filename, exc.reason, exc.detail)
        finally:
            head.close()
        uploaded_at = now.astimezone(UTC).isoformat(timespec="milliseconds")
        new = self.hashes.add(upload.sha256)
        # The SET is only an index: bytes it names but the store lacks are stored again.
        promote = new or not self.blobs.exists(upload.sha256)
        if promote:
            self.states.forget_mismatch(upload.sha256)
            metadata = {"format": info.format, "uploaded-at": uploaded_at}
            try:
                self.staging.promote(upload.upload_id, upload.sha256, metadata)
            except BaseException:
                if new:
                    self.hashes.discard(upload.sha256)
                self.quota.release(link, upload.size)
                raise
        else:
            self.staging.discard(upload.upload_id)
        return self._record(link, sender, upload, info.format, uploaded_at, new=new, stored=promote)

    def _record(
        self,
        link: Link,
        sender: Sender | None,
        upload: DirectUpload,
        fmt: str,
        uploaded_at: str,
        *,
        new: bool,
        stored: bool,
    ) -> Accepted:
        committed = Committed(
            upload.sha256, upload.filename, fmt, uploaded_at, new=new, stored=stored
        )
        entry = record_committed(self.quota, self.dispatcher, link, sender, committed)
        self.history.record(link, sender, [entry])
        state = State.PENDING if stored else self.states.state(upload.sha256)
        return Accepted(upload.filename, upload.sha256, duplicate=not new, state=state)


def _owned(upload: DirectUpload, link: Link, sender: Sender | None, now: datetime) -> bool:
    """Only the link and the sender that started an upload may complete it, before it expires."""
    if upload.link_id != link.id or upload.expires_at <= now.timestamp():
        return False
    return upload.sender == (sender.digest if sender is not None else "")
