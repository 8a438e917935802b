"""Deleting an image: the bytes and the dedup entry now, the index in a task."""

from __future__ import annotations

from inlet.dispatch import Dispatcher
from inlet.ports import Blobs, Hashes


def delete_image(image_id: str, *, blobs: Blobs, hashes: Hashes, dispatcher: Dispatcher) -> None:
    """Remove a stored image; :class:`FileNotFoundError` if it is not stored."""
    if not blobs.exists(image_id):
        raise FileNotFoundError(image_id)
    # The SET entry goes first: the SET only ever claims less than the store holds,
    # and an upload that finds the hash missing simply stores the bytes again.
    hashes.discard(image_id)
    blobs.delete(image_id)
    dispatcher.image_deleted(image_id)
