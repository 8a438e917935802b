"""The S3 blob store (minio-py) against the real S3 server the tests start.

Errors must arrive translated: a missing object is FileNotFoundError, a range outside
the object RangeNotSatisfiable, a dead or stalled server StoreUnavailable, soon.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
from collections.abc import Iterator

import pytest

from devstack.servers import free_port
from inlet import blobs
from inlet.blobs import RangeNotSatisfiable, StoreUnavailable
from inlet.settings import Settings
from inlet.stores import blobstore
from inlet.stores.blobstore import PART_SIZE, S3BlobStore, make_s3_client
from inlet.stores.clients import make_blob_store


def _put(store: S3BlobStore, data: bytes, **metadata: str) -> str:
    image_id = hashlib.sha256(data).hexdigest()
    store.put(image_id, io.BytesIO(data), content_type="image/png", metadata=metadata)
    return image_id


def test_round_trip_with_metadata(blob_store: S3BlobStore) -> None:
    data = os.urandom(3000)
    image_id = _put(blob_store, data, format="PNG", **{"uploaded-at": "2026-11-29T10:00:00Z"})
    info = blob_store.head(image_id)
    assert info.size == 3000
    assert info.content_type == "image/png"
    assert info.metadata == {"format": "PNG", "uploaded-at": "2026-11-29T10:00:00Z"}
    stream = blob_store.open(image_id)
    assert (stream.size, stream.content_type) == (3000, "image/png")
    assert b"".join(stream.iter_chunks(1024)) == data
    assert blob_store.exists(image_id)
    assert image_id in set(blob_store.iter_ids())


@pytest.mark.parametrize(
    ("header", "expected", "content_range"),
    [
        ("bytes=0-9", slice(0, 10), "bytes 0-9/100"),
        ("bytes=90-", slice(90, 100), "bytes 90-99/100"),
        ("bytes=-5", slice(95, 100), "bytes 95-99/100"),
    ],
)
def test_ranged_reads(
    blob_store: S3BlobStore, header: str, expected: slice, content_range: str
) -> None:
    data = os.urandom(100)
    image_id = _put(blob_store, data)
    stream = blob_store.open(image_id, byte_range=header)
    try:
        assert stream.read() == data[expected]
        assert stream.content_range == content_range
    finally:
        stream.close()


def test_a_range_past_the_end_is_not_satisfiable(blob_store: S3BlobStore) -> None:
    image_id = _put(blob_store, os.urandom(100))
    with pytest.raises(RangeNotSatisfiable):
        blob_store.open(image_id, byte_range="bytes=500-600")


def test_missing_objects_are_file_not_found(blob_store: S3BlobStore) -> None:
    absent = "0" * 64
    with pytest.raises(FileNotFoundError):
        blob_store.head(absent)
    with pytest.raises(FileNotFoundError):
        blob_store.open(absent)
    assert not blob_store.exists(absent)
    blob_store.delete(absent)  # deleting what is not there is not an error


def test_delete_removes_the_object(blob_store: S3BlobStore) -> None:
    image_id = _put(blob_store, os.urandom(10))
    blob_store.delete(image_id)
    assert not blob_store.exists(image_id)
    assert image_id not in set(blob_store.iter_ids())


def test_large_objects_go_up_in_parts_and_come_back_whole(blob_store: S3BlobStore) -> None:
    data = os.urandom(PART_SIZE * 2 + 12345)
    image_id = _put(blob_store, data)
    assert blob_store.head(image_id).size == len(data)
    assert hashlib.sha256(b"".join(blob_store.open(image_id).iter_chunks())).hexdigest() == (
        image_id
    )
    # A multipart upload's ETag is "<md5 of the part md5s>-<part count>".
    etag = blob_store.client.stat_object(
        bucket_name=blob_store.bucket, object_name=blobs.key_for(image_id)
    ).etag
    assert (etag or "").endswith("-3")


def test_streams_give_their_connection_back(settings: Settings) -> None:
    store = make_blob_store(settings, pool=1)
    store.ensure_bucket()
    first, second = os.urandom(600_000), os.urandom(1000)
    first_id, second_id = _put(store, first), _put(store, second)
    pool = store.client._http.connection_from_url(settings.s3_endpoint)
    opened = pool.num_connections
    for _ in range(3):
        assert b"".join(store.open(first_id).iter_chunks(65536)) == first
        stream = store.open(second_id)
        assert stream.read() == second
        stream.close()
    # Read to the end, every response went back to the pool and its connection was reused.
    assert pool.num_connections == opened
    # Abandoned half way, the stream is closed: the next request reads its own answer.
    stream = store.open(first_id)
    assert next(iter(stream.iter_chunks(1000))) == first[:1000]
    stream.close()
    assert store.open(second_id).read() == second


def test_ensure_bucket_creates_it_once(settings: Settings) -> None:
    store = make_blob_store(settings.replace(s3_bucket=f"{settings.s3_bucket}-new"))
    with pytest.raises(FileNotFoundError):
        store.ping()
    store.ensure_bucket()
    store.ensure_bucket()
    store.ping()


def test_a_dead_server_is_unavailable() -> None:
    dead = S3BlobStore(
        make_s3_client(f"http://127.0.0.1:{free_port()}", "k", "s", "us-east-1"), "inlet"
    )
    for call in (dead.ping, lambda: dead.head("a" * 64), lambda: list(dead.iter_ids())):
        with pytest.raises(StoreUnavailable):
            call()


@pytest.fixture
def stalled_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_a_stalled_server_costs_the_timeouts_not_forever(
    stalled_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobstore, "READ_TIMEOUT", 0.5)
    stalled = S3BlobStore(
        make_s3_client(f"http://127.0.0.1:{stalled_port}", "k", "s", "us-east-1"), "inlet"
    )
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        stalled.head("a" * 64)
    # One read retry at most, plus a short backoff: nowhere near an unbounded wait.
    assert time.monotonic() - started < 5


def test_an_endpoint_that_is_not_a_url_is_refused() -> None:
    with pytest.raises(ValueError, match="S3_ENDPOINT"):
        make_s3_client("minio:9000", "k", "s", "us-east-1")
