from __future__ import annotations

import io

import pytest

from inlet.deletion import delete_image
from tests.fakes import FakeBlobStore, FakeDispatcher, FakeHashes


def test_delete_removes_bytes_and_hash_and_queues_the_index() -> None:
    blobs, hashes, dispatcher = FakeBlobStore(), FakeHashes({"a" * 64}), FakeDispatcher()
    blobs.put("a" * 64, io.BytesIO(b"x"), content_type="image/png", metadata={})

    delete_image("a" * 64, blobs=blobs, hashes=hashes, dispatcher=dispatcher)

    assert (blobs.objects, hashes.hashes, dispatcher.deleted) == ({}, set(), ["a" * 64])


def test_deleting_what_is_not_stored_changes_nothing() -> None:
    blobs, hashes, dispatcher = FakeBlobStore(), FakeHashes({"b" * 64}), FakeDispatcher()

    with pytest.raises(FileNotFoundError):
        delete_image("b" * 64, blobs=blobs, hashes=hashes, dispatcher=dispatcher)

    assert (hashes.hashes, dispatcher.deleted) == ({"b" * 64}, [])
