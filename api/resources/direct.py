"""Direct uploads over HTTP: by-hash files with a size get signed part URLs, and
``POST /v1/uploads/direct/{upload_id}/complete`` commits them (:mod:`inlet.direct`).

Only where the store is S3 (never with the in-memory store of some tests): the parts go
to the store itself, through the front proxy on the public origin.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import falcon
from redis import Redis

from api import metrics
from api.auth import bearer, require_link, sender
from api.errors import Problem
from api.outcomes import nothing_accepted, outcome_dict
from api.resources.by_hash import ByHash
from inlet.blobs import StoreUnavailable
from inlet.direct import Declared, DirectUploads, Offer, Policy
from inlet.direct_complete import Completer, Incomplete, NotFound
from inlet.dispatch import Dispatcher
from inlet.links import Link
from inlet.outcomes import Accepted, Outcome, Refusal, Refused
from inlet.parts import parts_match
from inlet.presign import Credentials
from inlet.senders import Sender
from inlet.settings import Settings
from inlet.stores.blobstore import BlobStore, S3BlobStore
from inlet.stores.dedup import HashIndex
from inlet.stores.direct import StagedUploads
from inlet.stores.direct_state import DirectUploadState
from inlet.stores.history import UploadHistory
from inlet.stores.links import LinkStore
from inlet.stores.verification import ImageStates

COMPLETE_PATH = "/v1/uploads/direct/{upload_id}/complete"


@dataclass(frozen=True)
class Offered:
    """A file whose bytes the client is to send to the store."""

    filename: str
    offer: Offer


@dataclass(frozen=True)
class Backends:
    redis: Redis
    blobs: BlobStore
    links: LinkStore
    hashes: HashIndex
    states: ImageStates
    dispatcher: Dispatcher
    history: UploadHistory


class Direct:
    def __init__(self, settings: Settings, offers: DirectUploads, completer: Completer) -> None:
        self.settings = settings
        self.offers = offers
        self.completer = completer

    @classmethod
    def build(cls, settings: Settings, b: Backends) -> Direct | None:
        """None for a store that is not S3."""
        if not isinstance(b.blobs, S3BlobStore):
            return None
        creds = Credentials(settings.s3_access_key, settings.s3_secret_key, settings.s3_region)
        staging = StagedUploads(b.blobs.client, b.blobs.bucket, creds, settings.s3_endpoint)
        book = DirectUploadState(b.redis, settings.redis_prefix)
        policy = Policy(
            settings.part_size, settings.upload_url_ttl, settings.direct_upload_ttl,
            settings.max_image_bytes,
        )  # fmt: skip
        offers = DirectUploads(
            staging=staging, book=book, quota=b.links, states=b.states, policy=policy
        )
        completer = Completer(
            book=book, staging=staging, quota=b.links, hashes=b.hashes, blobs=b.blobs,
            states=b.states, dispatcher=b.dispatcher, history=b.history,
            part_size=settings.part_size, max_image_pixels=settings.max_image_pixels,
        )  # fmt: skip
        return cls(settings, offers, completer)

    def check_parts(self, items: Sequence[ByHash]) -> None:
        """Before anything is committed: part hashes as many as the file's parts."""
        for index, item in enumerate(items):
            # Empty or too large is refused per file (and planning a huge size's parts
            # would be work an attacker chooses).
            if item.size is None or not 1 <= item.size <= self.settings.max_image_bytes:
                continue
            if not parts_match(item.size, self.settings.part_size, item.parts_sha256):
                where = f"images[{index}].parts_sha256"
                raise Problem(
                    422,
                    f"{where}: must be the SHA-256 of each {self.settings.part_size}-byte "
                    "part of the file (the last shorter), in order",
                    slug="invalid-field", title="Invalid request body", field=where,
                )  # fmt: skip

    def offer_unknown(
        self, req: falcon.Request, link: Link, who: Sender | None,
        items: Sequence[ByHash], known: Sequence[Outcome],
    ) -> list[Outcome | Offered]:  # fmt: skip
        """Each unknown file declared with a size becomes an upload (or a refusal)."""
        origin = (self.settings.public_base_url or req.prefix).rstrip("/")
        now = datetime.now(UTC)
        answers: list[Outcome | Offered] = []
        for item, outcome in zip(items, known, strict=True):
            unknown = isinstance(outcome, Refused) and outcome.reason is Refusal.UNKNOWN_HASH
            if item.size is None or not unknown:
                answers.append(outcome)
                continue
            declared = Declared(
                item.sha256, outcome.filename, item.size, item.content_type, item.parts_sha256
            )
            digest = who.digest if who is not None else ""
            try:
                result = self.offers.offer(link, digest, declared, origin=origin, now=now)
            except StoreUnavailable:
                raise _store_down() from None
            answers.append(
                Offered(outcome.filename, result) if isinstance(result, Offer) else result
            )
        return answers

    def offered_dict(self, req: falcon.Request, offered: Offered) -> dict[str, Any]:
        upload = offered.offer.upload
        base = (self.settings.public_base_url or req.prefix).rstrip("/")
        parts = [
            {
                "number": p.number, "offset": p.offset, "length": p.length, "method": "PUT",
                "url": p.url, "headers": p.headers, "done": p.done,
            }
            for p in offered.offer.parts
        ]  # fmt: skip
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(upload.expires_at)))
        complete = base + COMPLETE_PATH.format(upload_id=upload.upload_id)
        return {
            "filename": offered.filename,
            "id": upload.sha256,
            "state": "upload",
            "upload": {
                "id": upload.upload_id, "part_size": self.settings.part_size, "parts": parts,
                "complete": complete, "expires_at": expires,
            },
        }  # fmt: skip


class DirectCompleteResource:
    def __init__(self, settings: Settings, links: LinkStore, direct: Direct) -> None:
        self.settings = settings
        self.links = links
        self.direct = direct

    def on_post(self, req: falcon.Request, resp: falcon.Response, upload_id: str) -> None:
        link = require_link(bearer(req), self.settings.secret_key, self.links)
        who = sender(req)
        try:
            result = self.direct.completer.complete(link, who, upload_id, datetime.now(UTC))
        except StoreUnavailable:
            raise _store_down() from None
        if isinstance(result, NotFound):
            raise Problem(
                404,
                "no upload under way with this id for this link and sender: never started, "
                "already completed, or expired (ask again by hash)",
                slug="upload-not-found",
            )
        if isinstance(result, Incomplete):
            raise Problem(
                409,
                f"the store does not hold every part yet; missing: {result.missing}",
                slug="upload-incomplete",
                missing=result.missing,
            )
        if isinstance(result, Refused | Accepted):
            metrics.record_outcomes([result])
        if isinstance(result, Refused):
            raise nothing_accepted([result])
        resp.status = falcon.HTTP_201
        resp.media = {"images": [outcome_dict(result)]}


def _store_down() -> Problem:
    return Problem(
        503, "the image store is unavailable; try again shortly", slug="store-unavailable",
        headers={"Retry-After": "5"},
    )  # fmt: skip
