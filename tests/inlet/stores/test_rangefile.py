"""RangeFile over an in-memory object: it must read like a file and fetch like a cache."""

from __future__ import annotations

import hashlib
import io
import random

import pytest

from inlet.stores.blobstore import S3BlobStore
from inlet.stores.rangefile import RangeFile, blob_range_reader

DATA = bytes(random.Random(7).randrange(256) for _ in range(10_000))


class Recorder:
    """``read_range`` over DATA that remembers every range asked for."""

    def __init__(self, data: bytes = DATA) -> None:
        self.data = data
        self.calls: list[tuple[int, int]] = []

    def __call__(self, start: int, stop: int) -> bytes:
        self.calls.append((start, stop))
        return self.data[start:stop]


def range_file(block_size: int = 1000, data: bytes = DATA) -> tuple[RangeFile, Recorder]:
    recorder = Recorder(data)
    return RangeFile(recorder, len(data), block_size=block_size), recorder


def test_reads_and_seeks_like_bytesio() -> None:
    rng = random.Random(42)
    ours, _ = range_file(block_size=333)
    theirs = io.BytesIO(DATA)
    for _ in range(2000):
        op = rng.choice(["read", "seek", "seek_cur", "seek_end", "read_all"])
        if op == "read":
            n = rng.choice([0, 1, 2, 7, 100, 500, 3000])
            assert ours.read(n) == theirs.read(n)
        elif op == "seek":
            offset = rng.randrange(len(DATA) + 200)
            assert ours.seek(offset) == theirs.seek(offset)
        elif op == "seek_cur":
            offset = rng.randrange(-ours.tell(), 500)
            assert ours.seek(offset, io.SEEK_CUR) == theirs.seek(offset, io.SEEK_CUR)
        elif op == "seek_end":
            offset = -rng.randrange(len(DATA))
            assert ours.seek(offset, io.SEEK_END) == theirs.seek(offset, io.SEEK_END)
        else:
            assert ours.read() == theirs.read()
        assert ours.tell() == theirs.tell()


def test_fetches_only_the_blocks_read_and_each_once() -> None:
    file, recorder = range_file(block_size=1000)

    assert file.read(10) == DATA[:10]
    assert file.read(10) == DATA[10:20]
    file.seek(5500)
    assert file.read(4) == DATA[5500:5504]
    file.seek(0)
    assert file.read(1000) == DATA[:1000]

    assert recorder.calls == [(0, 1000), (5000, 6000)]
    assert file.bytes_fetched == 2000
    assert file.requests == 2


def test_neighbouring_missing_blocks_come_in_one_request() -> None:
    file, recorder = range_file(block_size=1000)
    file.seek(3500)
    file.read(10)  # caches block 3

    file.seek(1500)
    assert file.read(4000) == DATA[1500:5500]

    # Blocks 1-2 and 4-5 were missing: one request each side of the cached block 3.
    assert recorder.calls == [(3000, 4000), (1000, 3000), (4000, 6000)]


def test_last_block_is_short_and_reads_past_the_end_are_empty() -> None:
    file, recorder = range_file(block_size=3000)
    file.seek(9990)

    assert file.read(100) == DATA[9990:]
    assert file.read(100) == b""
    file.seek(50_000)
    assert file.read() == b""
    assert recorder.calls == [(9000, 10_000)]


def test_readinto_and_buffered_reader() -> None:
    file, _ = range_file()
    buffer = bytearray(25)
    file.seek(990)
    assert file.readinto(buffer) == 25
    assert bytes(buffer) == DATA[990:1015]

    with io.BufferedReader(RangeFile(Recorder(), len(DATA), block_size=100)) as buffered:
        buffered.seek(1234)
        assert buffered.read(50) == DATA[1234:1284]
        assert buffered.readable()
        assert buffered.seekable()


def test_empty_object_never_asks_for_a_range() -> None:
    recorder = Recorder(b"")
    file = RangeFile(recorder, 0)

    assert file.read() == b""
    assert file.read(10) == b""
    assert recorder.calls == []


def test_errors_of_read_range_propagate_unchanged() -> None:
    def unreachable(start: int, stop: int) -> bytes:
        raise ConnectionResetError("store went away")

    file = RangeFile(unreachable, 100)

    with pytest.raises(ConnectionResetError, match="store went away"):
        file.read(1)


def test_short_range_means_the_object_changed() -> None:
    file = RangeFile(lambda start, stop: DATA[start:stop], len(DATA) + 500, block_size=4096)
    file.seek(len(DATA) - 10)

    with pytest.raises(OSError, match="returned"):
        file.read(20)


def test_bad_arguments_and_closed_file() -> None:
    with pytest.raises(ValueError, match="size"):
        RangeFile(Recorder(), -1)
    with pytest.raises(ValueError, match="block_size"):
        RangeFile(Recorder(), 10, block_size=0)

    file, _ = range_file()
    with pytest.raises(ValueError, match="negative"):
        file.seek(-1)
    with pytest.raises(ValueError, match="whence"):
        file.seek(0, 7)
    file.close()
    with pytest.raises(ValueError, match="closed"):
        file.read(1)


def test_blob_range_reader_over_the_real_store(blob_store: S3BlobStore) -> None:
    image_id = hashlib.sha256(DATA).hexdigest()
    blob_store.put(image_id, io.BytesIO(DATA), content_type="application/octet-stream", metadata={})
    file = RangeFile(blob_range_reader(blob_store, image_id), len(DATA), block_size=4096)

    file.seek(5000)
    assert file.read(3000) == DATA[5000:8000]
    assert file.read() == DATA[8000:]
    assert file.requests == 2
    assert file.bytes_fetched == len(DATA) - 4096
