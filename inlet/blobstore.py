"""Content-addressed blob storage.

One small interface (:class:`BlobStore`) and an S3 implementation that works with
MinIO, AWS S3 and moto. Backend errors are translated here, at the boundary:
a missing object is :class:`FileNotFoundError`, an unreachable server is
:class:`StoreUnavailable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


class StoreUnavailable(ConnectionError):
    """The blob store could not be reached or answered with a server error."""


def is_image_id(value: str) -> bool:
    return bool(SHA256_RE.match(value))


def key_for(image_id: str) -> str:
    """Object key for an image id: fanned out so no prefix grows too large."""
    if not is_image_id(image_id):
        raise ValueError(f"not a SHA-256 hex digest: {image_id!r}")
    return f"{image_id[:2]}/{image_id[2:4]}/{image_id}"


def id_from_key(key: str) -> str | None:
    image_id = key.rsplit("/", 1)[-1]
    return image_id if is_image_id(image_id) and key == key_for(image_id) else None


@dataclass(frozen=True)
class BlobInfo:
    size: int
    content_type: str
    metadata: dict[str, str]


@dataclass
class BlobStream:
    """An open object body; iterate it to stream the bytes, then close it."""

    body: Any
    size: int
    content_type: str
    content_range: str | None = None

    def iter_chunks(self, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        try:
            yield from self.body.iter_chunks(chunk_size)
        finally:
            self.body.close()

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.body.read() if size < 0 else self.body.read(size)
        return data

    def close(self) -> None:
        self.body.close()


class BlobStore(Protocol):
    def ensure_bucket(self) -> None: ...

    def put(
        self, image_id: str, fileobj: IO[bytes], *, content_type: str, metadata: dict[str, str]
    ) -> None: ...

    def head(self, image_id: str) -> BlobInfo: ...

    def exists(self, image_id: str) -> bool: ...

    def open(self, image_id: str, *, byte_range: str | None = None) -> BlobStream: ...

    def delete(self, image_id: str) -> None: ...

    def iter_ids(self) -> Iterator[str]: ...

    def ping(self) -> None: ...


def make_s3_client(
    endpoint: str, access_key: str, secret_key: str, region: str, *, pool: int = 32
) -> Any:
    config = Config(
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=pool,
        # MinIO and moto do not need the newer default integrity checksums; computing
        # them would read every upload twice.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=config,
    )


class S3BlobStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def ensure_bucket(self) -> None:
        with _translated():
            try:
                self.client.head_bucket(Bucket=self.bucket)
            except ClientError as exc:
                if _code(exc) not in _MISSING_CODES and _code(exc) != "NoSuchBucket":
                    raise
                try:
                    self.client.create_bucket(Bucket=self.bucket)
                except ClientError as create_exc:
                    # Another process won the race to create it.
                    if _code(create_exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

    def put(
        self, image_id: str, fileobj: IO[bytes], *, content_type: str, metadata: dict[str, str]
    ) -> None:
        fileobj.seek(0)
        with _translated():
            # upload_fileobj streams large files as multipart uploads in bounded chunks.
            self.client.upload_fileobj(
                fileobj,
                self.bucket,
                key_for(image_id),
                ExtraArgs={"ContentType": content_type, "Metadata": metadata},
            )

    def head(self, image_id: str) -> BlobInfo:
        with _translated(image_id):
            resp = self.client.head_object(Bucket=self.bucket, Key=key_for(image_id))
        return BlobInfo(
            size=int(resp["ContentLength"]),
            content_type=resp.get("ContentType", "application/octet-stream"),
            metadata=dict(resp.get("Metadata", {})),
        )

    def exists(self, image_id: str) -> bool:
        try:
            self.head(image_id)
        except FileNotFoundError:
            return False
        return True

    def open(self, image_id: str, *, byte_range: str | None = None) -> BlobStream:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key_for(image_id)}
        if byte_range:
            kwargs["Range"] = byte_range
        with _translated(image_id):
            resp = self.client.get_object(**kwargs)
        return BlobStream(
            body=resp["Body"],
            size=int(resp["ContentLength"]),
            content_type=resp.get("ContentType", "application/octet-stream"),
            content_range=resp.get("ContentRange"),
        )

    def delete(self, image_id: str) -> None:
        with _translated(image_id):
            self.client.delete_object(Bucket=self.bucket, Key=key_for(image_id))

    def iter_ids(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        with _translated():
            for page in paginator.paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    image_id = id_from_key(item["Key"])
                    if image_id:
                        yield image_id

    def ping(self) -> None:
        with _translated():
            self.client.head_bucket(Bucket=self.bucket)


class RangeNotSatisfiable(ValueError):
    """The requested byte range lies outside the object."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _translated(image_id: str | None = None) -> Iterator[None]:
    """Map botocore errors onto the exceptions the rest of Inlet understands."""
    try:
        yield
    except ClientError as exc:
        code = _code(exc)
        if code in _MISSING_CODES or code == "NoSuchBucket":
            raise FileNotFoundError(image_id or code) from exc
        if code == "InvalidRange":
            raise RangeNotSatisfiable(str(exc)) from exc
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500 or status == 0:
            raise StoreUnavailable(str(exc)) from exc
        raise
    except BotoCoreError as exc:
        raise StoreUnavailable(str(exc)) from exc
