"""Incomplete multipart uploads in the bucket, and aborting the stale ones.

A multipart upload that is never completed keeps its parts in the store, invisible to
every listing of objects, until it is aborted. The API leaves one when it is killed while
storing a file larger than one part (:data:`inlet.stores.blobstore.PART_SIZE`); moto and
MinIO apply no lifecycle rule that would clean them. minio-py keeps the two S3 calls
(ListMultipartUploads, AbortMultipartUpload) protected, so they are reached here, once.

An upload's age is counted from when beat first saw it (:class:`Sightings`, in Redis),
not from the store's ``Initiated`` time: moto reports a fixed date from 2010 there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from minio import Minio
from redis import Redis

from inlet.stores.blobstore import _translated
from inlet.stores.keys import Keys

PAGE = 1000


@dataclass(frozen=True)
class Incomplete:
    key: str
    upload_id: str


class IncompleteUploads:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def __iter__(self) -> Iterator[Incomplete]:
        key_marker: str | None = None
        upload_marker: str | None = None
        while True:
            with _translated():
                page = self.client._list_multipart_uploads(
                    bucket_name=self.bucket,
                    key_marker=key_marker,
                    upload_id_marker=upload_marker,
                    max_uploads=PAGE,
                )
            for upload in page.uploads:
                if upload.upload_id:
                    yield Incomplete(upload.object_name, upload.upload_id)
            if not page.is_truncated or not page.uploads:
                return
            # minio-py mislays NextUploadIdMarker: the last upload listed is the marker.
            key_marker = page.uploads[-1].object_name
            upload_marker = page.uploads[-1].upload_id

    def abort(self, upload: Incomplete) -> None:
        """Abort one upload; one already gone (completed or aborted) is no error."""
        try:
            with _translated(upload.key):
                self.client._abort_multipart_upload(self.bucket, upload.key, upload.upload_id)
        except FileNotFoundError:
            return


class Sightings:
    """When each incomplete upload was first seen; uploads no longer listed are dropped."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.key = Keys(prefix).incomplete_uploads()

    def first_seen(self, upload_ids: set[str], now: float) -> dict[str, float]:
        """Record ``now`` for ids not seen before; each listed id's first sighting."""
        with self.redis.pipeline() as pipe:
            for upload_id in upload_ids:
                pipe.hsetnx(self.key, upload_id, now)
            pipe.hgetall(self.key)
            *_, raw = pipe.execute()
        seen = {k.decode() if isinstance(k, bytes) else k: float(v) for k, v in raw.items()}
        gone = [upload_id for upload_id in seen if upload_id not in upload_ids]
        if gone:
            self.redis.hdel(self.key, *gone)
        return {k: v for k, v in seen.items() if k in upload_ids}

    def forget(self, upload_ids: list[str]) -> None:
        if upload_ids:
            self.redis.hdel(self.key, *upload_ids)
