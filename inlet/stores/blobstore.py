"""Content-addressed blob storage.

One small interface (:class:`BlobStore`) and an S3 implementation on the `minio`
client that works with MinIO, AWS S3, moto and other S3 servers (path-style
addressing). Backend errors are translated here, at the boundary: a missing object
is :class:`FileNotFoundError`, an unreachable server or a 5xx answer is
:class:`StoreUnavailable`, a range outside the object is :class:`RangeNotSatisfiable`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, BinaryIO, Protocol, cast
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import DictType
from urllib3.exceptions import HTTPError
from urllib3.response import BaseHTTPResponse

from inlet.blobs import BlobInfo, RangeNotSatisfiable, StoreUnavailable, id_from_key, key_for

MiB = 1024 * 1024
# Objects up to PART_SIZE go up in one PUT; larger ones as a multipart upload of
# PART_SIZE parts, sent one after the other, so an upload holds one part in memory.
PART_SIZE = 8 * MiB
# Per socket operation, not per transfer: a store that stops answering costs seconds.
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
_MISSING_CODES = frozenset(
    {"NoSuchKey", "NoSuchBucket", "NoSuchObject", "ResourceNotFound", "NoSuchUpload"}
)
_RACED_CODES = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
_META = "x-amz-meta-"


@dataclass
class BlobStream:
    """An open object body; iterate it to stream the bytes, then close it."""

    body: BaseHTTPResponse
    size: int
    content_type: str
    content_range: str | None = None
    _read: int = field(default=0, repr=False)
    _closed: bool = field(default=False, repr=False)

    def iter_chunks(self, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        try:
            with _translated():
                for chunk in self.body.stream(chunk_size, decode_content=False):
                    self._read += len(chunk)
                    yield chunk
        finally:
            self.close()

    def read(self, size: int = -1) -> bytes:
        with _translated():
            amount = None if size < 0 else size
            data = self.body.read(amount, decode_content=False)
        self._read += len(data)
        return data

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # A body read to its end leaves a clean connection for the next request; a
        # body abandoned half way would leave its unread bytes on it, so it is dropped.
        if self._read < self.size:
            self.body.close()
        self.body.release_conn()


class BlobStore(Protocol):
    def ensure_bucket(self) -> None: ...

    def put(
        self, image_id: str, fileobj: IO[bytes], *, content_type: str, metadata: dict[str, str]
    ) -> None: ...

    def head(self, image_id: str) -> BlobInfo: ...

    def exists(self, image_id: str) -> bool: ...

    def open(self, image_id: str, *, byte_range: str | None = None) -> BlobStream: ...

    def delete(self, image_id: str) -> None: ...

    def presigned_get(self, image_id: str, expires: int) -> str: ...

    def iter_ids(self) -> Iterator[str]: ...

    def ping(self) -> None: ...


def make_http_pool(pool: int) -> urllib3.PoolManager:
    """The HTTP pool under the S3 client: ``pool`` kept-alive connections (one per
    thread that calls the store), short timeouts and a small retry budget."""
    retries = urllib3.Retry(
        total=2,
        connect=2,
        read=0,  # a read that timed out already cost READ_TIMEOUT; the caller decides
        status=2,
        backoff_factor=0.2,
        status_forcelist=(500, 502, 503, 504),
    )
    # No CA bundle of our own: OpenSSL's default paths (and SSL_CERT_FILE) apply.
    return urllib3.PoolManager(
        maxsize=pool,
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        retries=retries,
        cert_reqs="CERT_REQUIRED",
    )


def make_s3_client(
    endpoint: str, access_key: str, secret_key: str, region: str, *, pool: int = 32
) -> Minio:
    """A minio client for ``endpoint`` (``http(s)://host[:port]``), path-style.

    The explicit region spares a bucket-location request before the first call.
    """
    url = urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.netloc or url.path not in ("", "/"):
        raise ValueError(f"S3_ENDPOINT must look like http(s)://host[:port], got {endpoint!r}")
    return Minio(
        endpoint=url.netloc,
        access_key=access_key,
        secret_key=secret_key,
        secure=url.scheme == "https",
        region=region,
        http_client=make_http_pool(pool),
    )


class S3BlobStore:
    key = staticmethod(key_for)  # where an id's object lives (inlet.stores.renditions: elsewhere)

    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def ensure_bucket(self) -> None:
        with _translated():
            if self.client.bucket_exists(bucket_name=self.bucket):
                return
            try:
                self.client.make_bucket(bucket_name=self.bucket)
            except S3Error as exc:
                # Another process won the race to create it.
                if exc.code not in _RACED_CODES:
                    raise

    def put(
        self, image_id: str, fileobj: IO[bytes], *, content_type: str, metadata: dict[str, str]
    ) -> None:
        length = fileobj.seek(0, os.SEEK_END)
        fileobj.seek(0)
        # Prefixed here so that no metadata name is mistaken for a standard header.
        headers: DictType = {f"{_META}{name}": value for name, value in metadata.items()}
        with _translated(image_id):
            self.client.put_object(
                bucket_name=self.bucket,
                object_name=self.key(image_id),
                # minio only calls read(); BinaryIO is the nominal type it declares.
                data=cast(BinaryIO, fileobj),
                length=length,
                content_type=content_type,
                metadata=headers,
                part_size=PART_SIZE,
                num_parallel_uploads=1,
            )

    def head(self, image_id: str) -> BlobInfo:
        with _translated(image_id):
            stat = self.client.stat_object(bucket_name=self.bucket, object_name=self.key(image_id))
        metadata: dict[str, str] = {}
        for name, value in (stat.metadata or {}).items():
            if name.lower().startswith(_META):
                text = value if isinstance(value, str) else ",".join(value)
                metadata[name.lower().removeprefix(_META)] = text
        return BlobInfo(
            size=stat.size or 0,
            content_type=stat.content_type or "application/octet-stream",
            metadata=metadata,
        )

    def exists(self, image_id: str) -> bool:
        try:
            self.head(image_id)
        except FileNotFoundError:
            return False
        return True

    def open(self, image_id: str, *, byte_range: str | None = None) -> BlobStream:
        # The Range header is passed through as is: offset/length cannot say "bytes=-5".
        headers: DictType | None = {"Range": byte_range} if byte_range else None
        with _translated(image_id):
            resp = self.client.get_object(
                bucket_name=self.bucket, object_name=self.key(image_id), request_headers=headers
            )
        return BlobStream(
            body=resp,
            size=int(resp.headers.get("Content-Length", "0")),
            content_type=resp.headers.get("Content-Type") or "application/octet-stream",
            content_range=resp.headers.get("Content-Range"),
        )

    def delete(self, image_id: str) -> None:
        with _translated(image_id):
            self.client.remove_object(bucket_name=self.bucket, object_name=self.key(image_id))

    def presigned_get(self, image_id: str, expires: int) -> str:
        """Path and query of a GET signed for ``expires`` s, locally (the region is
        known). The signature covers the endpoint's host: the sender must send it."""
        key, lifetime = self.key(image_id), timedelta(seconds=expires)
        parts = urlsplit(self.client.presigned_get_object(self.bucket, key, lifetime))
        return f"{parts.path}?{parts.query}"

    def iter_ids(self) -> Iterator[str]:
        with _translated():
            for item in self.client.list_objects(bucket_name=self.bucket, recursive=True):
                image_id = id_from_key(item.object_name or "")
                if image_id:
                    yield image_id

    def ping(self) -> None:
        with _translated():
            found = self.client.bucket_exists(bucket_name=self.bucket)
        if not found:
            raise FileNotFoundError(self.bucket)


def _translate(exc: S3Error, image_id: str | None) -> Exception | None:
    """The exception the rest of Inlet understands for an S3 error answer, or None."""
    code = exc.code or ""
    status = exc.response.status if exc.response is not None else 0
    if code in _MISSING_CODES:
        return FileNotFoundError(image_id or code)
    if code == "InvalidRange" or status == 416:
        return RangeNotSatisfiable(str(exc))
    if status >= 500 or status == 0:
        return StoreUnavailable(str(exc))
    return None


@contextmanager
def _translated(image_id: str | None = None) -> Iterator[None]:
    """Map minio and urllib3 errors onto the exceptions the rest of Inlet understands."""
    try:
        yield
    except S3Error as exc:
        translated = _translate(exc, image_id)
        if translated is None:
            raise
        raise translated from exc
    except (ServerError, InvalidResponseError) as exc:
        # A 5xx without an S3 error document, or an answer that is not S3's at all
        # (a proxy's error page): either way the store is not working.
        raise StoreUnavailable(str(exc)) from exc
    except HTTPError as exc:
        # Refused or timed out connections, after the retry budget (MaxRetryError).
        raise StoreUnavailable(str(exc)) from exc
