"""Ingest: stage streamed files, then commit the accepted ones.

Staging reads one file part in chunks into a spooled temporary file (memory up to
`SPOOL_MEMORY`, disk beyond), hashing as it goes and stopping at the size limit, then
checks that it is an acceptable image, unless the store already holds these exact bytes
(they passed the same checks when first stored). Nothing is stored while the request
is still being read: if the multipart body turns out to be malformed, the store,
the dedup index and the link's quota stay as they were.

Commit, per staged file and in request order: reserve one image and the file's bytes of
the link's quotas (a file that does not fit is refused, later smaller ones may still fit),
PUT the object (content-addressed, so idempotent) unless the store already has it, SADD
its hash (the one caller that gets 1 owns "new"), then hand the upload event on."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Protocol

from inlet.blobs import BlobInfo, StoreUnavailable
from inlet.commit import Committed, record_committed
from inlet.dispatch import Dispatcher
from inlet.history import UploadEntry
from inlet.images import ImageRejected, inspect
from inlet.links import Link, Shortfall
from inlet.outcomes import Accepted, Outcome, Refusal, Refused, State
from inlet.ports import Blobs, Hashes, History, Quota
from inlet.refusals import is_store_failure, quota_refusal, store_unavailable, unknown_hash
from inlet.senders import Sender
from inlet.verification import States

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
# Per staged file; a request holds up to MAX_FILES_PER_REQUEST of them until commit.
SPOOL_MEMORY = 256 * 1024
MAX_FILENAME = 255


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass
class Staged:
    filename: str
    image_id: str
    size: int
    format: str
    mime_type: str
    spool: IO[bytes] = field(repr=False)
    stored: bool = False  # the store already held these bytes when they were staged
    clears_mismatch: bool = False  # a hash-mismatch marker was about other bytes: it goes


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
        blobs: Blobs,
        hashes: Hashes,
        links: Quota,
        states: States,
        dispatcher: Dispatcher,
        max_image_bytes: int,
        max_image_pixels: int,
        max_image_frames: int = 1000,
        history: History | None = None,
    ) -> None:
        self.blobs = blobs
        self.hashes = hashes
        self.links = links
        self.dispatcher = dispatcher
        self.max_image_bytes = max_image_bytes
        self.max_image_pixels = max_image_pixels
        self.max_image_frames = max_image_frames
        self.states = states
        self.history = history

    def stage(self, stream: Readable, raw_filename: str | None) -> Staged | Refused:
        filename = clean_filename(raw_filename)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - lives past this call
        try:
            result = self._spool(stream, filename, spool)
        except BaseException:
            spool.close()
            raise
        if isinstance(result, Refused):
            spool.close()
        return result

    def _spool(self, stream: Readable, filename: str, spool: IO[bytes]) -> Staged | Refused:
        digest = hashlib.sha256()
        size = 0
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > self.max_image_bytes:
                _drain(stream)
                detail = f"file is larger than the limit of {self.max_image_bytes} bytes"
                return Refused(filename, Refusal.TOO_LARGE, detail)
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            return Refused(filename, Refusal.EMPTY, "file is empty")
        image_id = digest.hexdigest()
        known = self._stored(image_id)
        if known is not None:
            # The very same bytes passed these checks when they were first stored.
            fmt = known.metadata.get("format", "")
            return Staged(filename, image_id, size, fmt, known.content_type, spool, stored=True)
        rejection = self.states.rejection(image_id)
        if rejection is not None and rejection.reason is not Refusal.HASH_MISMATCH:
            detail = f"these bytes were rejected before: {rejection.detail}"
            return Refused(filename, rejection.reason, detail)
        try:
            info = inspect(
                spool, max_pixels=self.max_image_pixels, max_frames=self.max_image_frames
            )
        except ImageRejected as exc:
            return Refused(filename, exc.reason, exc.detail)
        mime, mismatch = info.mime_type, rejection is not None
        return Staged(filename, image_id, size, info.format, mime, spool, clears_mismatch=mismatch)

    def _stored(self, image_id: str) -> BlobInfo | None:
        """What the store holds under this id, if the SET says it has it and it does."""
        if image_id not in self.hashes:
            return None
        try:
            return self.blobs.head(image_id)
        except FileNotFoundError:
            return None  # the SET is only an index: store the bytes again

    def commit_known(
        self, link: Link, items: Iterable[tuple[str, str | None]], *, sender: Sender | None = None
    ) -> list[Outcome]:
        """Record (sha256, filename) uploads whose bytes the store already holds.

        A known image is recorded exactly as a duplicate upload of its bytes would be,
        its stored size counted against the byte quota; an unknown one is refused as
        UNKNOWN_HASH ("send the bytes") and records nothing. Once the quota is used up
        every item is refused the same way, and a known image too large for the bytes
        left is answered like an unknown one (its bytes would be refused the same way),
        so the quota never tells stored images from unknown ones.
        """
        results: list[Outcome] = []
        with self._batch(link, sender) as batch:
            taken, taken_bytes = 0, 0
            for image_id, raw_filename in items:
                filename = clean_filename(raw_filename)
                known = self._stored(image_id)
                if known is None:
                    used_up = _used_up(link, taken, taken_bytes)
                    refused = quota_refusal(filename, link, used_up) if used_up else None
                    results.append(refused or unknown_hash(filename))
                    continue
                fmt = known.metadata.get("format", "")
                item = Staged(
                    filename, image_id, known.size, fmt, known.content_type, _NO_SPOOL, True
                )
                shortfall = self.links.reserve(link, item.size)
                if shortfall is None:
                    outcome = self._commit_reserved(batch, item)
                    taken, taken_bytes = taken + 1, taken_bytes + item.size
                elif shortfall.bytes_left:
                    outcome = unknown_hash(filename)  # too large for the bytes left: see above
                else:
                    outcome = quota_refusal(filename, link, shortfall)
                results.append(outcome)
        return results

    def commit(
        self, link: Link, staged: Iterable[Staged | Refused], *, sender: Sender | None = None
    ) -> list[Outcome]:
        """Commit in request order; ``sender`` labels the upload events and has them
        added to its list. Once the store has failed during this request, the files
        that would still need it are refused at once, without touching it: one store
        timeout per request, not one per file."""
        results: list[Outcome] = []
        store_down = False
        with self._batch(link, sender) as batch:
            for item in staged:
                if isinstance(item, Refused):
                    results.append(item)
                    continue
                try:
                    if store_down and not (item.stored or item.image_id in batch.stored_now):
                        outcome: Outcome = store_unavailable(item.filename)
                    else:
                        outcome = self._commit_one(batch, item)
                        store_down = store_down or is_store_failure(outcome)
                    results.append(outcome)
                finally:
                    item.spool.close()
        return results

    @contextlib.contextmanager
    def _batch(self, link: Link, sender: Sender | None) -> Iterator[_Batch]:
        """One request's commit. The accepted uploads join the sender's list even
        when a later file fails: what was committed was committed."""
        batch = _Batch(link, sender)
        try:
            yield batch
        finally:
            if self.history is not None:
                self.history.record(link, sender, batch.entries)

    def _commit_one(self, batch: _Batch, item: Staged) -> Outcome:
        shortfall = self.links.reserve(batch.link, item.size)
        if shortfall is not None:
            return quota_refusal(item.filename, batch.link, shortfall, item.size)
        return self._commit_reserved(batch, item)

    def _commit_reserved(self, batch: _Batch, item: Staged) -> Outcome:
        """Store and record a file whose quota is reserved; a failure gives it back."""
        link = batch.link
        uploaded_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        try:
            new, stored = self._store(item, batch.stored_now, uploaded_at)
        except StoreUnavailable:
            self.links.release(link, item.size)
            log.exception("blob store unavailable while storing %s", item.image_id)
            return store_unavailable(item.filename)
        except BaseException:
            self.links.release(link, item.size)
            raise
        committed = Committed(
            item.image_id, item.filename, item.format, uploaded_at, new=new, stored=stored
        )
        entry = record_committed(self.links, self.dispatcher, link, batch.sender, committed)
        batch.entries.append(entry)
        # Bytes stored by this request wait for a worker's verification.
        state = State.PENDING if stored or not item.stored else self.states.state(item.image_id)
        return Accepted(item.filename, item.image_id, duplicate=not new, state=state)

    def _store(self, item: Staged, stored_now: set[str], uploaded_at: str) -> tuple[bool, bool]:
        """Returns (new, stored): whether this upload owns the image, whether bytes were PUT."""
        image_id = item.image_id
        if item.stored or image_id in stored_now:
            return False, False
        stored_now.add(image_id)
        if item.clears_mismatch:
            self.states.forget_mismatch(image_id)
        self.blobs.put(
            image_id,
            item.spool,
            content_type=item.mime_type,
            metadata={"format": item.format, "uploaded-at": uploaded_at},
        )
        return self.hashes.add(image_id), True


def _drain(stream: Readable) -> None:
    while stream.read(CHUNK):
        pass


def _used_up(link: Link, taken: int, taken_bytes: int) -> Shortfall | None:
    """What was used up once ``taken`` more images of ``taken_bytes`` were recorded."""
    if link.max_images is not None and link.used + taken >= link.max_images:
        return Shortfall()
    if link.max_bytes is not None and link.used_bytes + taken_bytes >= link.max_bytes:
        return Shortfall(bytes_left=0)
    return None


@dataclass
class _Batch:
    link: Link
    sender: Sender | None
    # Ids whose bytes this request PUT: a second file of the same bytes is a duplicate.
    stored_now: set[str] = field(default_factory=set)
    entries: list[UploadEntry] = field(default_factory=list)


# A by-hash upload has no bytes to spool; commit never reads a stored item's spool.
_NO_SPOOL: IO[bytes] = io.BytesIO()
