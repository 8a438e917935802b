"""Ingest: stage streamed files, then commit the accepted ones.

Staging reads one file part in chunks into a spooled temporary file (memory up to
`SPOOL_MEMORY`, disk beyond), hashing as it goes and stopping at the size limit,
then checks that it is an acceptable image, unless the store already holds these
exact bytes (they passed the same checks when first stored). Nothing is stored while the request
is still being read: if the multipart body turns out to be malformed, the store,
the dedup index and the link's quota stay as they were.

Commit, per staged file and in request order: reserve one image of the quota,
PUT the object (content-addressed, so idempotent) unless the store already has
it, SADD its hash (the one caller that gets 1 owns "new"), then hand the upload
event to the workers.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, Protocol

from inlet.blobstore import BlobInfo, BlobStore, StoreUnavailable
from inlet.dedup import HashIndex
from inlet.dispatch import Dispatcher, UploadEvent
from inlet.images import ImageRejected, inspect
from inlet.links import Link, LinkStore

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
# Per staged file; a request holds up to MAX_FILES_PER_REQUEST of them until commit.
SPOOL_MEMORY = 256 * 1024
MAX_FILENAME = 255
# By-hash uploads: the per-item status of an image the store does not hold.
SEND_BYTES = 404
SEND_BYTES_DETAIL = "no stored image has this SHA-256; send the file's bytes"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class FileResult:
    filename: str
    image_id: str | None = None
    duplicate: bool | None = None
    status: int | None = None
    detail: str | None = None

    @property
    def accepted(self) -> bool:
        return self.image_id is not None and self.status is None

    def as_dict(self) -> dict[str, Any]:
        if self.accepted:
            return {
                "filename": self.filename,
                "id": self.image_id,
                "duplicate": self.duplicate,
                "url": f"/v1/images/{self.image_id}",
            }
        return {"filename": self.filename, "error": {"status": self.status, "detail": self.detail}}


@dataclass
class Staged:
    filename: str
    image_id: str
    size: int
    format: str
    mime_type: str
    spool: IO[bytes] = field(repr=False)
    # The store already held these bytes when they were staged.
    stored: bool = False


def clean_filename(raw: str | None) -> str:
    """A display name only: never used as a key or a path."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:MAX_FILENAME]


class Ingestor:
    def __init__(
        self,
        *,
        blobs: BlobStore,
        hashes: HashIndex,
        links: LinkStore,
        dispatcher: Dispatcher,
        max_image_bytes: int,
        max_image_pixels: int,
    ) -> None:
        self.blobs = blobs
        self.hashes = hashes
        self.links = links
        self.dispatcher = dispatcher
        self.max_image_bytes = max_image_bytes
        self.max_image_pixels = max_image_pixels

    def stage(self, stream: Readable, raw_filename: str | None) -> Staged | FileResult:
        filename = clean_filename(raw_filename)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115
        try:
            result = self._spool(stream, filename, spool)
        except BaseException:
            spool.close()
            raise
        if isinstance(result, FileResult):
            spool.close()
        return result

    def _spool(self, stream: Readable, filename: str, spool: IO[bytes]) -> Staged | FileResult:
        digest = hashlib.sha256()
        size = 0
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > self.max_image_bytes:
                _drain(stream)
                detail = f"file is larger than the limit of {self.max_image_bytes} bytes"
                return FileResult(filename, status=413, detail=detail)
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            return FileResult(filename, status=422, detail="file is empty")
        image_id = digest.hexdigest()
        known = self._stored(image_id)
        if known is not None:
            # The very same bytes passed these checks when they were first stored.
            fmt = known.metadata.get("format", "")
            return Staged(filename, image_id, size, fmt, known.content_type, spool, stored=True)
        try:
            info = inspect(spool, max_pixels=self.max_image_pixels)
        except ImageRejected as exc:
            return FileResult(filename, status=exc.status, detail=exc.detail)
        return Staged(filename, image_id, size, info.format, info.mime_type, spool)

    def _stored(self, image_id: str) -> BlobInfo | None:
        """What the store holds under this id, if the SET says it has it and it does."""
        if image_id not in self.hashes:
            return None
        try:
            return self.blobs.head(image_id)
        except FileNotFoundError:
            return None  # the SET is only an index: store the bytes again

    def commit(self, link: Link, staged: Iterable[Staged | FileResult]) -> list[FileResult]:
        results: list[FileResult] = []
        stored_now: set[str] = set()
        for item in staged:
            if isinstance(item, FileResult):
                results.append(item)
                continue
            try:
                results.append(self._commit_one(link, item, stored_now))
            finally:
                item.spool.close()
        return results

    def commit_known(self, link: Link, items: Iterable[tuple[str, str | None]]) -> list[FileResult]:
        """Record (sha256, filename) uploads whose bytes the store already holds.

        A known image is recorded exactly as a duplicate upload of its bytes would
        be; an unknown one is answered with SEND_BYTES and records nothing.
        """
        results: list[FileResult] = []
        for image_id, raw_filename in items:
            filename = clean_filename(raw_filename)
            known = self._stored(image_id)
            if known is None and self._used_up(link):
                # As for known images: a used-up link must not tell stored from unknown.
                results.append(FileResult(filename, status=403, detail=_quota_detail(link)))
                continue
            if known is None:
                results.append(FileResult(filename, status=SEND_BYTES, detail=SEND_BYTES_DETAIL))
                continue
            fmt = known.metadata.get("format", "")
            item = Staged(filename, image_id, known.size, fmt, known.content_type, _NO_SPOOL, True)
            results.append(self._commit_one(link, item, set()))
        return results

    def _used_up(self, link: Link) -> bool:
        if link.max_images is None:
            return False
        return self.links.get(link.id).used >= link.max_images

    def _commit_one(self, link: Link, item: Staged, stored_now: set[str]) -> FileResult:
        if not self.links.reserve(link):
            return FileResult(item.filename, status=403, detail=_quota_detail(link))
        try:
            new, stored = self._store(item, stored_now)
        except StoreUnavailable:
            self.links.release(link)
            log.exception("blob store unavailable while storing %s", item.image_id)
            return FileResult(
                item.filename, status=503, detail="the image store is unavailable; try again"
            )
        except BaseException:
            self.links.release(link)
            raise
        event = UploadEvent(
            event_id=uuid.uuid4().hex,
            image_id=item.image_id,
            link_id=link.id,
            uploaded_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            duplicate=not new,
            format=item.format,
        )
        self.dispatcher.upload_accepted(event, index_image=stored)
        return FileResult(item.filename, image_id=item.image_id, duplicate=not new)

    def _store(self, item: Staged, stored_now: set[str]) -> tuple[bool, bool]:
        """Returns (new, stored): whether this upload owns the image, whether bytes were PUT."""
        image_id = item.image_id
        if item.stored or image_id in stored_now:
            return False, False
        stored_now.add(image_id)
        self.blobs.put(
            image_id,
            item.spool,
            content_type=item.mime_type,
            metadata={
                "format": item.format,
                "uploaded-at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            },
        )
        return self.hashes.add(image_id), True


def _quota_detail(link: Link) -> str:
    return f"this link's quota of {link.max_images} images is used up"


# A by-hash upload has no bytes to spool; commit never reads a stored item's spool.
_NO_SPOOL: IO[bytes] = io.BytesIO()


def _drain(stream: Readable) -> None:
    while stream.read(CHUNK):
        pass
