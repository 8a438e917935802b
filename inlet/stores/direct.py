"""The store's side of direct uploads: bytes a client PUTs straight to the store.

Each upload is an S3 multipart upload to a staging key, ``incoming/<upload id>``, never
to the image's final key: a staging key is the upload's alone, so parts of bytes that
later prove wrong never touch an image already stored, no client can overwrite another's
object, and a multipart upload (even of one part) lets ListParts say which parts the
store holds, the resume list. Once complete, the object is copied inside the store to
``ab/cd/<sha256>`` (one server-side copy, no byte through the API) and the staging
object deleted. Part URLs are signed by :mod:`inlet.presign` so the signature covers
each part's length and SHA-256.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, cast
from urllib.parse import urlsplit, urlunsplit

from minio import Minio
from minio.commonconfig import CopySource
from minio.datatypes import Part as S3Part
from minio.helpers import DictType

from inlet.blobs import key_for
from inlet.parts import checksum_header
from inlet.presign import Credentials, presign
from inlet.stores.blobstore import _translated
from inlet.stores.rangefile import RangeFile

STAGING = "incoming/"


@dataclass(frozen=True)
class SignedPart:
    url: str
    headers: dict[str, str]


class StagedUploads:
    def __init__(self, client: Minio, bucket: str, creds: Credentials, endpoint: str) -> None:
        self.client = client
        self.bucket = bucket
        self.creds = creds
        # S3_ENDPOINT: what the signature's host is, whatever origin the URL is on.
        self.endpoint = endpoint.rstrip("/")

    @staticmethod
    def key(upload_id: str) -> str:
        return STAGING + upload_id

    def start(self, upload_id: str, content_type: str) -> str:
        """A multipart upload at the staging key; the store's UploadId."""
        with _translated():
            s3_id: str = self.client._create_multipart_upload(
                self.bucket, self.key(upload_id), {"Content-Type": content_type}
            )
        return s3_id

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
    ) -> SignedPart:
        """A PUT of one part on ``origin`` (scheme://host[:port]), path-style.

        Signed for the store's own host: the front proxy passes the store's path
        unchanged and sends the store's ``Host`` (as it does for image bytes), so the
        store checks the signature it expects whatever public name the client used.
        """
        headers = {
            "Content-Length": str(length),
            "x-amz-checksum-sha256": checksum_header(sha256_hex),
        }
        signed = presign(
            "PUT",
            f"{self.endpoint}/{self.bucket}/{self.key(upload_id)}",
            self.creds,
            now=now,
            expires=expires,
            headers=headers,
            params={"partNumber": str(number), "uploadId": s3_id},
        )
        public = urlsplit(origin)
        url = urlunsplit(urlsplit(signed)._replace(scheme=public.scheme, netloc=public.netloc))
        return SignedPart(url, headers)

    def held(self, upload_id: str, s3_id: str) -> dict[int, S3Part]:
        """The parts the store holds, by number; a missing upload is FileNotFoundError."""
        held: dict[int, S3Part] = {}
        marker: str | None = None
        while True:
            with _translated(upload_id):
                page = self.client._list_parts(
                    self.bucket, self.key(upload_id), s3_id, part_number_marker=marker
                )
            held.update({p.part_number: p for p in page.parts})
            if not page.is_truncated or not page.parts:
                return held
            marker = str(page.parts[-1].part_number)

    def held_sizes(self, upload_id: str, s3_id: str) -> dict[int, int]:
        return {n: p.size or 0 for n, p in self.held(upload_id, s3_id).items()}

    def complete(self, upload_id: str, s3_id: str, parts: list[S3Part]) -> None:
        with _translated(upload_id):
            self.client._complete_multipart_upload(self.bucket, self.key(upload_id), s3_id, parts)

    def complete_held(self, upload_id: str, s3_id: str) -> None:
        """Complete the multipart upload from every part the store holds, in order."""
        held = self.held(upload_id, s3_id)
        self.complete(upload_id, s3_id, [held[n] for n in sorted(held)])

    def open_staged(self, upload_id: str, size: int) -> IO[bytes]:
        """The completed staging object as a seekable file that fetches only what is read."""
        key = self.key(upload_id)

        def read_range(start: int, stop: int) -> bytes:
            with _translated(upload_id):
                resp = self.client.get_object(self.bucket, key, start, stop - start)
                try:
                    return bytes(resp.read())
                finally:
                    resp.close()
                    resp.release_conn()

        return cast("IO[bytes]", RangeFile(read_range, size))

    def promote(self, upload_id: str, image_id: str, metadata: Mapping[str, str]) -> None:
        """Copy the completed staging object to the image's key, then delete it."""
        meta: DictType = dict(metadata)
        with _translated(upload_id):
            self.client.copy_object(
                self.bucket,
                key_for(image_id),
                CopySource(self.bucket, self.key(upload_id)),
                metadata=meta,
                metadata_directive="REPLACE",
            )
            self.client.remove_object(self.bucket, self.key(upload_id))

    def abort(self, upload_id: str, s3_id: str) -> None:
        """Abort the multipart upload; one already completed or aborted is no error."""
        try:
            with _translated(upload_id):
                self.client._abort_multipart_upload(self.bucket, self.key(upload_id), s3_id)
        except FileNotFoundError:
            return

    def discard(self, upload_id: str) -> None:
        with _translated(upload_id):
            self.client.remove_object(self.bucket, self.key(upload_id))
