"""Direct uploads: the API authorizes, the client sends the bytes straight to the store.

Offer: for bytes the store does not hold, reserve the file's image and bytes of the link's
quota, start a multipart upload at a staging key (:mod:`inlet.stores.direct`) and hand the
client one signed PUT per part. Asking again for the same bytes, by the same sender on the
same link, finds the upload under way and marks the parts the store already holds
``done``: a reload, a crash or another device resumes it. The reservation is given back
when the upload is not completed by its expiry (never later than the link's).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from inlet.links import Link, Shortfall
from inlet.outcomes import Refusal, Refused
from inlet.parts import parts_match, plan
from inlet.refusals import quota_refusal
from inlet.verification import States


@dataclass(frozen=True)
class DirectUpload:
    upload_id: str
    s3_id: str
    link_id: str
    sender: str
    sha256: str
    size: int
    content_type: str
    filename: str
    expires_at: float
    parts_sha256: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Declared:
    """A file as the client declares it: nothing here has been checked against bytes."""

    sha256: str
    filename: str
    size: int
    content_type: str
    parts_sha256: list[str]


@dataclass(frozen=True)
class OfferedPart:
    number: int
    offset: int
    length: int
    url: str
    headers: dict[str, str]
    done: bool


@dataclass(frozen=True)
class Offer:
    upload: DirectUpload
    parts: list[OfferedPart]


class SignedPart(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def headers(self) -> dict[str, str]: ...


class Staging(Protocol):
    def start(self, upload_id: str, content_type: str) -> str: ...

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
    ) -> SignedPart: ...

    def held_sizes(self, upload_id: str, s3_id: str) -> dict[int, int]: ...


class UploadBook(Protocol):
    def save(self, upload: DirectUpload) -> None: ...

    def find(self, link_id: str, sender: str, sha256: str) -> DirectUpload | None: ...


class Reserver(Protocol):
    def reserve(self, link: Link, size: int) -> Shortfall | None: ...


@dataclass(frozen=True)
class Policy:
    part_size: int
    url_ttl: int
    upload_ttl: int
    max_image_bytes: int


class DirectUploads:
    def __init__(
        self,
        *,
        staging: Staging,
        book: UploadBook,
        quota: Reserver,
        states: States,
        policy: Policy,
    ) -> None:
        self.staging = staging
        self.book = book
        self.quota = quota
        self.states = states
        self.policy = policy

    def offer(
        self, link: Link, sender: str, item: Declared, *, origin: str, now: datetime
    ) -> Offer | Refused:
        """The upload of ``item`` under way for this sender, or a new one; or a refusal."""
        refused = self._refusal(item)
        if refused is not None:
            return refused
        upload = self.book.find(link.id, sender, item.sha256)
        if upload is None or upload.expires_at <= now.timestamp():
            shortfall = self.quota.reserve(link, item.size)
            if shortfall is not None:
                return quota_refusal(item.filename, link, shortfall, item.size)
            upload = self._start(link, sender, item, now)
        held = self.staging.held_sizes(upload.upload_id, upload.s3_id)
        return Offer(upload, self._parts(upload, held, origin, now))

    def _refusal(self, item: Declared) -> Refused | None:
        if item.size < 1:
            return Refused(item.filename, Refusal.EMPTY, "file is empty")
        if item.size > self.policy.max_image_bytes:
            detail = f"file is larger than the limit of {self.policy.max_image_bytes} bytes"
            return Refused(item.filename, Refusal.TOO_LARGE, detail)
        if not parts_match(item.size, self.policy.part_size, item.parts_sha256):
            raise ValueError("parts_sha256 must be one SHA-256 (hex) per part, in order")
        rejection = self.states.rejection(item.sha256)
        if rejection is not None and rejection.reason is not Refusal.HASH_MISMATCH:
            detail = f"these bytes were rejected before: {rejection.detail}"
            return Refused(item.filename, rejection.reason, detail)
        return None

    def _start(self, link: Link, sender: str, item: Declared, now: datetime) -> DirectUpload:
        upload_id = uuid.uuid4().hex
        s3_id = self.staging.start(upload_id, item.content_type)
        expires_at = min(now.timestamp() + self.policy.upload_ttl, float(link.expires_at))
        upload = DirectUpload(
            upload_id, s3_id, link.id, sender, item.sha256, item.size, item.content_type,
            item.filename, expires_at, list(item.parts_sha256),
        )  # fmt: skip
        self.book.save(upload)
        return upload

    def _parts(
        self, upload: DirectUpload, held: dict[int, int], origin: str, now: datetime
    ) -> list[OfferedPart]:
        parts = plan(upload.size, self.policy.part_size)
        offered = []
        for part, sha in zip(parts, upload.parts_sha256, strict=True):
            if held.get(part.number) == part.length:
                offered.append(OfferedPart(part.number, part.offset, part.length, "", {}, True))
                continue
            signed = self.staging.sign_part(
                origin, upload.upload_id, upload.s3_id, number=part.number, length=part.length,
                sha256_hex=sha, now=now.astimezone(UTC), expires=self.policy.url_ttl,
            )  # fmt: skip
            url, headers = signed.url, dict(signed.headers)
            offered.append(OfferedPart(part.number, part.offset, part.length, url, headers, False))
        return offered
